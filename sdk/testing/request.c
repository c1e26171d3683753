/*
 * request - the table's raw request() entry against the fake store: the
 * resource paths (/api/v1/..., /apis/GROUP/VERSION/...) with GET (one
 * object, or a list with labelSelector and fieldSelector), POST, PUT and
 * DELETE (one object, or a collection), answered as kube-apiserver does,
 * failures as a metav1.Status; and discovery (/api, /apis, /api/v1,
 * /apis/GROUP/VERSION) of the resources the store knows, namespaced
 * unless kube's are cluster-scoped or every object stored has no
 * namespace.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/query.h"
#include "apiserver/status.h"
#include "kit.h"
#include "object/object.h"

#define MAX_SEGMENTS 8
#define MAX_PATH_BYTES 2048

/* A resource path taken apart; strings point into `buf`. */
struct route {
  char buf[MAX_PATH_BYTES];
  char resource[256];
  const char *group, *version, *ns, *name, *sub;
  char label_selector[512], field_selector[512];
};

/* The selectors of the query string, decoded as kube-apiserver does. */
static int parse_query(struct route *rt, const char *qs) {
  struct cp_query q;
  const char *v;

  if (cp_query_parse(qs, &q) != 0)
    return -1;
  if ((v = cp_query_get(&q, "labelSelector")) != NULL)
    snprintf(rt->label_selector, sizeof rt->label_selector, "%s", v);
  if ((v = cp_query_get(&q, "fieldSelector")) != NULL)
    snprintf(rt->field_selector, sizeof rt->field_selector, "%s", v);
  cp_query_free(&q);
  return 0;
}

/* Takes a path apart; 0, or -1 when it names no resource. */
static int route_parse(struct route *rt, const char *path) {
  char *seg[MAX_SEGMENTS], *p, *query;
  size_t n = 0, i;

  memset(rt, 0, sizeof *rt);
  if (strlen(path) >= sizeof rt->buf)
    return -1;
  strcpy(rt->buf, path);
  if ((query = strchr(rt->buf, '?')) != NULL) {
    *query++ = '\0';
    if (parse_query(rt, query) != 0)
      return -1;
  }
  for (p = strtok(rt->buf + 1, "/"); p != NULL; p = strtok(NULL, "/")) {
    if (n == MAX_SEGMENTS)
      return -1;
    seg[n++] = p;
  }
  if (n >= 3 && strcmp(seg[0], "api") == 0)
    rt->group = "", rt->version = seg[1], i = 2;
  else if (n >= 4 && strcmp(seg[0], "apis") == 0)
    rt->group = seg[1], rt->version = seg[2], i = 3;
  else
    return -1;
  if (n - i >= 3 && strcmp(seg[i], "namespaces") == 0 &&
      strcmp(seg[i + 2], "finalize") != 0 &&
      strcmp(seg[i + 2], "status") != 0) {
    rt->ns = seg[i + 1];
    i += 2;
  }
  if (n - i > 3)
    return -1;
  rt->name = n - i >= 2 ? seg[i + 1] : NULL;
  rt->sub = n - i >= 3 ? seg[i + 2] : "";
  if (rt->group[0] == '\0')
    snprintf(rt->resource, sizeof rt->resource, "%s", seg[i]);
  else
    snprintf(rt->resource, sizeof rt->resource, "%s.%s", seg[i], rt->group);
  return 0;
}

/* ---- bodies ---- */

static char *status_body(int code, char *message) {
  char *body = code >= 400
                   ? cp_status_failure(code, NULL, message ? message : "", NULL)
                   : cp_status_success(NULL);

  free(message);
  return body;
}

static char *object_body(const cplane_object *obj) {
  char *body = cp_object_json(obj, NULL);

  cp_object_release(obj);
  return body;
}

