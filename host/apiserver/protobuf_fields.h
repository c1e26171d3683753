/*
 * protobuf_fields - the field-number table of every message of the
 * built-in API groups (k8s.io/api, apimachinery's meta/v1, runtime,
 * resource.Quantity, intstr, kube-aggregator's apiregistration,
 * apiextensions-apiserver's CustomResourceDefinition), generated
 * by tools/gen_protobuf_fields.py from kubernetes' generated.proto files
 * and the Go types beside them. protobuf.c walks it both ways; there is no
 * code per kind.
 *
 * Threading: constant data.
 */
#ifndef CPLANE_HOST_APISERVER_PROTOBUF_FIELDS_H
#define CPLANE_HOST_APISERVER_PROTOBUF_FIELDS_H

#include <stddef.h>
#include <stdint.h>

/* What a field holds (the map's value for a map). */
enum cp_pb_type {
  CP_PB_STRING,
  CP_PB_BYTES, /* base64 in JSON */
  CP_PB_BOOL,
  CP_PB_INT32,
  CP_PB_INT64, /* a JSON number, as kube writes it */
  CP_PB_DOUBLE,
  CP_PB_MESSAGE,
};

enum {
  CP_PB_REPEATED = 1,
  CP_PB_MAP = 2,       /* map<string, type>: entries of key 1, value 2 */
  CP_PB_POINTER = 4,   /* a Go pointer: present means set, zero or not */
  CP_PB_OMITEMPTY = 8, /* JSON leaves the zero value out */
  CP_PB_INLINE = 16,   /* the message's members sit in the parent's JSON */
};

/* Messages whose JSON is not an object of their fields. */
enum cp_pb_special {
  CP_PB_SPECIAL_NONE,
  CP_PB_SPECIAL_TIME,        /* {seconds, nanos}: RFC 3339 to the second */
  CP_PB_SPECIAL_MICROTIME,   /* {seconds, nanos}: RFC 3339, microseconds */
  CP_PB_SPECIAL_DURATION,    /* {duration ns}: Go's "1h2m3s" */
  CP_PB_SPECIAL_RAWJSON,     /* {bytes raw}: the bytes are JSON */
  CP_PB_SPECIAL_QUANTITY,    /* {string}: a string */
  CP_PB_SPECIAL_INTORSTRING, /* {type, intVal, strVal}: number or string */
  CP_PB_SPECIAL_LIST,        /* {repeated items}: a JSON array */
  /* apiextensions' JSONSchemaProps unions, as their MarshalJSON writes: */
  CP_PB_SPECIAL_ORARRAY,       /* {schema, repeated jSONSchemas} */
  CP_PB_SPECIAL_ORBOOL,        /* {allows, schema}: a bool or a schema */
  CP_PB_SPECIAL_ORSTRINGARRAY, /* {schema, repeated property} */
};

struct cp_pb_field {
  const char *json; /* the JSON member */
  uint16_t num;
  uint8_t type;  /* enum cp_pb_type */
  uint8_t flags; /* CP_PB_REPEATED ... */
  int16_t msg;   /* CP_PB_MESSAGE: index in cp_pb_messages */
};

struct cp_pb_message {
  const char *name; /* fully qualified, e.g. k8s.io.api.core.v1.Pod */
  uint8_t special;  /* enum cp_pb_special */
  uint16_t nfields;
  const struct cp_pb_field *fields; /* by ascending number */
};

/* A top-level kind: what TypeMeta names in the "k8s\0" envelope. */
struct cp_pb_kind {
  const char *api_version, *kind;
  int16_t msg;
};

extern const struct cp_pb_message cp_pb_messages[];
extern const size_t cp_pb_nmessages;
extern const struct cp_pb_kind cp_pb_kinds[]; /* sorted by apiVersion, kind */
extern const size_t cp_pb_nkinds;
extern const int cp_pb_msg_watchevent, cp_pb_msg_unknown, cp_pb_msg_status;

#endif
