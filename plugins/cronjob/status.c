/*
 * status - see status.h.
 */
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup(const char *s) { return strdup(s != NULL ? s : ""); }

static int push(struct cj_status *st, const char *name, const char *ns,
                const char *uid, const char *rv) {
  struct cj_ref *r, *grown;

  if (st->n_active >= CJ_MAX_ACTIVE)
    return -1;
  grown = realloc(st->active, (st->n_active + 1) * sizeof *st->active);
  if (grown == NULL)
    return -1;
  st->active = grown;
  r = &st->active[st->n_active];
  r->name = dup(name);
  r->ns = dup(ns);
  r->uid = dup(uid);
  r->rv = dup(rv);
  st->n_active++;
  if (r->name == NULL || r->ns == NULL || r->uid == NULL || r->rv == NULL)
    return -1;
  return 0;
}

static int64_t time_at(const struct cplane_host_api *api,
                       const cplane_object *o, const char *path) {
  int64_t ms;

  return cplane_time_parse(api->object_string(o, path), &ms) == CPLANE_OK
             ? ms
             : -1;
}

int cj_status_load(const struct cplane_host_api *api, const cplane_object *cj,
                   struct cj_status *st) {
  char p[4][64];
  int i, n = api->object_len(cj, "status.active");

  memset(st, 0, sizeof *st);
  st->last_schedule_ms = time_at(api, cj, "status.lastScheduleTime");
  st->last_successful_ms = time_at(api, cj, "status.lastSuccessfulTime");
  for (i = 0; i < n && i < CJ_MAX_ACTIVE; i++) {
    snprintf(p[0], sizeof p[0], "status.active[%d].name", i);
    snprintf(p[1], sizeof p[1], "status.active[%d].namespace", i);
    snprintf(p[2], sizeof p[2], "status.active[%d].uid", i);
    snprintf(p[3], sizeof p[3], "status.active[%d].resourceVersion", i);
    if (api->object_string(cj, p[0]) == NULL)
      continue; /* not a reference we can use */
    if (push(st, api->object_string(cj, p[0]), api->object_string(cj, p[1]),
             api->object_string(cj, p[2]), api->object_string(cj, p[3])) < 0)
      return -1;
  }
  return 0;
}

static void ref_free(struct cj_ref *r) {
  free(r->name);
  free(r->ns);
  free(r->uid);
  free(r->rv);
}

void cj_status_free(struct cj_status *st) {
  size_t i;

  for (i = 0; i < st->n_active; i++)
    ref_free(&st->active[i]);
  free(st->active);
  memset(st, 0, sizeof *st);
}

int cj_status_find(const struct cj_status *st, const char *uid,
                   const char *name) {
  size_t i;

  for (i = 0; i < st->n_active; i++)
    if (uid != NULL ? strcmp(st->active[i].uid, uid) == 0
                    : strcmp(st->active[i].name, name) == 0)
      return (int)i;
  return -1;
}

void cj_status_remove(struct cj_status *st, int i) {
  if (i < 0 || (size_t)i >= st->n_active)
    return;
  ref_free(&st->active[i]);
  memmove(&st->active[i], &st->active[i + 1],
          (st->n_active - (size_t)i - 1) * sizeof *st->active);
  st->n_active--;
  st->changed = 1;
}

int cj_status_add(const struct cplane_host_api *api, struct cj_status *st,
                  const cplane_object *job) {
  st->changed = 1;
  return push(st, api->object_name(job), api->object_namespace(job),
              api->object_uid(job), api->object_resource_version(job));
}

/* A time for the patch: a JSON string, or null to clear it. */
static void add_time(struct cplane_strbuf *b, const char *field, int64_t ms) {
  char t[CPLANE_TIME_LEN];

  cplane_strbuf_addf(b, ",\"%s\":", field);
  if (ms >= 0 && cplane_time_format(ms, t, sizeof t) == 0)
    cplane_strbuf_addf(b, "\"%s\"", t);
  else
    cplane_strbuf_add(b, "null");
}

char *cj_status_patch(const struct cplane_host_api *api,
                      const cplane_object *cj, const struct cj_status *st) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  char *text, *patch;
  size_t i;

  cplane_strbuf_add(&b, "{\"metadata\":{\"resourceVersion\":");
  cplane_strbuf_take(&b, api,
                     api->json_format("%s", api->object_resource_version(cj)));
  /* An empty list is null: merge patch then removes the field, as kube's
   * omitempty leaves it out. */
  cplane_strbuf_add(&b, "},\"status\":{\"active\":");
  cplane_strbuf_add(&b, st->n_active > 0 ? "[" : "null");
  for (i = 0; i < st->n_active; i++) {
    if (i > 0)
      cplane_strbuf_add(&b, ",");
    cplane_strbuf_take(
        &b, api,
        api->json_format("{'kind':'Job','namespace':%s,'name':%s,'uid':%s,"
                         "'apiVersion':'batch/v1','resourceVersion':%s}",
                         st->active[i].ns, st->active[i].name,
                         st->active[i].uid, st->active[i].rv));
  }
  if (st->n_active > 0)
    cplane_strbuf_add(&b, "]");
  add_time(&b, "lastScheduleTime", st->last_schedule_ms);
  add_time(&b, "lastSuccessfulTime", st->last_successful_ms);
  cplane_strbuf_add(&b, "}}");
  if ((text = cplane_strbuf_finish(&b)) == NULL)
    return NULL;
  patch = api->json_format("%j", text); /* checked, and the host's memory */
  free(text);
  return patch;
}
