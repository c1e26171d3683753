/*
 * selector - Kubernetes label selectors: parse once, match many times.
 *
 * Syntax as kubectl -l and the API's labelSelector query parameter:
 * equality (a=b, a==b, a!=b), set-based (a in (x,y), a notin (x), a, !a),
 * requirements separated by commas, all of which must hold. The empty
 * selector matches everything. Keys and values are checked against the
 * label syntax (qualified names up to 63 characters with an optional DNS
 * prefix up to 253; values up to 63 characters).
 *
 * Threading: a parsed selector is immutable; match from any thread.
 * Ownership: cp_selector_parse() returns an owned selector; free it with
 * cp_selector_free(). *errmsg, when set, is malloc'd; the caller frees it.
 */
#ifndef CPLANE_HOST_LABELS_SELECTOR_H
#define CPLANE_HOST_LABELS_SELECTOR_H

#include <cplane/host_api.h>

typedef struct cp_selector cp_selector;

/* Looks a label up by key; returns its value or NULL when absent. */
typedef const char *(*cp_label_lookup_fn)(void *userdata, const char *key);

/* Parses `text` (NULL or "" is the empty selector). Returns CPLANE_OK, or
 * CPLANE_EINVAL with *errmsg naming the offending requirement. */
int cp_selector_parse(const char *text, cp_selector **out, char **errmsg);
void cp_selector_free(cp_selector *sel);
/* Nonzero when the selector matches everything. */
int cp_selector_is_empty(const cp_selector *sel);
/* 1 when every requirement holds for the labels `lookup` reports. */
int cp_selector_matches_fn(const cp_selector *sel, cp_label_lookup_fn lookup,
                           void *userdata);
/* 1 when every requirement holds for obj's metadata.labels. */
int cp_selector_matches(const cp_selector *sel, const cplane_object *obj);

/* The metav1.LabelSelector ({matchLabels, matchExpressions}) at `path` of
 * obj as selector text: "app=web,tier in (a,b),!canary". An empty
 * selector ({}) gives "" (everything). NULL when the selector is absent,
 * malformed (an unknown operator, a non-string value) or out of memory.
 * Owned: free(). */
char *cp_selector_text_from(const cplane_object *obj, const char *path);

#endif /* CPLANE_HOST_LABELS_SELECTOR_H */
