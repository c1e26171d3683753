/*
 * libFuzzer target: Kubernetes protobuf request bodies
 * (host/apiserver/protobuf.c). What decodes must be one valid JSON value:
 * the handlers parse it next as if a client had sent it.
 */
#include <cplane/host_api.h>

#include "apiserver/protobuf.h"
#include "fuzz_input.h"
#include "object/object.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *json = NULL;
  const char *why = NULL;

  if (cp_protobuf_to_json((const char *)data, size, &json, &why) == 0) {
    if (json == NULL || !cp_json_valid(json, strlen(json)))
      abort();
  } else if (why == NULL) {
    abort(); /* a refusal always says why */
  }
  free(json);
  return 0;
}
