/*
 * content - see content.h. Paths are built from discovery's names, which
 * the API server validated (DNS labels, no '/'); object names and continue
 * tokens are percent-encoded.
 */
#include "content.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE 500
#define MAX_PAGES 200 /* 100,000 objects of one resource at most per pass */
#define PATH_MAX_LEN 2048

/* kube's namespace controller deletes with background propagation: the
 * garbage collector finishes what the deleted objects owned. */
static const char delete_options[] =
    "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
    "\"propagationPolicy\":\"Background\"}";

struct run {
  const struct cplane_host_api *api;
  cplane_plugin_ctx *ctx;
  const char *ns;
  struct ns_content *out;
};

/* Percent-encodes s into buf (RFC 3986 unreserved characters stay).
 * Returns 0, or -1 when it does not fit. */
static int escape(const char *s, char *buf, size_t len) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;

  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                c == '_' || c == '~';

    if (o + (plain ? 1 : 3) >= len)
      return -1;
    if (plain) {
      buf[o++] = (char)c;
    } else {
      buf[o++] = '%';
      buf[o++] = hex[c >> 4];
      buf[o++] = hex[c & 15];
    }
  }
  buf[o] = '\0';
  return 0;
}

/* Appends ", " and the formatted text to an error list, as far as it
 * fits, and counts it. */
static void note(char *list, size_t cap, int *n, const char *fmt, ...)
    CPLANE_PRINTF(4, 5);
static void note(char *list, size_t cap, int *n, const char *fmt, ...) {
  size_t used = strlen(list);
  va_list ap;

  (*n)++;
  if (used + 3 >= cap)
    return;
  if (used > 0) {
    strcpy(list + used, ", ");
    used += 2;
  }
  va_start(ap, fmt);
  vsnprintf(list + used, cap - used, fmt, ap);
  va_end(ap);
}

static void count_add(struct ns_count *v, size_t *n, const char *name) {
  size_t i;

  for (i = 0; i < *n; i++)
    if (strcmp(v[i].name, name) == 0) {
      v[i].n++;
      return;
    }
  if (*n == NS_MAX_COUNTED)
    return; /* named no more; `remaining` still counts it */
  snprintf(v[*n].name, sizeof v[*n].name, "%s", name);
  v[*n].n = 1;
  (*n)++;
}

/* The Status message of an error answer, or "". */
static void status_message(struct run *r, const char *body, size_t len,
                           char *buf, size_t cap) {
  const cplane_object *st = NULL;
  const char *m;

  buf[0] = '\0';
  if (body == NULL ||
      r->api->object_parse(body, len, &st, NULL) != CPLANE_OK)
    return;
  if ((m = r->api->object_string(st, "message")) != NULL)
    snprintf(buf, cap, ": %s", m);
  r->api->object_release(st);
}

/* One request; on success (2xx) *out is the parsed answer when out is
 * not NULL. Returns the HTTP status or a negative status; on a failure
 * msg holds ": the Status message" or "". */
static int call(struct run *r, const char *method, const char *path,
                const char *json, const cplane_object **out, char *msg,
                size_t msg_cap) {
  char *body = NULL;
  size_t len = 0;
  int code;

  if (out != NULL)
    *out = NULL;
  msg[0] = '\0';
  code = r->api->request(r->ctx, method, path, json, &body, &len);
  if (code >= 200 && code < 300 && out != NULL &&
      (body == NULL ||
       r->api->object_parse(body, len, out, NULL) != CPLANE_OK)) {
    snprintf(msg, msg_cap, ": the answer is not JSON");
    code = CPLANE_ERR;
  } else if (code < 200 || code >= 300) {
    status_message(r, body, len, msg, msg_cap);
  }
  r->api->free(body);
  return code;
}

/* ---- one resource ---- */

struct resource {
  char base[PATH_MAX_LEN]; /* /apis/GV/namespaces/NS/RESOURCE */
  char label[160];         /* RESOURCE.GROUP, as kube names it */
  int deletecollection;
};

static int collect_finalizer(void *userdata, const char *key,
                             const char *str) {
  struct run *r = userdata;

  (void)key;
  if (str != NULL)
    count_add(r->out->finalizers, &r->out->n_finalizers, str);
  return 0;
}

/* Deletes one listed object (deletecollection is not served). */
static void delete_item(struct run *r, const struct resource *res,
                        const cplane_object *page, size_t i) {
  char path[PATH_MAX_LEN + 800], name[768], msg[300];
  const char *n;
  int code;

  if ((n = cplane_array_string(r->api, page, "items", (int)i,
                               "metadata.name")) == NULL ||
      escape(n, name, sizeof name) < 0)
    return;
  snprintf(path, sizeof path, "%s/%s", res->base, name);
  code = call(r, "DELETE", path, delete_options, NULL, msg, sizeof msg);
  if ((code < 200 || code >= 300) && code != 404)
    note(r->out->delete_errors, sizeof r->out->delete_errors,
         &r->out->delete_failures, "%s %s: HTTP %d%s", res->label, n, code,
         msg);
}

/* Counts (and, without deletecollection, deletes) the objects of one
 * page. */
static void take_page(struct run *r, const struct resource *res,
                      const cplane_object *page) {
  int n = r->api->object_len(page, "items");
  char key[64];
  int i;

  for (i = 0; i < n; i++) {
    r->out->remaining++;
    count_add(r->out->resources, &r->out->n_resources, res->label);
    snprintf(key, sizeof key, "items[%d].metadata.finalizers", i);
    r->api->object_foreach(page, key, collect_finalizer, r);
    snprintf(key, sizeof key, "items[%d].metadata.deletionTimestamp", i);
    if (!res->deletecollection &&
        r->api->object_type(page, key) == CPLANE_ENOENT)
      delete_item(r, res, page, (size_t)i);
  }
}

