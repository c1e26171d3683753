/*
 * cplane/conditions.h - status conditions: find one of a type, set some
 * with kube's transition-time rule, and know whether anything changed.
 *
 * Header-only: nothing here is in the host table or the ABI.
 *
 * Setting builds the whole new conditions array as JSON text, to put in a
 * status patch; a caller skips the write when nothing changed:
 *
 *   struct cplane_condition c = {"Available", "True", "MinimumReplicas",
 *                                "Deployment has minimum availability.",
 *                                api->object_generation(obj)};
 *   char *conds = NULL;
 *   int changed = 0;
 *   if (cplane_conditions_set(api, ctx, obj, "status.conditions", &c, 1,
 *                             &conds, &changed) == CPLANE_OK && changed) {
 *     char *patch = api->json_format("{'status':{'conditions':%j}}", conds);
 *     api->patch_subresource(ctx, &res, ns, name, "status",
 *                            CPLANE_PATCH_MERGE, patch, NULL, NULL);
 *     api->free(patch);
 *   }
 *   api->free(conds);
 *
 * As kube's meta.SetStatusCondition: a condition whose status is unchanged
 * keeps its lastTransitionTime; a new one, or one whose status flips, gets
 * api->now_ms() (whole seconds, metav1.Time). reason, message and
 * observedGeneration are replaced. A condition is written with exactly
 * the members metav1.Condition has, so other members of the element it
 * replaces (a node's lastHeartbeatTime) are dropped; conditions of other
 * types are kept as they are, in place, and new ones are appended.
 *
 * Threading: pure functions of borrowed objects.
 */
#ifndef CPLANE_CONDITIONS_H
#define CPLANE_CONDITIONS_H

#include <stdlib.h>
#include <string.h>

#include <cplane/host_api.h>
#include <cplane/objects.h>
#include <cplane/strbuf.h>
#include <cplane/time.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cplane_condition {
  const char *type;            /* "Ready", "Available"; required */
  const char *status;          /* "True", "False" or "Unknown"; required */
  const char *reason;          /* CamelCase; NULL: left out */
  const char *message;         /* NULL: left out */
  int64_t observed_generation; /* 0: left out (kube's omitempty) */
};

/* The index of the condition of `type` in the array at `path`, or
 * CPLANE_ENOENT. */
static inline int cplane_condition_find(const struct cplane_host_api *api,
                                        const cplane_object *obj,
                                        const char *path, const char *type) {
  return cplane_array_find(api, obj, path, "type", type);
}

/* The status ("True", ...) of the condition of `type`, or NULL when there
 * is none. Borrowed for the life of obj. */
static inline const char *
cplane_condition_status(const struct cplane_host_api *api,
                        const cplane_object *obj, const char *path,
                        const char *type) {
  int i = cplane_condition_find(api, obj, path, type);

  return i >= 0 ? cplane_array_string(api, obj, path, i, "status") : NULL;
}

/* 1 when the condition of `type` has status "True", else 0. */
static inline int cplane_condition_is_true(const struct cplane_host_api *api,
                                           const cplane_object *obj,
                                           const char *path, const char *type) {
  const char *s = cplane_condition_status(api, obj, path, type);

  return s != NULL && strcmp(s, "True") == 0;
}

