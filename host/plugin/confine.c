/*
 * confine - see confine.h.
 */
#include "plugin/confine.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "plugin/plugin.h"

static atomic_int confine_on;

void cp_confine_set(int on) { atomic_store(&confine_on, on ? 1 : 0); }

int cp_confine_on(void) { return atomic_load(&confine_on); }

static int same(const char *a, const char *b) {
  return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* Does the declared entry w cover group/resource[/sub]? */
static int declared(const struct cplane_resource *w, const char *group,
                    const char *resource, const char *sub) {
  const char *r = w->resource;
  size_t n = strlen(resource);

  if (!same(w->group, "*") && !same(w->group, group))
    return 0;
  if (strcmp(r, "*") == 0 || strcmp(r, resource) == 0)
    return 1;
  if (sub == NULL || sub[0] == '\0')
    return 0;
  /* RBAC's star form ("*" "/scale" as one string): that subresource
   * of any resource. */
  if (strncmp(r, "*/", 2) == 0)
    return strcmp(r + 2, sub) == 0;
  /* "pods/binding": only that subresource. */
  return strncmp(r, resource, n) == 0 && r[n] == '/' &&
         strcmp(r + n + 1, sub) == 0;
}

int cp_confine_allows(const struct cplane_plugin_ctx *p, const char *group,
                      const char *resource, const char *sub) {
  uint32_t i;

  if (resource == NULL || resource[0] == '\0')
    return 0;
  /* Events, however written (event_record() or a create of its own, as
   * the scheduler's recorder does): every controller's role has them. */
  if (strcmp(resource, "events") == 0 &&
      (same(group, "") || same(group, "events.k8s.io")))
    return 1;
  for (i = 0; i < p->desc.n_resources; i++)
    if (same(p->desc.resources[i].group, group) &&
        same(p->desc.resources[i].resource, resource))
      return 1;
  for (i = 0; p->desc.writes != NULL && i < p->desc.n_writes; i++)
    if (declared(&p->desc.writes[i], group, resource, sub))
      return 1;
  return 0;
}

static int refuse(struct cplane_plugin_ctx *p, const char *verb,
                  const char *group, const char *resource, const char *sub,
                  char **message) {
  const char *g = group != NULL && group[0] ? group : "";
  const int has_sub = sub != NULL && sub[0] != '\0';

  atomic_fetch_add(&p->confined_writes, 1);
  cp_log_warn("confine", "plugin %s may not %s %s%s%s%s%s: it neither "
                         "watches nor declares it (confine_plugins = true)",
              p->name, verb, resource, g[0] ? "." : "", g,
              has_sub ? "/" : "", has_sub ? sub : "");
  if (message != NULL &&
      asprintf(message, "plugin %s may not %s %s%s%s%s%s: not declared in "
                        "its descriptor's writes (confine_plugins = true)",
               p->name, verb, resource, g[0] ? "." : "", g,
               has_sub ? "/" : "", has_sub ? sub : "") < 0)
    *message = NULL;
  return 403;
}

int cp_confine_write(struct cplane_plugin_ctx *p,
                     const struct cplane_resource *res, const char *sub,
                     const char *verb, char **message) {
  if (!cp_confine_on() || p == NULL || res == NULL ||
      cp_confine_allows(p, res->group, res->resource, sub))
    return 0;
  return refuse(p, verb, res->group, res->resource, sub, message);
}

/* The path's segments after the prefix, up to the query: at most 8. */
static size_t split(char *path, char **seg, size_t max) {
  size_t n = 0;
  char *save = NULL, *s;

  path[strcspn(path, "?")] = '\0';
  for (s = strtok_r(path, "/", &save); s != NULL && n < max;
       s = strtok_r(NULL, "/", &save))
    seg[n++] = s;
  return s == NULL ? n : 0;
}

static const char *verb_of(const char *method) {
  if (strcmp(method, "POST") == 0)
    return "create";
  if (strcmp(method, "PUT") == 0)
    return "update";
  if (strcmp(method, "PATCH") == 0)
    return "patch";
  return "delete";
}

int cp_confine_request(struct cplane_plugin_ctx *p, const char *method,
                       const char *path, char **message) {
  char *copy = NULL, *seg[8], *group = "";
  const char *resource = NULL, *sub = NULL;
  size_t n, i;
  int rc;

  if (!cp_confine_on() || p == NULL || method == NULL || path == NULL ||
      strcmp(method, "GET") == 0)
    return 0;
  if ((copy = strdup(path)) == NULL)
    return CPLANE_ENOMEM;
  n = split(copy, seg, 8);
  /* /api/v1/... or /apis/GROUP/VERSION/... */
  i = n >= 2 && strcmp(seg[0], "api") == 0 ? 2 : 0;
  if (i == 0 && n >= 3 && strcmp(seg[0], "apis") == 0) {
    group = seg[1];
    i = 3;
  }
  /* kube's RequestInfo: namespaces/NS/RES..., except NS's own
   * subresources (status, finalize). */
  if (i > 0 && n > i + 1 && strcmp(seg[i], "namespaces") == 0 &&
      n > i + 2 && strcmp(seg[i + 2], "status") != 0 &&
      strcmp(seg[i + 2], "finalize") != 0)
    i += 2;
  if (i > 0 && n > i) {
    resource = seg[i];
    sub = n > i + 2 ? seg[i + 2] : NULL;
  }
  if (resource != NULL && cp_confine_allows(p, group, resource, sub))
    rc = 0;
  else
    rc = refuse(p, verb_of(method), group, resource ? resource : path, sub,
                message);
  free(copy);
  return rc;
}

void cp_confine_metrics_write(struct cplane_plugin_ctx *const *plugins,
                              size_t n, FILE *out) {
  size_t i;

  fputs("# HELP cplane_plugin_confined_writes_total Writes the host "
        "refused because the plugin neither watches nor declares the "
        "resource (confine_plugins)\n"
        "# TYPE cplane_plugin_confined_writes_total counter\n", out);
  for (i = 0; i < n; i++)
    fprintf(out, "cplane_plugin_confined_writes_total{plugin=\"%s\"} %llu\n",
            plugins[i]->name,
            (unsigned long long)atomic_load(&plugins[i]->confined_writes));
}
