/*
 * crd_cleanup - see crd_cleanup.h.
 */
#include "apiserver/crd_cleanup.h"

#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock/deadline.h"
#include "log/log.h"

/* Where the definitions are stored (built-in kind layout). */
#define CRD_PREFIX "customresourcedefinitions/"
/* The time between two passes while a definition is terminating. */
#define PASS_MS 1000

/* How many custom resources this loop has deleted for one terminating
 * definition so far, for the line that says its cleanup is done. */
struct tally {
  char *uid; /* owned */
  size_t deleted;
  int seen; /* terminating in the current pass */
  struct tally *next;
};

struct cp_crd_cleanup {
  struct cp_api_ctx *ctx; /* borrowed; outlives the loop */
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv; /* CLOCK_MONOTONIC */
  int kicked, stopping; /* under mu */
  struct tally *tallies; /* the loop's thread only */
};

static json_object *member(json_object *o, const char *k) {
  json_object *v = NULL;

  if (o == NULL || !json_object_is_type(o, json_type_object) ||
      !json_object_object_get_ex(o, k, &v))
    return NULL;
  return v;
}

static const char *member_str(json_object *o, const char *k) {
  json_object *v = member(o, k);

  return v != NULL && json_object_is_type(v, json_type_string)
             ? json_object_get_string(v)
             : NULL;
}

static int being_deleted(json_object *o) {
  return member_str(member(o, "metadata"), "deletionTimestamp") != NULL;
}

/* The index of finalizer f in o's metadata.finalizers, or -1. */
static int finalizer_at(json_object *o, const char *f) {
  json_object *fs = member(member(o, "metadata"), "finalizers");
  size_t i;

  if (fs == NULL || !json_object_is_type(fs, json_type_array))
    return -1;
  for (i = 0; i < json_object_array_length(fs); i++) {
    const char *s = json_object_get_string(json_object_array_get_idx(fs, i));

    if (s != NULL && strcmp(s, f) == 0)
      return (int)i;
  }
  return -1;
}

/* Runs one request through the handlers, as a client's would go. Takes
 * ns, name and body (malloc'd; each may be NULL). Returns the HTTP code
 * (500 when out of memory) and, when out is not NULL, the response body
 * (malloc'd, caller frees; may be NULL). */
