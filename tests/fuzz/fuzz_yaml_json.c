/*
 * libFuzzer target: YAML to JSON (host/object/yaml_json.c, libyaml
 * underneath), what a YAML request body goes through. The input is the
 * YAML text. Promises checked: a refusal always says why; what is
 * accepted serializes to JSON that json_strict (the request body reader)
 * reads back to the same text.
 */
#include "fuzz_input.h"
#include "object/json_strict.h"
#include "object/yaml_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct cp_json_strict_dups dups = {0};
  struct cp_yaml_json_limits lim = cp_yaml_json_default_limits;
  json_object *o = NULL, *back = NULL;
  const char *why, *text;
  char *err = NULL, *copy;
  size_t at;
  int line, rc;

  lim.max_nodes = 100000; /* keep alias expansion fast under the fuzzer */
  lim.max_bytes = 1 << 20;
  rc = cp_yaml_json_parse((const char *)data, size, &lim, &o, &dups, &err,
                          &line);
  if (rc != CP_YAML_JSON_OK) {
    if (o != NULL || (err == NULL && rc != CP_YAML_JSON_NOMEM))
      abort(); /* a refusal has no value and says why */
    goto out;
  }
  if (err != NULL)
    abort();
  text = o != NULL ? json_object_to_json_string_ext(o, OUT) : "null";
  if ((copy = strdup(text)) == NULL)
    goto out;
  if (cp_json_strict_parse(copy, strlen(copy), 200, &back, NULL, &why,
                           &at) != CP_JSON_STRICT_OK ||
      strcmp(back != NULL ? json_object_to_json_string_ext(back, OUT)
                          : "null",
             copy) != 0)
    abort(); /* the JSON read back is not what was written */
  free(copy);
out:
  cp_json_strict_dups_clear(&dups);
  json_object_put(back);
  json_object_put(o);
  free(err);
  return 0;
}
