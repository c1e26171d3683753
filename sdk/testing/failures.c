/*
 * failures - how the fake API server says no: kube-apiserver's Status
 * messages for the usual failures, and the failures a test injects
 * (cplane_test_fail), consumed in the order they were added.
 *
 * Threading: the rules are guarded by the host's mutex.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit.h"

/* ---- messages ---- */

char *kit_msg_not_found(const char *resource, const char *name) {
  return kit_strf("%s \"%s\" not found", resource, name != NULL ? name : "");
}

char *kit_msg_conflict(const char *resource, const char *name) {
  return kit_strf("Operation cannot be fulfilled on %s \"%s\": the object has "
                  "been modified; please apply your changes to the latest "
                  "version and try again",
                  resource, name != NULL ? name : "");
}

char *kit_msg_no_such_resource(void) {
  return strdup("the server could not find the requested resource");
}

/* Hands a message to the caller, or frees it. */
void kit_give(char **message, char *m) {
  if (message != NULL)
    *message = m;
  else
    free(m);
}

/* A 500 without a message is the kit running out of memory. */
void kit_oom_message(int code, char **message) {
  if (code == 500 && message != NULL && *message == NULL)
    kit_give(message, strdup("Internal error occurred: out of memory"));
}

/* 1 when a rule's resource pattern names resource/sub. */
int kit_pattern_matches(const char *pattern, const char *resource,
                        const char *sub) {
  const char *slash;

  if (pattern == NULL)
    return 1;
  if ((slash = strchr(pattern, '/')) == NULL)
    return strcmp(pattern, resource) == 0;
  return strlen(resource) == (size_t)(slash - pattern) &&
         strncmp(pattern, resource, strlen(resource)) == 0 &&
         strcmp(slash + 1, sub != NULL ? sub : "") == 0;
}

int kit_take_failure(struct cplane_test_host *h, const char *verb,
                     const char *resource, const char *sub, const char *name,
                     char **message) {
  struct kit_failure *f = NULL;
  size_t i;
  int code;

  for (i = 0; i < h->n_failures && f == NULL; i++)
    if ((h->failures[i].verb == NULL ||
         strcmp(h->failures[i].verb, verb) == 0) &&
        kit_pattern_matches(h->failures[i].resource, resource, sub))
      f = &h->failures[i];
  if (f == NULL)
    return 0;
  code = f->code;
  if (f->message != NULL)
    kit_give(message, strdup(f->message));
  else if (code == 404)
    kit_give(message, kit_msg_not_found(resource, name));
  else if (code == 409)
    kit_give(message, kit_msg_conflict(resource, name));
  else if (code == 500)
    kit_give(message, strdup("Internal error occurred: injected by "
                             "cplane_test_fail()"));
  else
    kit_give(message, kit_strf("injected by cplane_test_fail(): %d", code));
  if (--f->times == 0) {
    free(f->verb);
    free(f->resource);
    free(f->message);
    memmove(f, f + 1,
            (h->n_failures - (size_t)(f - h->failures) - 1) * sizeof *f);
    h->n_failures--;
  }
  return code;
}

static char *dup_or_null(const char *s) { return s != NULL ? strdup(s) : NULL; }

int cplane_test_fail(cplane_test_host *h, const char *verb,
                     const char *resource, unsigned times, int code,
                     const char *message) {
  struct kit_failure *grown, *f;
  int rc = CPLANE_OK;

  if (h == NULL || times == 0 || code < 100 || code > 599)
    return CPLANE_EINVAL;
  pthread_mutex_lock(&h->mu);
  grown = realloc(h->failures, (h->n_failures + 1) * sizeof *grown);
  if (grown == NULL) {
    rc = CPLANE_ENOMEM;
    goto out;
  }
  h->failures = grown;
  f = &h->failures[h->n_failures];
  *f = (struct kit_failure){dup_or_null(verb), dup_or_null(resource),
                            dup_or_null(message), times, code};
  if ((verb != NULL && f->verb == NULL) ||
      (resource != NULL && f->resource == NULL) ||
      (message != NULL && f->message == NULL)) {
    free(f->verb);
    free(f->resource);
    free(f->message);
    rc = CPLANE_ENOMEM;
    goto out;
  }
  h->n_failures++;
out:
  pthread_mutex_unlock(&h->mu);
  return rc;
}

void kit_failures_free(struct cplane_test_host *h) {
  size_t i;

  for (i = 0; i < h->n_failures; i++) {
    free(h->failures[i].verb);
    free(h->failures[i].resource);
    free(h->failures[i].message);
  }
  free(h->failures);
}