/* A List body with the items of list (freed). */
static char *list_body(struct cplane_test_host *h, const struct route *rt,
                       cplane_object_list *list) {
  size_t i, len = 256, used;
  const char *kind =
      list->n > 0 ? cp_object_string(list->objs[0], "kind") : NULL;
  char *body, **items = calloc(list->n + 1, sizeof *items);

  for (i = 0; items != NULL && i < list->n; i++)
    if ((items[i] = cp_object_json(list->objs[i], NULL)) != NULL)
      len += strlen(items[i]) + 1;
  body = items != NULL ? malloc(len) : NULL;
  if (body != NULL) {
    used = (size_t)snprintf(
        body, len,
        "{\"kind\":\"%s%s\",\"apiVersion\":\"%s%s%s\",\"metadata\":"
        "{\"resourceVersion\":\"%llu\"},\"items\":[",
        kind != NULL ? kind : "", "List", rt->group,
        rt->group[0] != '\0' ? "/" : "", rt->version,
        (unsigned long long)h->next_rv);
    for (i = 0; i < list->n && items[i] != NULL; i++)
      used += (size_t)snprintf(body + used, len - used, "%s%s",
                               i > 0 ? "," : "", items[i]);
    snprintf(body + used, len - used, "]}");
  }
  for (i = 0; items != NULL && i < list->n; i++)
    free(items[i]);
  free(items);
  kit_list_free(list);
  return body;
}

/* ---- discovery ---- */

/* kube's cluster-scoped resources, by "resource.group". */
static const char *const cluster_scoped[] = {
    "namespaces",
    "nodes",
    "persistentvolumes",
    "componentstatuses",
    "clusterroles.rbac.authorization.k8s.io",
    "clusterrolebindings.rbac.authorization.k8s.io",
    "storageclasses.storage.k8s.io",
    "csidrivers.storage.k8s.io",
    "csinodes.storage.k8s.io",
    "volumeattachments.storage.k8s.io",
    "priorityclasses.scheduling.k8s.io",
    "runtimeclasses.node.k8s.io",
    "ingressclasses.networking.k8s.io",
    "customresourcedefinitions.apiextensions.k8s.io",
    "apiservices.apiregistration.k8s.io",
    "certificatesigningrequests.certificates.k8s.io",
    "mutatingwebhookconfigurations.admissionregistration.k8s.io",
    "validatingwebhookconfigurations.admissionregistration.k8s.io",
    NULL};

static int namespaced(const struct kit_resource *r) {
  size_t i, stored = 0, with_ns = 0;

  for (i = 0; cluster_scoped[i] != NULL; i++)
    if (strcmp(cluster_scoped[i], r->name) == 0)
      return 0;
  for (i = 0; i < r->n; i++) {
    const char *ns;

    if (r->entries[i].stored == NULL)
      continue;
    stored++;
    ns = cp_object_namespace(r->entries[i].stored);
    with_ns += ns != NULL && ns[0] != '\0';
  }
  return stored == 0 || with_ns > 0;
}

static const char *version_of(const struct kit_resource *r) {
  return r->version != NULL ? r->version : "v1";
}

static int add_str(struct json_object *o, const char *k, const char *v) {
  return json_object_object_add(o, k, json_object_new_string(v));
}

/* APIResourceList of group/version. */
static struct json_object *resource_list(struct cplane_test_host *h,
                                         const char *group,
                                         const char *version) {
  static const char *const verbs[] = {"create", "delete", "deletecollection",
                                      "get",    "list",   "patch",
                                      "update", "watch"};
  struct json_object *doc = json_object_new_object();
  struct json_object *list = json_object_new_array();
  char gv[300];
  size_t i, v;

  snprintf(gv, sizeof gv, "%s%s%s", group, group[0] ? "/" : "", version);
  add_str(doc, "kind", "APIResourceList");
  add_str(doc, "apiVersion", "v1");
  add_str(doc, "groupVersion", gv);
  json_object_object_add(doc, "resources", list);
  for (i = 0; i < h->n_res; i++) {
    const struct kit_resource *r = &h->res[i];
    struct json_object *e, *vs;

    if (strcmp(r->group, group) != 0 || strcmp(version_of(r), version) != 0)
      continue;
    e = json_object_new_object();
    vs = json_object_new_array();
    add_str(e, "name", r->resource);
    add_str(e, "singularName", "");
    json_object_object_add(e, "namespaced",
                           json_object_new_boolean(namespaced(r)));
    add_str(e, "kind", r->kind != NULL ? r->kind : "");
    for (v = 0; v < sizeof verbs / sizeof verbs[0]; v++)
      json_object_array_add(vs, json_object_new_string(verbs[v]));
    json_object_object_add(e, "verbs", vs);
    json_object_array_add(list, e);
  }
  return doc;
}