static int run(struct cp_api_ctx *ctx, const struct cp_resource_type *t,
               enum cp_api_method m, char *ns, char *name, char *body,
               char **out) {
  struct cp_api_request rq;
  struct cp_api_response rs;

  memset(&rq, 0, sizeof rq);
  memset(&rs, 0, sizeof rs);
  rq.method = m;
  rq.type = t;
  rq.ns = ns;
  rq.name = name;
  rq.body = body;
  rq.body_len = body != NULL ? strlen(body) : 0;
  if (name == NULL || (m == CP_API_PUT && body == NULL))
    rs.code = 500;
  else
    cp_api_handle(ctx, &rq, &rs);
  cp_api_request_clear(&rq);
  if (out != NULL)
    *out = rs.body;
  else
    free(rs.body);
  return rs.code;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* The loop's count for the definition with this uid, added when new
 * (NULL when out of memory: the count is then only missing from the
 * log). */
static struct tally *tally_of(struct cp_crd_cleanup *c, const char *uid) {
  struct tally *t;

  for (t = c->tallies; t != NULL; t = t->next)
    if (strcmp(t->uid, uid) == 0)
      break;
  if (t == NULL && (t = calloc(1, sizeof *t)) != NULL) {
    if ((t->uid = strdup(uid)) == NULL) {
      free(t);
      return NULL;
    }
    t->next = c->tallies;
    c->tallies = t;
  }
  if (t != NULL)
    t->seen = 1;
  return t;
}

/* Drops the counts of definitions not terminating any more (gone, or
 * finished by another API server); all = 1 drops every one. */
static void drop_tallies(struct cp_crd_cleanup *c, int all) {
  struct tally **p = &c->tallies;

  while (*p != NULL) {
    struct tally *t = *p;

    if (!all && t->seen) {
      t->seen = 0;
      p = &t->next;
      continue;
    }
    *p = t->next;
    free(t->uid);
    free(t);
  }
}

/* One type the definition serves here (borrowed from the registry, which
 * keeps it alive), or NULL. Every version's resources share one store
 * prefix, so any will do. */
static const struct cp_resource_type *served_type(struct cp_resources *r,
                                                  json_object *crd) {
  json_object *spec = member(crd, "spec"), *vs = member(spec, "versions");
  const char *group = member_str(spec, "group");
  const char *plural = member_str(member(spec, "names"), "plural");
  const struct cp_resource_type *t = NULL;
  size_t i;

  if (group == NULL || plural == NULL ||
      !json_object_is_type(vs, json_type_array))
    return NULL;
  for (i = 0; t == NULL && i < json_object_array_length(vs); i++) {
    const char *v = member_str(json_object_array_get_idx(vs, i), "name");

    if (v != NULL)
      t = cp_resources_find(r, group, v, plural);
  }
  return t;
}

/* DELETEs one custom resource that is not being deleted yet. Returns 1
 * when it is still there (its finalizers hold it, or the delete failed:
 * logged), else 0; *deleted counts it when this call deleted or marked
 * it. */
static int delete_one(struct cp_api_ctx *ctx, const struct cp_resource_type *t,
                      json_object *o, size_t *deleted) {
  json_object *md = member(o, "metadata"), *after = NULL;
  const char *name = member_str(md, "name"), *ns = member_str(md, "namespace");
  char *body = NULL;
  int code, held;

  code = run(ctx, t, CP_API_DELETE, dup_or_null(ns), dup_or_null(name), NULL,
             &body);
  if (code == 404) {
    free(body);
    return 0; /* someone else deleted it */
  }
  if (code != 200) {
    cp_log_warn("apiserver", "cannot delete %s.%s %s%s%s (HTTP %d): will "
                "retry", t->resource, t->group, ns ? ns : "", ns ? "/" : "",
                name ? name : "?", code);
    free(body);
    return 1;
  }
  (*deleted)++;
  after = body != NULL ? json_tokener_parse(body) : NULL;
  held = after == NULL || being_deleted(after);
  json_object_put(after);
  free(body);
  return held;
}

/* Deletes every custom resource of the definition's type t. Returns how
 * many are left (held by their finalizers, or not deleted: logged), or -1
 * when they could not be listed (logged); *deleted counts what this pass
 * deleted or marked. */
static long delete_all(struct cp_api_ctx *ctx, const struct cp_resource_type *t,
                       const char *crd_name, size_t *deleted) {
  cp_store_list_result res;
  char *prefix = cp_api_key(t, NULL, NULL);
  long left = 0;
  size_t i;
  int rc = CPLANE_ENOMEM;

  memset(&res, 0, sizeof res);
  if (prefix != NULL)
    rc = cp_store_list(ctx->store, prefix, strlen(prefix), NULL, 0, 0, 0,
                       &res);
  free(prefix);
  if (rc != CPLANE_OK) {
    cp_log_warn("apiserver", "customresourcedefinition %s: cannot list its "
                "custom resources: %s; will retry", crd_name,
                cp_store_strerror(rc));
    return -1;
  }
  for (i = 0; i < res.count; i++) {
    json_object *o = cp_api_parse_stored(NULL, &res.kvs[i]);

    /* Marked already: their controllers are removing the finalizers. */
    if (o == NULL || being_deleted(o))
      left++;
    else
      left += delete_one(ctx, t, o, deleted);
    json_object_put(o);
  }
  cp_store_list_result_free(&res);
  return left;
}

/* Takes the cleanup finalizer off the terminating definition crd (as
 * read, with its resourceVersion, so that a change meanwhile is a
 * conflict rather than lost), through an ordinary update: without other
 * finalizers that removes it, and crd_deleted stops serving its types. */
static void release(struct cp_api_ctx *ctx, json_object *crd,
                    const char *name, size_t deleted) {
  const struct cp_resource_type *t = cp_resources_find(
      ctx->resources, "apiextensions.k8s.io", "v1", "customresourcedefinitions");
  json_object *fs = member(member(crd, "metadata"), "finalizers");
  int at = finalizer_at(crd, CP_CRD_CLEANUP_FINALIZER), code;
  const char *text;

  if (t == NULL || at < 0)
    return;
  json_object_array_del_idx(fs, (size_t)at, 1);
  text = json_object_to_json_string_ext(crd, JSON_C_TO_STRING_PLAIN);
  code = run(ctx, t, CP_API_PUT, NULL, strdup(name),
             text != NULL ? strdup(text) : NULL, NULL);
  if (code == 200)
    cp_log_info("apiserver", "customresourcedefinition %s: cleanup "
                "finished, %zu custom resource(s) deleted here; its %s "
                "finalizer is removed", name, deleted,
                CP_CRD_CLEANUP_FINALIZER);
  else if (code == 409 || code == 404)
    cp_log_debug("apiserver", "customresourcedefinition %s changed or went "
                 "meanwhile (HTTP %d): the next pass looks again", name,
                 code);
  else
    cp_log_warn("apiserver", "customresourcedefinition %s: cannot remove "
                "the %s finalizer (HTTP %d): will retry", name,
                CP_CRD_CLEANUP_FINALIZER, code);
}

/* One terminating definition: its custom resources deleted, and the
 * definition released once none is left. */
static void clean_one(struct cp_crd_cleanup *c, json_object *crd) {
  json_object *md = member(crd, "metadata");
  const char *name = member_str(md, "name"), *uid = member_str(md, "uid");
  const struct cp_resource_type *t;
  struct tally *tally = uid != NULL ? tally_of(c, uid) : NULL;
  size_t deleted = 0;
  long left;

  if (name == NULL)
    return;
  if ((t = served_type(c->ctx->resources, crd)) == NULL) {
    /* The sync serves it within moments of its creation. */
    cp_log_warn("apiserver", "customresourcedefinition %s: none of its "
                "types is served here yet; cleanup will retry", name);
    return;
  }
  left = delete_all(c->ctx, t, name, &deleted);
  if (tally != NULL)
    tally->deleted += deleted;
  if (left == 0)
    release(c->ctx, crd, name, tally != NULL ? tally->deleted : deleted);
}

/* Loop thread: every terminating definition in the store that still has
 * the cleanup finalizer. Returns how many there were (-1: the store could
 * not be read), so an idle server does not list the definitions every
 * second. */
static int pass(struct cp_crd_cleanup *c) {
  cp_store_list_result res;
  size_t i;
  int rc, found = 0;

  memset(&res, 0, sizeof res);
  rc = cp_store_list(c->ctx->store, CRD_PREFIX, strlen(CRD_PREFIX), NULL, 0,
                     0, 0, &res);
  if (rc != CPLANE_OK) {
    cp_log_warn("apiserver", "cannot read the customresourcedefinitions to "
                "clean up: %s; will retry", cp_store_strerror(rc));
    return -1;
  }
  for (i = 0; i < res.count; i++) {
    json_object *o = cp_api_parse_stored(NULL, &res.kvs[i]);

    if (o != NULL && being_deleted(o) &&
        finalizer_at(o, CP_CRD_CLEANUP_FINALIZER) >= 0) {
      clean_one(c, o);
      found++;
    }
    json_object_put(o);
  }
  cp_store_list_result_free(&res);
  drop_tallies(c, 0);
  return found;
}

static void *cleanup_main(void *arg) {
  struct cp_crd_cleanup *c = arg;
  struct timespec next;

  pthread_setname_np(pthread_self(), "api-crd-clean"); /* top -H */
  pthread_mutex_lock(&c->mu);
  while (!c->stopping) {
    int busy;

    c->kicked = 0;
    pthread_mutex_unlock(&c->mu);
    busy = pass(c) != 0;
    cp_deadline_after_ms(CLOCK_MONOTONIC, PASS_MS, &next);
    pthread_mutex_lock(&c->mu);
    /* Nothing terminating: sleep until a definition starts terminating
     * (the DELETE handler and the definitions' watch kick). Otherwise
     * come back every PASS_MS: the resources' own finalizers go without
     * telling us. */
    while (!c->kicked && !c->stopping)
      if (busy ? pthread_cond_timedwait(&c->cv, &c->mu, &next) == ETIMEDOUT
               : pthread_cond_wait(&c->cv, &c->mu) != 0)
        break;
  }
  pthread_mutex_unlock(&c->mu);
  return NULL;
}

void cp_crd_cleanup_kick(void *cleanup) {
  struct cp_crd_cleanup *c = cleanup;

  pthread_mutex_lock(&c->mu);
  c->kicked = 1;
  pthread_cond_signal(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

struct cp_crd_cleanup *cp_crd_cleanup_start(struct cp_api_ctx *ctx) {
  struct cp_crd_cleanup *c = calloc(1, sizeof *c);
  pthread_condattr_t ca;

  if (c == NULL)
    return NULL;
  c->ctx = ctx;
  pthread_mutex_init(&c->mu, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&c->cv, &ca);
  pthread_condattr_destroy(&ca);
  /* Before the thread: its requests read them. */
  ctx->crd_terminating = cp_crd_cleanup_kick;
  ctx->crd_terminating_arg = c;
  if (pthread_create(&c->thread, NULL, cleanup_main, c) != 0) {
    ctx->crd_terminating = NULL;
    ctx->crd_terminating_arg = NULL;
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
    return NULL;
  }
  return c;
}

void cp_crd_cleanup_stop(struct cp_crd_cleanup *c) {
  if (c == NULL)
    return;
  pthread_mutex_lock(&c->mu);
  c->stopping = 1;
  pthread_cond_signal(&c->cv);
  pthread_mutex_unlock(&c->mu);
  pthread_join(c->thread, NULL);
  /* After the join: the thread's own requests read them. */
  if (c->ctx->crd_terminating_arg == c) {
    c->ctx->crd_terminating = NULL;
    c->ctx->crd_terminating_arg = NULL;
  }
  drop_tallies(c, 1);
  pthread_cond_destroy(&c->cv);
  pthread_mutex_destroy(&c->mu);
  free(c);
}