static inline int cplane_condition__same(const char *a, const char *b) {
  return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Appends `want` as it should now read, given the element `i` of `path`
 * it replaces (-1: none); sets *changed when it differs. */
static inline void
cplane_condition__emit(const struct cplane_host_api *api,
                       const cplane_object *obj, const char *path, int i,
                       const struct cplane_condition *want, const char *now,
                       struct cplane_strbuf *b, int *changed) {
  const char *since = now, *old_since;
  char gen[32] = "", p[CPLANE_PATH_MAX];
  int64_t old_gen = 0;

  if (i < 0 ||
      !cplane_condition__same(cplane_array_string(api, obj, path, i, "status"),
                              want->status)) {
    *changed = 1;
  } else {
    old_since = cplane_array_string(api, obj, path, i, "lastTransitionTime");
    if (old_since != NULL)
      since = old_since;
    else
      *changed = 1;
    if (cplane_element_path(p, sizeof p, path, i, "observedGeneration") == 0)
      api->object_int(obj, p, &old_gen);
    if (!cplane_condition__same(
            cplane_array_string(api, obj, path, i, "reason"), want->reason) ||
        !cplane_condition__same(
            cplane_array_string(api, obj, path, i, "message"), want->message) ||
        old_gen != want->observed_generation)
      *changed = 1;
  }
  if (want->observed_generation != 0)
    snprintf(gen, sizeof gen, ",\"observedGeneration\":%lld",
             (long long)want->observed_generation);
  /* Pieces, each escaped by json_format(), so that optional members
   * need no template per combination. */
  cplane_strbuf_add(b, "{\"type\":");
  cplane_strbuf_take(b, api, api->json_format("%s", want->type));
  cplane_strbuf_add(b, ",\"status\":");
  cplane_strbuf_take(b, api, api->json_format("%s", want->status));
  cplane_strbuf_add(b, gen);
  cplane_strbuf_add(b, ",\"lastTransitionTime\":");
  cplane_strbuf_take(b, api, api->json_format("%s", since));
  if (want->reason != NULL) {
    cplane_strbuf_add(b, ",\"reason\":");
    cplane_strbuf_take(b, api, api->json_format("%s", want->reason));
  }
  if (want->message != NULL) {
    cplane_strbuf_add(b, ",\"message\":");
    cplane_strbuf_take(b, api, api->json_format("%s", want->message));
  }
  cplane_strbuf_add(b, "}");
}

/* The index in want[] of a condition of `type` not yet written, or n. */
static inline size_t
cplane_condition__wanted(const struct cplane_condition *want, size_t n,
                         const unsigned char *done, const char *type) {
  size_t k;

  for (k = 0; type != NULL && k < n; k++)
    if (!done[k] && strcmp(type, want[k].type) == 0)
      return k;
  return n;
}

/* Sets the n conditions `want` (distinct types) in the array at `path` of
 * obj (absent: an empty array), as described at the top of this file.
 * *json gets the whole new array (owned: free with api->free); *changed,
 * when not NULL, is 1 when it differs from obj's, else 0. Returns
 * CPLANE_OK, CPLANE_EINVAL (a condition without type or status),
 * CPLANE_ERANGE (the clock is outside years 1..9999), CPLANE_ENOMEM. */
static inline int cplane_conditions_set(const struct cplane_host_api *api,
                                        cplane_plugin_ctx *ctx,
                                        const cplane_object *obj,
                                        const char *path,
                                        const struct cplane_condition *want,
                                        size_t n, char **json, int *changed) {
  int len = api->object_len(obj, path), i, dummy = 0;
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  char now[CPLANE_TIME_LEN], *text;
  size_t k, n_out = 0;
  unsigned char *done;

  *json = NULL;
  if (changed == NULL)
    changed = &dummy;
  *changed = 0;
  for (k = 0; k < n; k++)
    if (want[k].type == NULL || want[k].status == NULL)
      return CPLANE_EINVAL;
  if (cplane_time_format(api->now_ms(ctx), now, sizeof now) != CPLANE_OK)
    return CPLANE_ERANGE;
  if ((done = (unsigned char *)calloc(n + 1, 1)) == NULL)
    return CPLANE_ENOMEM;
  if (len < 0 || api->object_type(obj, path) != CPLANE_TYPE_ARRAY)
    len = 0;
  cplane_strbuf_add(&b, "[");
  for (i = 0; i < len; i++) {
    const char *type = cplane_array_string(api, obj, path, i, "type");
    char p[CPLANE_PATH_MAX];

    k = cplane_condition__wanted(want, n, done, type);
    cplane_strbuf_add(&b, n_out++ ? "," : "");
    if (k < n) {
      done[k] = 1;
      cplane_condition__emit(api, obj, path, i, &want[k], now, &b, changed);
    } else if (cplane_element_path(p, sizeof p, path, i, NULL) == 0) {
      cplane_strbuf_take(&b, api, api->object_json(obj, p));
    } else {
      b.failed = 1;
    }
  }
  for (k = 0; k < n; k++) {
    if (done[k])
      continue;
    cplane_strbuf_add(&b, n_out++ ? "," : "");
    cplane_condition__emit(api, obj, path, -1, &want[k], now, &b, changed);
  }
  cplane_strbuf_add(&b, "]");
  free(done);
  if ((text = cplane_strbuf_finish(&b)) == NULL)
    return CPLANE_ENOMEM;
  *json = api->string_dup(text);
  free(text);
  return *json != NULL ? CPLANE_OK : CPLANE_ENOMEM;
}

#ifdef __cplusplus
}
#endif
#endif /* CPLANE_CONDITIONS_H */
