/* protobuf - see protobuf.h. Field numbers are those of k8s.io/api's
 * generated.proto files (core/v1 and apimachinery's meta/v1). */
#include "apiserver/protobuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

int cp_protobuf_is(const char *ct) {
  return ct != NULL && strncasecmp(ct, CP_PROTOBUF_CONTENT_TYPE,
                                   strlen(CP_PROTOBUF_CONTENT_TYPE)) == 0;
}

/* ---- the wire format ---- */

struct pb {
  const unsigned char *p, *end;
};

struct field {
  int num, wire;
  uint64_t v;                /* varint and fixed values */
  const unsigned char *data; /* length-delimited */
  size_t len;
};

static int varint(struct pb *b, uint64_t *out) {
  uint64_t v = 0;
  int shift;

  for (shift = 0; shift < 64 && b->p < b->end; shift += 7) {
    unsigned char c = *b->p++;

    v |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) {
      *out = v;
      return 0;
    }
  }
  return -1;
}

/* The next field, or 0 at the end, -1 when malformed. */
static int next(struct pb *b, struct field *f) {
  uint64_t key;

  if (b->p >= b->end)
    return 0;
  if (varint(b, &key) != 0 || key >> 3 == 0 || key >> 3 > INT32_MAX)
    return -1;
  f->num = (int)(key >> 3);
  f->wire = (int)(key & 7);
  f->data = NULL;
  f->len = 0;
  switch (f->wire) {
  case 0:
    return varint(b, &f->v) == 0 ? 1 : -1;
  case 1:
    if (b->end - b->p < 8)
      return -1;
    b->p += 8;
    return 1;
  case 5:
    if (b->end - b->p < 4)
      return -1;
    b->p += 4;
    return 1;
  case 2:
    if (varint(b, &f->v) != 0 || f->v > (uint64_t)(b->end - b->p))
      return -1;
    f->data = b->p;
    f->len = (size_t)f->v;
    b->p += f->len;
    return 1;
  default:
    return -1;
  }
}

static struct pb sub(const struct field *f) {
  struct pb b = {f->data, f->data + f->len};

  return b;
}

static json_object *string_of(const struct field *f) {
  return json_object_new_string_len((const char *)f->data, (int)f->len);
}

/* A scalar string field: protobuf writes empty strings that JSON leaves
 * out (omitempty), and an empty protocol or policy must mean the default. */
