/*
 * request - the table's raw request() entry against the fake store: the
 * resource paths (/api/v1/..., /apis/GROUP/VERSION/...) with GET (one
 * object, or a list with labelSelector and fieldSelector), POST, PUT and
 * DELETE (one object, or a collection), answered as kube-apiserver does,
 * failures as a metav1.Status. Discovery is not modelled: 404.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  char *body = code >= 400 ? cp_status_failure(code, NULL,
                                               message ? message : "", NULL)
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
  const char *kind = list->n > 0 ? cp_object_string(list->objs[0], "kind")
                                 : NULL;
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

/* ---- verbs ---- */

static int delete_collection(struct cplane_test_host *h,
                             const struct route *rt, const char *json,
                             char **message) {
  cplane_object_list *list = NULL;
  int code;
  size_t i;

  pthread_mutex_lock(&h->mu);
  code = kit_take_failure(h, "deletecollection", rt->resource, "", NULL,
                          message);
  kit_record_write(h, "deletecollection", rt->resource, "", rt->ns, "", 0,
                   json, code ? code : 200);
  pthread_mutex_unlock(&h->mu);
  if (code)
    return code;
  code = kit_do_list(h, rt->resource, rt->ns, rt->label_selector,
                     rt->field_selector, &list, message);
  for (i = 0; code == 200 && i < list->n; i++) {
    int c = kit_do_delete(h, rt->resource, cp_object_namespace(list->objs[i]),
                          cp_object_name(list->objs[i]), json, NULL);

    if (c != 200 && c != 404)
      code = c;
  }
  kit_list_free(list);
  return code;
}

/* Runs the request; *body is the answer (owned). */
static int route_run(struct cplane_test_host *h, const char *method,
                     const struct route *rt, const char *json, char **body) {
  const cplane_object *obj = NULL;
  cplane_object_list *list = NULL;
  char *message = NULL;
  int code;

  if (strcmp(method, "GET") == 0 && rt->name != NULL && rt->sub[0] == '\0') {
    code = kit_do_get(h, rt->resource, rt->ns, rt->name, &obj, &message);
  } else if (strcmp(method, "GET") == 0 && rt->name == NULL) {
    code = kit_do_list(h, rt->resource, rt->ns, rt->label_selector,
                       rt->field_selector, &list, &message);
    if (code == 200) {
      *body = list_body(h, rt, list);
      return code;
    }
  } else if (strcmp(method, "POST") == 0 && json != NULL) {
    code = kit_do_create(h, rt->resource, rt->ns, rt->sub, rt->name, json,
                         &obj, &message);
  } else if (strcmp(method, "PUT") == 0 && rt->name != NULL && json != NULL) {
    code = kit_do_update(h, rt->resource, rt->ns, rt->name, rt->sub, json,
                         &obj, &message);
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
