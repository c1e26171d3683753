/*
 * libFuzzer target: Kubernetes protobuf bodies (host/apiserver/protobuf.c)
 * both ways. What decodes must be one valid JSON value (the handlers parse
 * it next as if a client had sent it), and must encode back to protobuf
 * that decodes to the same JSON: the table-driven decoder and encoder
 * agree on every kind.
 */
#include <cplane/host_api.h>

#include <json-c/json.h>

#include "apiserver/protobuf.h"
#include "fuzz_input.h"
#include "object/object.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* decode(encode(o)) == o for what the decoder produced. */
static void round_trip(const char *json) {
  struct json_tokener *tok = json_tokener_new_ex(256);
  json_object *o, *back;
  char *pb = NULL, *again = NULL;
  const char *why = NULL;
  size_t len = 0;

  if (tok == NULL)
    return;
  o = json_tokener_parse_ex(tok, json, -1);
  if (o == NULL)
    abort();
  if (cp_protobuf_from_json(o, &pb, &len) != 0)
    abort(); /* whatever decodes is a known kind with well-typed members */
  if (cp_protobuf_to_json(pb, len, &again, &why) != 0)
    abort();
  json_tokener_reset(tok);
  back = json_tokener_parse_ex(tok, again, -1);
  if (back == NULL || !json_object_equal(o, back))
    abort();
  json_object_put(back);
  json_object_put(o);
  json_tokener_free(tok);
  free(again);
  free(pb);
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
  }
  free(json);
  return 0;
}
