/*
 * field_selector - kube's fieldSelector: comma-separated path=value,
 * path==value or path!=value terms on dotted JSON paths (metadata.name,
 * spec.nodeName, status.phase, involvedObject.uid, ...), parsed once per
 * request and matched against each object of a list or watch. Which
 * paths a kind may be selected by is its strategy's (field_labels).
 *
 * Threading: a parsed selector is immutable; matching is safe from
 * several threads at once.
 * Ownership: cp_field_selector_free frees what parse allocated.
 */
#ifndef CPLANE_HOST_APISERVER_FIELD_SELECTOR_H
#define CPLANE_HOST_APISERVER_FIELD_SELECTOR_H

#include <stddef.h>

struct json_object;

struct cp_field_term {
  char *path, *value;
  int negate;
};

struct cp_field_selector {
  struct cp_field_term *terms;
  size_t n;
};

/* Parses text (NULL or "": no terms) into f. Returns 0, or -1 with *err
 * the message (malloc'd; NULL when out of memory) and f empty. */
int cp_field_selector_parse(const char *text, struct cp_field_selector *f,
                            char **err);
void cp_field_selector_free(struct cp_field_selector *f);
/* 1 when every term holds for o (an absent field compares as ""). */
int cp_field_selector_matches(const struct cp_field_selector *f,
                              struct json_object *o);

#endif /* CPLANE_HOST_APISERVER_FIELD_SELECTOR_H */
