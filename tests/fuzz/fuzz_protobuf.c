/*
 * libFuzzer target: Kubernetes protobuf bodies (host/apiserver/protobuf.c)
 * both ways. What decodes must be one valid JSON value (the handlers parse
 * it next as if a client had sent it), and must encode back to protobuf
 * whose decoding is a fixed point of the round trip: the table-driven
 * decoder and encoder agree on every kind.
 */
#include <cplane/host_api.h>

#include <json-c/json.h>

#include "apiserver/protobuf.h"
#include "fuzz_input.h"
#include "object/object.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* JSON text -> protobuf -> JSON text; aborts when the codec refuses what
 * it produced itself. */
static void cycle(const char *json, char **pb, size_t *len, char **again) {
  struct json_tokener *tok = json_tokener_new_ex(256);
  json_object *o = tok ? json_tokener_parse_ex(tok, json, -1) : NULL;
  const char *why = NULL;

  if (o == NULL)
    abort();
  if (cp_protobuf_from_json(o, pb, len) != 0)
    abort(); /* whatever decodes is a known kind with well-typed members */
  if (cp_protobuf_to_json(*pb, *len, again, &why) != 0)
    abort();
  json_object_put(o);
  json_tokener_free(tok);
}

/* The first decode leaves out what the body did not carry; encoding
 * writes every non-pointer field (as Go does), so from the second round
 * on the JSON and the bytes are fixed points. */
static void round_trip(const char *json) {
  char *pb1, *pb2, *j2, *j3;
  size_t l1, l2;

  cycle(json, &pb1, &l1, &j2);
  cycle(j2, &pb2, &l2, &j3);
  if (strcmp(j2, j3) != 0 || l1 != l2 || memcmp(pb1, pb2, l1) != 0)
    abort();
  free(pb1);
  free(pb2);
  free(j2);
  free(j3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *json = NULL;
  const char *why = NULL;

  if (cp_protobuf_to_json((const char *)data, size, &json, &why) == 0) {
    if (json == NULL || !cp_json_valid(json, strlen(json)))
      abort();
    round_trip(json);
  } else if (why == NULL) {
    abort(); /* a refusal always says why */
  } else {
    /* The 400 the server answers for it is always a Status. */
    char *status = cp_protobuf_decode_failure((const char *)data, size, why,
                                              "ConfigMap");

    if (status == NULL || !cp_json_valid(status, strlen(status)))
      abort();
    free(status);
  }
  free(json);
  return 0;
}
