/*
 * fuzz_json_decode - libFuzzer target for object/json_strict, the decoder
 * every request body goes through. Whatever it accepts must re-serialize
 * (json-c, as the server writes responses and the store) to text that it
 * accepts again, with the same serialization: nothing non-JSON may ever
 * reach a response or the store.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "object/json_strict.h"

#define OUT (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct cp_json_strict_dups dups = {0};
  json_object *o = NULL, *again = NULL;
  const char *err, *text;
  char *copy;
  size_t at;
  int rc;

  rc = cp_json_strict_parse((const char *)data, size, 64, &o, &dups, &err,
                            &at);
  cp_json_strict_dups_clear(&dups);
  if (rc != CP_JSON_STRICT_OK) {
    if (o != NULL || err == NULL || at > size)
      abort();
    return 0;
  }
  text = o != NULL ? json_object_to_json_string_ext(o, OUT) : "null";
  if (text == NULL)
    abort();
  copy = strdup(text);
  if (copy == NULL)
    abort();
  if (cp_json_strict_parse(copy, strlen(copy), 64, &again, NULL, &err,
                           &at) != CP_JSON_STRICT_OK)
    abort(); /* accepted, but what we would write back is not JSON */
  if (strcmp(again != NULL ? json_object_to_json_string_ext(again, OUT)
                           : "null",
             copy) != 0)
    abort(); /* not stable across a store round trip */
  free(copy);
  json_object_put(again);
  json_object_put(o);
  return 0;
}