/* APIGroupList of the groups (not core) the store knows. */
static struct json_object *group_list(struct cplane_test_host *h) {
  struct json_object *doc = json_object_new_object();
  struct json_object *groups = json_object_new_array();
  size_t i, j;

  add_str(doc, "kind", "APIGroupList");
  add_str(doc, "apiVersion", "v1");
  json_object_object_add(doc, "groups", groups);
  for (i = 0; i < h->n_res; i++) {
    const struct kit_resource *r = &h->res[i];
    struct json_object *g, *versions, *gv;
    char text[300];
    int seen = 0;

    for (j = 0; j < i && !seen; j++)
      seen = strcmp(h->res[j].group, r->group) == 0;
    if (r->group[0] == '\0' || seen)
      continue;
    snprintf(text, sizeof text, "%s/%s", r->group, version_of(r));
    g = json_object_new_object();
    versions = json_object_new_array();
    gv = json_object_new_object();
    add_str(gv, "groupVersion", text);
    add_str(gv, "version", version_of(r));
    add_str(g, "name", r->group);
    json_object_array_add(versions, json_object_get(gv));
    json_object_object_add(g, "versions", versions);
    json_object_object_add(g, "preferredVersion", gv);
    json_object_array_add(groups, g);
  }
  return doc;
}

/* Answers a discovery path: 200 with *body, or 0 when path is none. */
static int discovery(struct cplane_test_host *h, const char *method,
                     const char *path, char **body) {
  char buf[512], *p, *seg[4];
  struct json_object *doc = NULL;
  size_t n = 0;

  if (strcmp(method, "GET") != 0 || strlen(path) >= sizeof buf)
    return 0;
  strcpy(buf, path);
  if ((p = strchr(buf, '?')) != NULL)
    *p = '\0';
  for (p = strtok(buf + 1, "/"); p != NULL && n < 4; p = strtok(NULL, "/"))
    seg[n++] = p;
  if (p != NULL || n == 0)
    return 0;
  pthread_mutex_lock(&h->mu);
  if (strcmp(seg[0], "api") == 0 && n == 1)
    doc = json_tokener_parse("{\"kind\":\"APIVersions\",\"versions\":"
                             "[\"v1\"],\"serverAddressByClientCIDRs\":[]}");
  else if (strcmp(seg[0], "api") == 0 && n == 2)
    doc = resource_list(h, "", seg[1]);
  else if (strcmp(seg[0], "apis") == 0 && n == 1)
    doc = group_list(h);
  else if (strcmp(seg[0], "apis") == 0 && n == 3)
    doc = resource_list(h, seg[1], seg[2]);
  pthread_mutex_unlock(&h->mu);
  if (doc == NULL)
    return 0;
  *body = strdup(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN));
  json_object_put(doc);
  return *body != NULL ? 200 : 500;
}

/* ---- verbs ---- */

