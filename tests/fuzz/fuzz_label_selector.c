/*
 * libFuzzer target: label selectors (host/labels/selector.c). The input
 * is the selector text; a selector that parses is matched against a fixed
 * set of labels, and metav1.LabelSelector objects are rendered to text.
 * Input "SELECTOR\0JSON" also renders JSON's spec.selector and, when that
 * text comes back, parses it again: what the host writes it must read.
 */
#include <cplane/host_api.h>

#include "fuzz_input.h"
#include "labels/selector.h"
#include "object/object.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *lookup(void *userdata, const char *key) {
  static const char *const labels[][2] = {
      {"app", "web"}, {"tier", "front"}, {"env", ""}, {"a.b/c", "x-y_z.1"}};
  size_t i;

  (void)userdata;
  for (i = 0; i < sizeof labels / sizeof labels[0]; i++)
    if (strcmp(labels[i][0], key) == 0)
      return labels[i][1];
  return NULL;
}

static void parse_and_match(const char *text) {
  cp_selector *sel = NULL;
  char *err = NULL;

  if (cp_selector_parse(text, &sel, &err) == CPLANE_OK) {
    if (err != NULL)
      abort(); /* no message on success */
    (void)cp_selector_is_empty(sel);
    (void)cp_selector_matches_fn(sel, lookup, NULL);
  } else if (err == NULL) {
    abort(); /* a refusal always says why */
  }
  cp_selector_free(sel);
  free(err);
}

static void render(const char *json, size_t len) {
  cplane_object *obj = NULL;
  char *text;

  if (cp_object_parse(json, len, &obj, NULL) != CPLANE_OK)
    return;
  text = cp_selector_text_from(obj, "spec.selector");
  if (text != NULL)
    parse_and_match(text);
  free(text);
  cp_object_release(obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *head = NULL, *tail = NULL;
  size_t tail_len;

  if (fuzz_split(data, size, &head, &tail, &tail_len) != 0)
    return 0;
  if (head == NULL) {
    parse_and_match(tail);
  } else {
    parse_and_match(head);
    render(tail, tail_len);
  }
  free(head);
  free(tail);
  return 0;
}
