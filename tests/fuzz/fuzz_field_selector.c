/*
 * libFuzzer target: a request's fieldSelector and labelSelector as the
 * handlers read them (cp_api_selectors_parse in handlers.c). Input
 * "FIELD\0LABEL" or a bare FIELD; a pair that parses is matched against
 * a fixed Pod, one that does not must answer a 400 Status.
 */
#include <json-c/json.h>

#include <cplane/host_api.h>

#include "apiserver/request.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char pod[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
    "\"namespace\":\"default\",\"labels\":{\"app\":\"web\"}},"
    "\"spec\":{\"nodeName\":\"n1\",\"restartPolicy\":\"Always\"},"
    "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.0.0.1\"}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *keys[2] = {"fieldSelector", "labelSelector"}, *values[2];
  char *head = NULL, *tail = NULL;
  struct cp_api_request rq;
  struct cp_api_response rs;
  struct cp_api_selectors *sel = NULL;
  json_object *o;
  size_t len;

  if (fuzz_split(data, size, &head, &tail, &len) != 0)
    return 0;
  memset(&rq, 0, sizeof rq);
  memset(&rs, 0, sizeof rs);
  values[0] = head != NULL ? head : tail;
  values[1] = head != NULL ? tail : NULL;
  rq.query.keys = keys;
  rq.query.values = values;
  rq.query.n = head != NULL ? 2 : 1;
  if (cp_api_selectors_parse(&rq, &sel, &rs) == 0) {
    if (rs.body != NULL)
      abort();
    o = json_tokener_parse(pod);
    (void)cp_api_selectors_match(sel, o);
    json_object_put(o);
    cp_api_selectors_free(sel);
  } else if (rs.code != 400 || rs.body == NULL) {
    abort(); /* a bad selector is a 400 Status */
  }
  free(rs.body);
  free(head);
  free(tail);
  return 0;
}