static int delete_collection(struct cplane_test_host *h, const struct route *rt,
                             const char *json, char **message) {
  cplane_object_list *list = NULL;
  int code;
  size_t i;

  pthread_mutex_lock(&h->mu);
  code =
      kit_take_failure(h, "deletecollection", rt->resource, "", NULL, message);
  pthread_mutex_unlock(&h->mu);
  if (code == 0)
    code = kit_do_list(h, rt->resource, rt->ns, rt->label_selector,
                       rt->field_selector, &list, message);
  for (i = 0; code == 200 && i < list->n; i++) {
    int c = kit_do_delete(h, rt->resource, cp_object_namespace(list->objs[i]),
                          cp_object_name(list->objs[i]), json, NULL);

    if (c != 200 && c != 404)
      code = c;
  }
  kit_list_free(list);
  pthread_mutex_lock(&h->mu);
  kit_record_write(h, "deletecollection", rt->resource, "", rt->ns, "", 0, json,
                   code);
  pthread_mutex_unlock(&h->mu);
  return code;
}

/* Runs the request; *body is the answer (owned). */
static int route_run(struct cplane_test_host *h, const char *method,
                     const struct route *rt, const char *json, char **body) {
  const cplane_object *obj = NULL;
  cplane_object_list *list = NULL;
  char *message = NULL;
  int code;

  if (strcmp(method, "GET") == 0 && rt->name != NULL &&
      (rt->sub[0] == '\0' || strcmp(rt->sub, "status") == 0)) {
    code = kit_do_get(h, rt->resource, rt->ns, rt->name, &obj, &message);
  } else if (strcmp(method, "GET") == 0 && rt->name == NULL) {
    code = kit_do_list(h, rt->resource, rt->ns, rt->label_selector,
                       rt->field_selector, &list, &message);
    if (code == 200) {
      *body = list_body(h, rt, list);
      return code;
    }
  } else if (strcmp(method, "POST") == 0 && json != NULL) {
    code = kit_do_create(h, rt->resource, rt->ns, rt->sub, rt->name, json, &obj,
                         &message);
  } else if (strcmp(method, "PUT") == 0 && rt->name != NULL && json != NULL) {
    code = kit_do_update(h, rt->resource, rt->ns, rt->name, rt->sub, json, &obj,
                         &message);
  } else if (strcmp(method, "DELETE") == 0 && rt->name != NULL) {
    code = kit_do_delete(h, rt->resource, rt->ns, rt->name, json, &message);
  } else if (strcmp(method, "DELETE") == 0) {
    code = delete_collection(h, rt, json, &message);
  } else {
    code = 405;
    message = strdup("the server does not allow this method on the "
                     "requested resource");
  }
  *body = obj != NULL ? object_body(obj) : status_body(code, message);
  if (obj != NULL)
    free(message);
  return code;
}

static int kit_request(cplane_plugin_ctx *ctx, const char *method,
                       const char *path, const char *json, char **response,
                       size_t *response_len) {
  struct cplane_test_host *h = ctx != NULL ? ctx->host : NULL;
  struct route *rt = NULL;
  char *body = NULL;
  int code;

  if (response != NULL)
    *response = NULL;
  if (response_len != NULL)
    *response_len = 0;
  if (h == NULL || method == NULL || path == NULL || path[0] != '/' ||
      (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0 &&
       strcmp(method, "PUT") != 0 && strcmp(method, "DELETE") != 0))
    return CPLANE_EINVAL;
  kit_check_dispatch(h, "request");
  if ((code = discovery(h, method, path, &body)) != 0)
    goto out;
  if ((rt = malloc(sizeof *rt)) == NULL)
    return CPLANE_ENOMEM;
  if (route_parse(rt, path) != 0) {
    code = 404;
    body = status_body(404, strdup("the server could not find the "
                                   "requested resource"));
  } else {
    code = route_run(h, method, rt, json, &body);
  }
  free(rt);
out:
  if (response_len != NULL && body != NULL)
    *response_len = strlen(body);
  if (response != NULL)
    *response = body;
  else
    free(body);
  return code;
}

void kit_request_fill(struct cplane_host_api *api) {
  api->request = kit_request;
}
