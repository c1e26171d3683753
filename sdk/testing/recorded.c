/*
 * recorded - the writes the plugin made, as the test inspects them, and
 * the dispatch-thread rule: a blocking call from on_add/on_update/
 * on_delete is counted and logged, as the real host warns.
 *
 * Threading: records are appended under the host's mutex; inspection runs
 * on the test's thread while the plugin is not running.
 */
#include <stdlib.h>
#include <string.h>

#include "kit.h"

/* ---- dispatch-thread rule and records ---- */

int kit_check_dispatch(struct cplane_test_host *h, const char *what) {
  const char *cb = kit_dispatching;

  if (cb == NULL)
    return 0;
  pthread_mutex_lock(&h->mu);
  h->dispatch_writes++;
  pthread_mutex_unlock(&h->mu);
  kit_log(h, "KIT",
          "%s from %s: blocking calls belong in reconcile(), "
          "never in a dispatch callback",
          what, cb);
  return 1;
}

static void write_free(struct cplane_test_write *w) {
  free((char *)w->verb);
  free((char *)w->resource);
  free((char *)w->subresource);
  free((char *)w->ns);
  free((char *)w->name);
  free((char *)w->body);
  free(w);
}

void kit_record_write(struct cplane_test_host *h, const char *verb,
                      const char *resource, const char *sub, const char *ns,
                      const char *name, int patch_type, const char *body,
                      int code) {
  struct cplane_test_write *w = calloc(1, sizeof *w), **grown;

  if (w == NULL)
    return;
  w->verb = strdup(verb);
  w->resource = strdup(resource);
  w->subresource = strdup(sub != NULL ? sub : "");
  w->ns = strdup(ns != NULL ? ns : "");
  w->name = strdup(name != NULL ? name : "");
  w->body = strdup(body != NULL ? body : "");
  w->patch_type = patch_type;
  w->code = code;
  w->from_dispatch = kit_dispatching != NULL;
  grown = realloc(h->writes, (h->n_writes + 1) * sizeof *grown);
  if (grown == NULL || w->verb == NULL || w->resource == NULL ||
      w->subresource == NULL || w->ns == NULL || w->name == NULL ||
      w->body == NULL) {
    h->writes = grown != NULL ? grown : h->writes;
    write_free(w);
    return;
  }
  h->writes = grown;
  h->writes[h->n_writes++] = w;
}

/* ---- inspection ---- */

size_t cplane_test_writes_len(const cplane_test_host *h) {
  return h != NULL ? h->n_writes : 0;
}

const struct cplane_test_write *cplane_test_write_at(const cplane_test_host *h,
                                                     size_t i) {
  return h != NULL && i < h->n_writes ? h->writes[i] : NULL;
}

size_t cplane_test_writes_count(const cplane_test_host *h, const char *verb,
                                const char *resource) {
  size_t i, n = 0;

  for (i = 0; h != NULL && i < h->n_writes; i++) {
    const struct cplane_test_write *w = h->writes[i];

    if ((verb == NULL || strcmp(w->verb, verb) == 0) &&
        kit_pattern_matches(resource, w->resource, w->subresource))
      n++;
  }
  return n;
}

void cplane_test_writes_clear(cplane_test_host *h) {
  size_t i;

  if (h == NULL)
    return;
  pthread_mutex_lock(&h->mu);
  for (i = 0; i < h->n_writes; i++)
    write_free(h->writes[i]);
  free(h->writes);
  h->writes = NULL;
  h->n_writes = 0;
  pthread_mutex_unlock(&h->mu);
}

size_t cplane_test_dispatch_writes(const cplane_test_host *h) {
  return h != NULL ? h->dispatch_writes : 0;
}

void kit_writes_free(struct cplane_test_host *h) {
  cplane_test_writes_clear(h);
}
