/*
 * libFuzzer target: CEL (host/cel). A bare input is an expression:
 * compiled, then evaluated with `self` bound to a fixed object under a
 * small cost limit. "JSON\0EXPR" binds self to JSON instead. Every
 * refusal must carry a message; every evaluation must end (the cost
 * limit) and answer a bool or an error with a message.
 */
#include <json-c/json.h>

#include "cel/cel.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fixed_self =
    "{\"replicas\":3,\"max\":5,\"name\":\"web-1\",\"labels\":{\"app\":"
    "\"web\"},\"ports\":[80,443],\"ratio\":0.5,\"on\":true,\"memory\":"
    "\"1Gi\",\"url\":\"https://example.com:8443/a?b=c\",\"none\":null,"
    "\"ip\":\"10.1.2.3\",\"net\":\"10.0.0.0/8\",\"ver\":\"1.2.3\","
    "\"zone\":\"America/New_York\"}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const vars[] = {"self", "oldSelf", NULL};
  char *json = NULL, *src = NULL, *err = NULL, *out = NULL;
  size_t len = 0;
  json_object *self = NULL;
  struct cp_cel_program *p;
  struct cp_cel_binding b[2];
  int rc;

  if (size > 64 * 1024 || fuzz_split(data, size, &json, &src, &len) < 0)
    return 0;
  self = json_tokener_parse(json != NULL ? json : fixed_self);
  p = cp_cel_compile(src, vars, &err);
  if (p == NULL) {
    if (err == NULL)
      abort(); /* a refusal must say why */
    goto out;
  }
  b[0].name = "self";
  b[0].value = self;
  b[0].optional = 0;
  b[1].name = "oldSelf";
  b[1].value = json != NULL ? NULL : self;
  b[1].optional = 1; /* an optional oldSelf: none with a given JSON */
  rc = cp_cel_eval_bool(p, b, 2, 100000, NULL, &err);
  if (rc < 0 && err == NULL)
    abort();
  free(err);
  err = NULL;
  if (cp_cel_eval_string(p, b, 2, 100000, NULL, &out, &err) < 0 &&
      err == NULL)
    abort();
  cp_cel_program_free(p);
out:
  json_object_put(self);
  free(out);
  free(err);
  free(json);
  free(src);
  return 0;
}