/* Lists what remains, fresh from the API server, page by page. */
static void list_remaining(struct run *r, const struct resource *res) {
  char path[PATH_MAX_LEN + 1100], cont[1024] = "", msg[300];
  int pages;

  for (pages = 0; pages < MAX_PAGES; pages++) {
    const cplane_object *page = NULL;
    const char *next;
    int code;

    snprintf(path, sizeof path, "%s?limit=%d%s%s", res->base, PAGE,
             cont[0] ? "&continue=" : "", cont);
    code = call(r, "GET", path, NULL, &page, msg, sizeof msg);
    if (code != 200) {
      note(r->out->delete_errors, sizeof r->out->delete_errors,
           &r->out->delete_failures, "listing %s: HTTP %d%s", res->label,
           code, msg);
      return;
    }
    take_page(r, res, page);
    next = r->api->object_string(page, "metadata.continue");
    if (next == NULL || next[0] == '\0' ||
        escape(next, cont, sizeof cont) < 0) {
      r->api->object_release(page);
      return;
    }
    r->api->object_release(page);
  }
}

static void empty_resource(struct run *r, struct resource *res) {
  char msg[300];
  int code;

  if (res->deletecollection) {
    code = call(r, "DELETE", res->base, delete_options, NULL, msg,
                sizeof msg);
    if (code == 404 || code == 405)
      res->deletecollection = 0; /* not served after all: one by one */
    else if (code < 200 || code >= 300)
      note(r->out->delete_errors, sizeof r->out->delete_errors,
           &r->out->delete_failures, "deleting %s: HTTP %d%s", res->label,
           code, msg);
  }
  list_remaining(r, res);
}

/* ---- discovery ---- */

struct verbs {
  int list, del, deletecollection;
};

static int collect_verb(void *userdata, const char *key, const char *str) {
  struct verbs *v = userdata;

  (void)key;
  if (str == NULL)
    return 0;
  v->list |= strcmp(str, "list") == 0;
  v->del |= strcmp(str, "delete") == 0;
  v->deletecollection |= strcmp(str, "deletecollection") == 0;
  return 0;
}

/* Empties every namespaced resource of one group version ("v1" under
 * /api, "apps/v1" under /apis) that supports list and delete. */
static void empty_group_version(struct run *r, const char *prefix,
                                const char *gv) {
  const cplane_object *list = NULL;
  const char *slash = strchr(gv, '/');
  char path[600], key[96], msg[300];
  int code, n, i;

  snprintf(path, sizeof path, "%s/%s", prefix, gv);
  code = call(r, "GET", path, NULL, &list, msg, sizeof msg);
  if (code != 200) {
    note(r->out->discovery_errors, sizeof r->out->discovery_errors,
         &r->out->discovery_failures, "%s: HTTP %d%s", gv, code, msg);
    return;
  }
  n = r->api->object_len(list, "resources");
  for (i = 0; i < n; i++) {
    struct resource res;
    struct verbs v = {0};
    const char *name;
    int namespaced = 0;

    memset(&res, 0, sizeof res);
    snprintf(key, sizeof key, "resources[%d].name", i);
    name = r->api->object_string(list, key);
    snprintf(key, sizeof key, "resources[%d].namespaced", i);
    if (name == NULL || strchr(name, '/') != NULL ||
        r->api->object_bool(list, key, &namespaced) != CPLANE_OK ||
        !namespaced)
      continue;
    snprintf(key, sizeof key, "resources[%d].verbs", i);
    r->api->object_foreach(list, key, collect_verb, &v);
    if (!v.list || !v.del)
      continue;
    res.deletecollection = v.deletecollection;
    snprintf(res.label, sizeof res.label, "%s.%.*s", name,
             slash ? (int)(slash - gv) : 0, gv);
    if (snprintf(res.base, sizeof res.base, "%s/%s/namespaces/%s/%s",
                 prefix, gv, r->ns, name) >= (int)sizeof res.base)
      continue;
    empty_resource(r, &res);
  }
  r->api->object_release(list);
}

/* /apis: every group at its preferred version, as kube's
 * ServerPreferredNamespacedResources. */
static void empty_groups(struct run *r) {
  const cplane_object *groups = NULL;
  char msg[300];
  int code, n, i;

  code = call(r, "GET", "/apis", NULL, &groups, msg, sizeof msg);
  if (code != 200) {
    note(r->out->discovery_errors, sizeof r->out->discovery_errors,
         &r->out->discovery_failures, "/apis: HTTP %d%s", code, msg);
    return;
  }
  n = r->api->object_len(groups, "groups");
  for (i = 0; i < n; i++) {
    const char *gv = cplane_array_string(r->api, groups, "groups", i,
                                         "preferredVersion.groupVersion");

    if (gv == NULL)
      gv = cplane_array_string(r->api, groups, "groups", i,
                               "versions[0].groupVersion");
    if (gv != NULL && strchr(gv, '/') != NULL)
      empty_group_version(r, "/apis", gv);
  }
  r->api->object_release(groups);
}

void ns_delete_content(const struct cplane_host_api *api,
                       cplane_plugin_ctx *ctx, const char *ns,
                       struct ns_content *out) {
  struct run r = {api, ctx, ns, out};

  memset(out, 0, sizeof *out);
  empty_group_version(&r, "/api", "v1");
  empty_groups(&r);
}