static void add_string(json_object *o, const char *key,
                       const struct field *f) {
  if (f->len > 0)
    json_object_object_add(o, key, string_of(f));
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* bytes fields are base64 in JSON. */
static json_object *base64_of(const struct field *f) {
  size_t n = f->len, i, o = 0;
  char *s = malloc(4 * ((n + 2) / 3) + 1);
  json_object *j;

  if (s == NULL)
    return NULL;
  for (i = 0; i + 2 < n; i += 3) {
    uint32_t v = (uint32_t)f->data[i] << 16 | (uint32_t)f->data[i + 1] << 8 |
                 f->data[i + 2];

    s[o++] = b64[v >> 18 & 63];
    s[o++] = b64[v >> 12 & 63];
    s[o++] = b64[v >> 6 & 63];
    s[o++] = b64[v & 63];
  }
  if (i < n) {
    uint32_t v = (uint32_t)f->data[i] << 16 |
                 (i + 1 < n ? (uint32_t)f->data[i + 1] << 8 : 0);

    s[o++] = b64[v >> 18 & 63];
    s[o++] = b64[v >> 12 & 63];
    s[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
    s[o++] = '=';
  }
  s[o] = '\0';
  j = json_object_new_string(s);
  free(s);
  return j;
}

/* A map entry (key 1, value 2) into obj; value as a string or base64. */
static int map_entry(const struct field *f, json_object *obj, int bytes) {
  struct pb b = sub(f);
  struct field e;
  char *key = NULL;
  json_object *val = NULL;
  int r, rc = -1;

  while ((r = next(&b, &e)) > 0) {
    if (e.num == 1 && e.wire == 2) {
      free(key);
      if ((key = strndup((const char *)e.data, e.len)) == NULL)
        goto out;
    } else if (e.num == 2 && e.wire == 2) {
      json_object_put(val);
      val = bytes ? base64_of(&e) : string_of(&e);
    }
  }
  if (r < 0 || key == NULL)
    goto out;
  json_object_object_add(obj, key,
                         val ? val : json_object_new_string(""));
  val = NULL;
  rc = 0;
out:
  free(key);
  json_object_put(val);
  return rc;
}

static json_object *object_in(json_object *parent, const char *name) {
  json_object *o;

  if (json_object_object_get_ex(parent, name, &o))
    return o;
  o = json_object_new_object();
  json_object_object_add(parent, name, o);
  return o;
}

static json_object *array_in(json_object *parent, const char *name) {
  json_object *o;

  if (json_object_object_get_ex(parent, name, &o))
    return o;
  o = json_object_new_array();
  json_object_object_add(parent, name, o);
  return o;
}

/* ---- ObjectMeta ---- */

static int object_meta(const struct field *f, json_object *md) {
  static const char *const strings[] = {
      NULL, "name", "generateName", "namespace", "selfLink", "uid",
      "resourceVersion"};
  struct pb b = sub(f);
  struct field m;
  int r;

  while ((r = next(&b, &m)) > 0) {
    if (m.num >= 1 && m.num <= 6 && m.wire == 2)
      add_string(md, strings[m.num], &m);
    else if (m.num == 11 && m.wire == 2 &&
             map_entry(&m, object_in(md, "labels"), 0) != 0)
      return -1;
    else if (m.num == 12 && m.wire == 2 &&
             map_entry(&m, object_in(md, "annotations"), 0) != 0)
      return -1;
    else if (m.num == 14 && m.wire == 2)
      json_object_array_add(array_in(md, "finalizers"), string_of(&m));
    /* Server-set and rarely sent fields (timestamps, generation, owners,
     * managedFields) are ignored: the server sets its own. */
  }
  return r;
}

/* ---- the kinds ---- */

static int decode_namespace(struct pb *b, json_object *o) {
  struct field f, g;
  int r;

  while ((r = next(b, &f)) > 0) {
    if (f.num == 1 && f.wire == 2) {
      if (object_meta(&f, object_in(o, "metadata")) < 0)
        return -1;
    } else if (f.num == 2 && f.wire == 2) {
      struct pb s = sub(&f);
      json_object *spec = object_in(o, "spec");

      while ((r = next(&s, &g)) > 0)
        if (g.num == 1 && g.wire == 2)
          json_object_array_add(array_in(spec, "finalizers"), string_of(&g));
      if (r < 0)
        return -1;
    }
  }
  return r;
}

static int decode_data(struct pb *b, json_object *o, int secret) {
  struct field f;
  int r;

  while ((r = next(b, &f)) > 0) {
    if (f.wire == 0 && ((secret && f.num == 5) || (!secret && f.num == 4))) {
      json_object_object_add(o, "immutable",
                             json_object_new_boolean(f.v != 0));
      continue;
    }
    if (f.wire != 2)
      continue;
    if (f.num == 1) {
      if (object_meta(&f, object_in(o, "metadata")) < 0)
        return -1;
    } else if (f.num == 2) { /* ConfigMap data: strings; Secret: bytes */
      if (map_entry(&f, object_in(o, "data"), secret) != 0)
        return -1;
    } else if (!secret && f.num == 3) {
      if (map_entry(&f, object_in(o, "binaryData"), 1) != 0)
        return -1;
    } else if (secret && f.num == 3) {
      add_string(o, "type", &f);
    } else if (secret && f.num == 4) {
      if (map_entry(&f, object_in(o, "stringData"), 0) != 0)
        return -1;
    }
  }
  return r;
}

/* ---- Deployment (kubectl create deployment) ---- */

static int decode_label_selector(const struct field *f, json_object *sel) {
  struct pb b = sub(f);
  struct field g;
  int r;

  while ((r = next(&b, &g)) > 0)
    if (g.num == 1 && g.wire == 2 &&
        map_entry(&g, object_in(sel, "matchLabels"), 0) != 0)
      return -1;
  return r;
}

static int decode_container(const struct field *f, json_object *c) {
  struct pb b = sub(f);
  struct field g, h;
  int r;

  while ((r = next(&b, &g)) > 0) {
    if (g.wire == 2 && g.num == 1)
      add_string(c, "name", &g);
    else if (g.wire == 2 && g.num == 2)
      add_string(c, "image", &g);
    else if (g.wire == 2 && g.num == 3)
      json_object_array_add(array_in(c, "command"), string_of(&g));
    else if (g.wire == 2 && g.num == 4)
      json_object_array_add(array_in(c, "args"), string_of(&g));
    else if (g.wire == 2 && g.num == 6) { /* ContainerPort */
      struct pb p = sub(&g);
      json_object *port = json_object_new_object();

      while ((r = next(&p, &h)) > 0) {
        if (h.wire == 0 && h.num == 3)
          json_object_object_add(port, "containerPort",
                                 json_object_new_int((int)h.v));
        else if (h.wire == 2 && h.num == 4)
          add_string(port, "protocol", &h);
        else if (h.wire == 2 && h.num == 1)
          add_string(port, "name", &h);
      }
      json_object_array_add(array_in(c, "ports"), port);
      if (r < 0)
        return -1;
    } else if (g.wire == 2 && g.num == 7) { /* EnvVar with a value */
      struct pb p = sub(&g);
      json_object *env = json_object_new_object();

      while ((r = next(&p, &h)) > 0)
        if (h.wire == 2 && (h.num == 1 || h.num == 2))
          add_string(env, h.num == 1 ? "name" : "value", &h);
      json_object_array_add(array_in(c, "env"), env);
      if (r < 0)
        return -1;
    } else if (g.wire == 2 && g.num == 14) {
      add_string(c, "imagePullPolicy", &g);
    }
  }
  return r;
}

static int decode_template(const struct field *f, json_object *t) {
  struct pb b = sub(f);
  struct field g, h;
  int r;

  while ((r = next(&b, &g)) > 0) {
    if (g.num == 1 && g.wire == 2) {
      if (object_meta(&g, object_in(t, "metadata")) < 0)
        return -1;
    } else if (g.num == 2 && g.wire == 2) { /* PodSpec */
      struct pb p = sub(&g);
      json_object *spec = object_in(t, "spec");

      while ((r = next(&p, &h)) > 0) {
        if (h.num == 2 && h.wire == 2) {
          json_object *c = json_object_new_object();

          json_object_array_add(array_in(spec, "containers"), c);
          if (decode_container(&h, c) < 0)
            return -1;
        } else if (h.num == 3 && h.wire == 2) {
          add_string(spec, "restartPolicy", &h);
        } else if (h.num == 7 && h.wire == 2 &&
                   map_entry(&h, object_in(spec, "nodeSelector"), 0) != 0) {
          return -1;
        }
      }
      if (r < 0)
        return -1;
    }
  }
  return r;
}

static int decode_deployment(struct pb *b, json_object *o) {
  struct field f, g;
  int r;

  while ((r = next(b, &f)) > 0) {
    if (f.num == 1 && f.wire == 2) {
      if (object_meta(&f, object_in(o, "metadata")) < 0)
        return -1;
    } else if (f.num == 2 && f.wire == 2) { /* DeploymentSpec */
      struct pb s = sub(&f);
      json_object *spec = object_in(o, "spec");

      while ((r = next(&s, &g)) > 0) {
        if (g.num == 1 && g.wire == 0)
          json_object_object_add(spec, "replicas",
                                  json_object_new_int((int)g.v));
        else if (g.num == 2 && g.wire == 2) {
          if (decode_label_selector(&g, object_in(spec, "selector")) < 0)
            return -1;
        } else if (g.num == 3 && g.wire == 2) {
          if (decode_template(&g, object_in(spec, "template")) < 0)
            return -1;
        }
      }
      if (r < 0)
        return -1;
    }
  }
  return r;
}

int cp_protobuf_to_json(const char *body, size_t len, char **json,
                        const char **why) {
  struct pb b = {(const unsigned char *)body,
                 (const unsigned char *)body + len};
  struct field f, raw = {0, 0, 0, NULL, 0};
  char kind[64] = "", api_version[64] = "";
  json_object *o = NULL;
  int r, rc = -1;

  *json = NULL;
  *why = "the protobuf body is malformed";
  if (len < 4 || memcmp(body, "k8s\0", 4) != 0)
    return -1;
  b.p += 4;
  while ((r = next(&b, &f)) > 0) {
    if (f.num == 1 && f.wire == 2) { /* TypeMeta */
      struct pb t = sub(&f);
      struct field g;

      while ((r = next(&t, &g)) > 0) {
        char *dst = g.num == 1 ? api_version : g.num == 2 ? kind : NULL;

        if (dst != NULL && g.wire == 2 && g.len < 64) {
          memcpy(dst, g.data, g.len);
          dst[g.len] = '\0';
        }
      }
      if (r < 0)
        return -1;
    } else if (f.num == 2 && f.wire == 2) {
      raw = f;
    }
  }
  if (r < 0 || raw.data == NULL)
    return -1;
  if (!(strcmp(api_version, "v1") == 0 &&
        (strcmp(kind, "Namespace") == 0 || strcmp(kind, "ConfigMap") == 0 ||
         strcmp(kind, "Secret") == 0)) &&
      !(strcmp(api_version, "apps/v1") == 0 &&
        strcmp(kind, "Deployment") == 0)) {
    *why = "protobuf bodies are read for v1 Namespace, ConfigMap, Secret "
           "and apps/v1 Deployment only; send JSON (kubectl apply) for "
           "other kinds";
    return -1;
  }
  o = json_object_new_object();
  json_object_object_add(o, "apiVersion", json_object_new_string(api_version));
  json_object_object_add(o, "kind", json_object_new_string(kind));
  b = sub(&raw);
  if (strcmp(kind, "Deployment") == 0)
    r = decode_deployment(&b, o);
  else if (strcmp(kind, "Namespace") == 0)
    r = decode_namespace(&b, o);
  else
    r = decode_data(&b, o, strcmp(kind, "Secret") == 0);
  if (r < 0)
    goto out;
  if ((*json = strdup(json_object_to_json_string_ext(
           o, JSON_C_TO_STRING_PLAIN))) == NULL) {
    *why = "out of memory";
    goto out;
  }
  rc = 0;
out:
  json_object_put(o);
  return rc;
}
