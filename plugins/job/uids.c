/*
 * uids - ordered uid sets for uncountedTerminatedPods. See uids.h.
 */
#include "uids.h"

#include <stdlib.h>
#include <string.h>

int job_uids_init(struct job_uids *u) {
  memset(u, 0, sizeof *u);
  return cplane_sset_init(&u->set);
}

void job_uids_free(struct job_uids *u) {
  int i;

  for (i = 0; i < u->n; i++)
    free(u->v[i]);
  free(u->v);
  cplane_sset_free(&u->set);
  memset(u, 0, sizeof *u);
}

int job_uids_add(struct job_uids *u, const char *uid) {
  char *copy;

  if (cplane_sset_has(&u->set, uid))
    return 0;
  if (u->n == u->cap) {
    int cap = u->cap ? u->cap * 2 : 16;
    char **v = realloc(u->v, (size_t)cap * sizeof *v);

    if (v == NULL)
      return -1;
    u->v = v;
    u->cap = cap;
  }
  if ((copy = strdup(uid)) == NULL)
    return -1;
  if (cplane_sset_add(&u->set, uid) < 0) {
    free(copy);
    return -1;
  }
  u->v[u->n++] = copy;
  return 0;
}

int job_uids_has(const struct job_uids *u, const char *uid) {
  return cplane_sset_has(&u->set, uid);
}

int job_uids_keep_only(struct job_uids *u, const struct cplane_sset *keep) {
  int i, out = 0, gone = 0;

  for (i = 0; i < u->n; i++) {
    if (cplane_sset_has(keep, u->v[i])) {
      u->v[out++] = u->v[i];
      continue;
    }
    cplane_sset_del(&u->set, u->v[i]);
    free(u->v[i]);
    gone++;
  }
  u->n = out;
  return gone;
}

char *job_uids_json(const struct cplane_host_api *api,
                    const struct job_uids *u) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  int i;

  cplane_strbuf_add(&b, "[");
  for (i = 0; i < u->n; i++) {
    cplane_strbuf_add(&b, i ? "," : "");
    cplane_strbuf_take(&b, api, api->json_format("%s", u->v[i]));
  }
  cplane_strbuf_add(&b, "]");
  return cplane_strbuf_finish(&b);
}
