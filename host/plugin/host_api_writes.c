/*
 * host_api_writes - see host_api_writes.h.
 */
#include "plugin/host_api_writes.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <json-c/json.h>

#include "client/client.h"
#include "informer/informer.h"
#include "object/object.h"
#include "plugin/confine.h"
#include "plugin/dispatch_guard.h"
#include "plugin/identity.h"
#include "plugin/plugin.h"

/* Writes need the REST client of the host runtime; until a host is
 * configured with an API server they say so instead of pretending. */
static int no_server(cplane_plugin_ctx *ctx, const char *verb,
                     const struct cplane_resource *res, char **message) {
  char *m = NULL;

  if (asprintf(&m, "cannot %s %s: no API server is configured for this "
                   "host", verb,
               res != NULL && res->resource != NULL ? res->resource : "?") <
      0)
    m = NULL;
  if (message != NULL)
    *message = m;
  else
    free(m);
  return CPLANE_EUNAVAILABLE;
}

/* /api/v1/namespaces/NS/pods[/NAME[/SUB]] for a resource. malloc'd. */
static char *object_path(const struct cplane_resource *res, const char *ns,
                         const char *name, const char *sub) {
  char *p = NULL, *en = name ? evhttp_encode_uri(name) : NULL;
  int n;

  if (name != NULL && en == NULL)
    return NULL;
  n = asprintf(&p, "%s%s%s%s/%s%s%s%s%s%s%s",
               res->group && res->group[0] ? "/apis/" : "/api",
               res->group && res->group[0] ? res->group : "",
               res->group && res->group[0] ? "/" : "/", res->version,
               ns ? "namespaces/" : "", ns ? ns : "", ns ? "/" : "",
               res->resource, en ? "/" : "", en ? en : "",
               sub ? sub : "");
  free(en);
  return n < 0 ? NULL : p;
}

char *cp_api_status_message(const char *resp, size_t len, int code) {
  cplane_object *st = NULL;
  char *msg = NULL;

  if (resp != NULL && cp_object_parse(resp, len, &st, NULL) == CPLANE_OK &&
      cp_object_string(st, "message") != NULL)
    msg = strdup(cp_object_string(st, "message"));
  else if (asprintf(&msg, "HTTP %d", code) < 0)
    msg = NULL;
  cp_object_release(st);
  return msg;
}

/* Runs one write and turns the answer into the SDK's contract: the HTTP
 * status, *out (the stored object on 2xx) and *message (the Status
 * message otherwise). */
static int write_call(cplane_plugin_ctx *ctx, const char *call,
                      const char *verb, const char *method, const struct cplane_resource *res,
                      const char *sub, const char *path, const char *ctype,
                      const char *body, const cplane_object **out,
                      char **message) {
  char *resp = NULL;
  size_t len = 0;
  int code;

  if (out != NULL)
    *out = NULL;
  if (message != NULL)
    *message = NULL;
  cp_dispatch_guard_check(call);
  /* confine.h: an undeclared write never leaves the host. */
  if (strcmp(method, "GET") != 0 &&
      (code = cp_confine_write(ctx, res, sub, verb, message)) != 0)
    return code;
  if (ctx == NULL || ctx->client == NULL)
    return no_server(ctx, verb, res, message);
  if (path == NULL)
    return CPLANE_ENOMEM;
  code = cp_plugin_request(ctx, method, path, ctype, body,
                           body ? strlen(body) : 0, &resp, &len);
  if (code == 0) {
    if (message != NULL &&
        asprintf(message, "cannot %s %s: the API server did not answer",
                 verb, res->resource) < 0)
      *message = NULL;
    free(resp);
    return CPLANE_EUNAVAILABLE;
  }
  if (code >= 200 && code < 300) {
    cplane_object *o = NULL;

    if (out != NULL && resp != NULL &&
        cp_object_parse(resp, len, &o, NULL) == CPLANE_OK)
      *out = o;
  } else if (message != NULL) {
    *message = cp_api_status_message(resp, len, code);
  }
  free(resp);
  return code;
}

int cp_api_create(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                      const char *ns, const char *json,
                      const cplane_object **out, char **message) {
  char *path = res ? object_path(res, ns, NULL, NULL) : NULL;
  int rc = write_call(ctx, "create", "create", "POST", res, NULL, path, "application/json",
                      json, out, message);

  free(path);
  return rc;
}

int cp_api_update(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                      const char *ns, const char *name, const char *json,
                      const cplane_object **out, char **message) {
  char *path = res && name ? object_path(res, ns, name, NULL) : NULL;
  int rc = write_call(ctx, "update", "update", "PUT", res, NULL, path, "application/json",
                      json, out, message);

  free(path);
  return rc;
}

int cp_api_update_status(cplane_plugin_ctx *ctx,
                             const struct cplane_resource *res,
                             const char *ns, const char *name,
                             const char *json, const cplane_object **out,
                             char **message) {
  char *path = res && name ? object_path(res, ns, name, "/status") : NULL;
  int rc = write_call(ctx, "update_status", "update the status of", "PUT", res, "status", path,
                      "application/json", json, out, message);

  free(path);
  return rc;
}

static const char *patch_ctype(int patch_type) {
  switch (patch_type) {
  case CPLANE_PATCH_MERGE:
    return "application/merge-patch+json";
  case CPLANE_PATCH_JSON:
    return "application/json-patch+json";
  case CPLANE_PATCH_STRATEGIC:
    return "application/strategic-merge-patch+json";
  default:
    return NULL;
  }
}

/* PATCH of ns/name or of its subresource sub; `call` names the entry. */
static int patch_call(cplane_plugin_ctx *ctx, const char *call,
                      const struct cplane_resource *res, const char *ns,
                      const char *name, const char *sub, int patch_type,
                      const char *patch, const cplane_object **out,
                      char **message) {
  const char *ctype = patch_ctype(patch_type);
  char *path = NULL, *suffix = NULL;
  int rc;

  if (out != NULL)
    *out = NULL;
  if (message != NULL)
    *message = NULL;
  if (ctype == NULL || (sub != NULL && strchr(sub, '/') != NULL))
    return CPLANE_EINVAL;
  if (sub != NULL && sub[0] != '\0' && asprintf(&suffix, "/%s", sub) < 0)
    return CPLANE_ENOMEM;
  path = res != NULL && name != NULL ? object_path(res, ns, name, suffix)
                                     : NULL;
  rc = write_call(ctx, call, "patch", "PATCH", res, sub, path, ctype, patch, out,
                  message);
  free(suffix);
  free(path);
  return rc;
}

int cp_api_patch_subresource(cplane_plugin_ctx *ctx,
                             const struct cplane_resource *res,
                             const char *ns, const char *name,
                             const char *sub, int patch_type,
                             const char *patch, const cplane_object **out,
                             char **message) {
  return patch_call(ctx, "patch_subresource", res, ns, name, sub,
                    patch_type, patch, out, message);
}

int cp_api_patch(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                     const char *ns, const char *name, int patch_type,
                     const char *patch, const cplane_object **out,
                     char **message) {
  return patch_call(ctx, "patch", res, ns, name, NULL, patch_type, patch,
                    out, message);
}

int cp_api_apply(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                 const char *ns, const char *name, const char *sub,
                 const char *field_manager, int force, const char *json,
                 const cplane_object **out, char **message) {
  char *path = NULL, *suffix = NULL, *fm;
  int rc;

  if (out != NULL)
    *out = NULL;
  if (message != NULL)
    *message = NULL;
  if (field_manager == NULL || field_manager[0] == '\0' ||
      strlen(field_manager) > 128 || json == NULL ||
      (sub != NULL && strchr(sub, '/') != NULL))
    return CPLANE_EINVAL;
  if ((fm = evhttp_encode_uri(field_manager)) == NULL)
    return CPLANE_ENOMEM;
  if (asprintf(&suffix, "%s%s?fieldManager=%s%s",
               sub != NULL && sub[0] != '\0' ? "/" : "", sub ? sub : "", fm,
               force ? "&force=true" : "") < 0)
    suffix = NULL;
  free(fm);
  if (suffix == NULL)
    return CPLANE_ENOMEM;
  path = res != NULL && name != NULL ? object_path(res, ns, name, suffix)
                                     : NULL;
  rc = write_call(ctx, "apply", "apply", "PATCH", res, sub, path,
                  "application/apply-patch+yaml", json, out, message);
  free(suffix);
  free(path);
  return rc;
}

int cp_api_write_subresource(cplane_plugin_ctx *ctx,
                                 const struct cplane_resource *res,
                                 int method, const char *ns,
                                 const char *name, const char *sub,
                                 const char *json, const cplane_object **out,
                                 char **message) {
  char *path = NULL, *suffix = NULL;
  int rc;

  if (res == NULL || name == NULL || sub == NULL || sub[0] == '\0' ||
      strchr(sub, '/') != NULL ||
      (method != CPLANE_WRITE_CREATE && method != CPLANE_WRITE_UPDATE))
    return CPLANE_EINVAL;
  if (asprintf(&suffix, "/%s", sub) < 0) {
    suffix = NULL;
    rc = CPLANE_ENOMEM;
    goto out;
  }
  path = object_path(res, ns, name, suffix);
  rc = write_call(ctx, "write_subresource",
                  method == CPLANE_WRITE_CREATE ? "create" : "update",
                  method == CPLANE_WRITE_CREATE ? "POST" : "PUT", res, sub, path,
                  "application/json", json, out, message);
out:
  free(suffix);
  free(path);
  return rc;
}

int cp_api_delete(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                      const char *ns, const char *name,
                      const char *options_json, char **message) {
  char *path = res && name ? object_path(res, ns, name, NULL) : NULL;
  int rc = write_call(ctx, "delete_object", "delete", "DELETE", res, NULL, path, "application/json",
                      options_json, NULL, message);

  free(path);
  return rc;
}

/* The raw request of ABI 1.2: no resource to name, so a path is checked
 * for shape only; the API server judges the rest. */
int cp_api_request(cplane_plugin_ctx *ctx, const char *method,
                       const char *path, const char *json, char **response,
                       size_t *response_len) {
  char *resp = NULL;
  size_t len = 0;
  int code;

  if (response != NULL)
    *response = NULL;
  if (response_len != NULL)
    *response_len = 0;
  cp_dispatch_guard_check("request");
  if (method == NULL || path == NULL || path[0] != '/' ||
      (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0 &&
       strcmp(method, "PUT") != 0 && strcmp(method, "DELETE") != 0))
    return CPLANE_EINVAL;
  /* confine.h: an undeclared write never leaves the host. */
  if ((code = cp_confine_request(ctx, method, path, NULL)) != 0)
    return code;
  if (ctx == NULL || ctx->client == NULL)
    return CPLANE_EUNAVAILABLE;
  code = cp_plugin_request(ctx, method, path,
                           json ? "application/json" : NULL, json,
                           json ? strlen(json) : 0, &resp, &len);
  if (code == 0) {
    free(resp);
    return CPLANE_EUNAVAILABLE;
  }
  if (response != NULL) {
    *response = resp;
    resp = NULL;
  }
  if (response_len != NULL)
    *response_len = len;
  free(resp);
  return code;
}


int cp_api_get(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
               const char *ns, const char *name, const cplane_object **out,
               char **message) {
  char *path = res && name ? object_path(res, ns, name, NULL) : NULL;
  int rc = write_call(ctx, "get", "get", "GET", res, NULL, path, NULL, NULL, out,
                      message);

  free(path);
  return rc;
}

/* ---- list: every page of a collection -------------------------------- */

struct objs {
  const cplane_object **v;
  size_t n, cap;
};

static void objs_free(struct objs *o) {
  cp_informer_list_free(o->v, o->n);
  o->v = NULL;
  o->n = o->cap = 0;
}

/* Appends obj (taking its reference). -1 when out of memory or past the
 * bound (obj is then released). */
static int objs_push(struct objs *o, cplane_object *obj) {
  if (o->n >= CP_API_LIST_MAX) {
    cp_object_release(obj);
    return -1;
  }
  if (o->n == o->cap) {
    size_t cap = o->cap ? o->cap * 2 : 64;
    const cplane_object **v = realloc(o->v, cap * sizeof *v);

    if (v == NULL) {
      cp_object_release(obj);
      return -1;
    }
    o->v = v;
    o->cap = cap;
  }
  o->v[o->n++] = obj;
  return 0;
}

static const char *jstr(json_object *o, const char *key) {
  json_object *v;

  if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
      !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

/* List items carry no kind: give each the list's ("PodList" -> "Pod") and
 * apiVersion, as a watch event's object has them. */
static void set_kind(json_object *item, const char *list_kind,
                     const char *api_version) {
  size_t n = list_kind != NULL ? strlen(list_kind) : 0;

  if (jstr(item, "kind") != NULL || n <= 4 ||
      strcmp(list_kind + n - 4, "List") != 0)
    return;
  json_object_object_add(item, "kind",
                         json_object_new_string_len(list_kind, (int)n - 4));
  if (api_version != NULL && jstr(item, "apiVersion") == NULL)
    json_object_object_add(item, "apiVersion",
                           json_object_new_string(api_version));
}

/* Adds the items of one page; sets *cont (malloc'd, escaped) when there is
 * another. Returns CPLANE_OK, CPLANE_ERR (the body is not a list),
 * CPLANE_ERANGE (past CP_API_LIST_MAX) or CPLANE_ENOMEM. */
static int take_page(const char *body, struct objs *all, char **cont) {
  json_object *list = json_tokener_parse(body), *items, *md;
  size_t i;
  int rc = CPLANE_ERR;

  *cont = NULL;
  if (list == NULL || !json_object_object_get_ex(list, "items", &items) ||
      !json_object_is_type(items, json_type_array))
    goto out;
  rc = CPLANE_ENOMEM;
  for (i = 0; i < json_object_array_length(items); i++) {
    json_object *item = json_object_array_get_idx(items, i);
    cplane_object *o;

    if (!json_object_is_type(item, json_type_object))
      continue;
    set_kind(item, jstr(list, "kind"), jstr(list, "apiVersion"));
    if ((o = cp_object_from_json_c(item)) == NULL)
      goto out;
    if (objs_push(all, o) < 0) {
      if (all->n >= CP_API_LIST_MAX)
        rc = CPLANE_ERANGE;
      goto out;
    }
  }
  if (json_object_object_get_ex(list, "metadata", &md) &&
      jstr(md, "continue") != NULL && jstr(md, "continue")[0] != '\0' &&
      (*cont = evhttp_uriencode(jstr(md, "continue"), -1, 0)) == NULL)
    goto out;
  rc = CPLANE_OK;
out:
  json_object_put(list);
  return rc;
}

static _Atomic unsigned list_page = CP_API_LIST_PAGE;

void cp_api_set_list_page(unsigned limit) {
  atomic_store(&list_page, limit != 0 ? limit : CP_API_LIST_PAGE);
}

/* The collection path with the query of one page. malloc'd. */
static char *page_path(const char *base, const char *labels,
                       const char *fields, const char *cont) {
  char *p = NULL;

  if (asprintf(&p, "%s?limit=%u%s%s%s%s%s%s", base, atomic_load(&list_page),
               labels ? "&labelSelector=" : "", labels ? labels : "",
               fields ? "&fieldSelector=" : "", fields ? fields : "",
               cont ? "&continue=" : "", cont ? cont : "") < 0)
    return NULL;
  return p;
}

/* NULL for NULL or "", else the escaped text (malloc'd); *nomem on
 * failure. */
static char *escaped(const char *s, int *nomem) {
  char *e;

  if (s == NULL || *s == '\0')
    return NULL;
  if ((e = evhttp_uriencode(s, -1, 0)) == NULL)
    *nomem = 1;
  return e;
}

int cp_api_list(cplane_plugin_ctx *ctx, const struct cplane_resource *res,
                const char *ns, const char *label_selector,
                const char *field_selector, cplane_object_list **out,
                char **message) {
  char *base = NULL, *labels, *fields, *cont = NULL, *path = NULL;
  char *resp = NULL;
  struct objs all = {0};
  int nomem = 0, code = CPLANE_ENOMEM, restarts = 0;
  size_t len;

  if (out != NULL)
    *out = NULL;
  if (message != NULL)
    *message = NULL;
  cp_dispatch_guard_check("list");
  if (res == NULL || out == NULL)
    return CPLANE_EINVAL;
  if (ctx == NULL || ctx->client == NULL)
    return no_server(ctx, "list", res, message);
  labels = escaped(label_selector, &nomem);
  fields = escaped(field_selector, &nomem);
  if (nomem || (base = object_path(res, ns, NULL, NULL)) == NULL)
    goto out;
  for (;;) {
    free(path);
    if ((path = page_path(base, labels, fields, cont)) == NULL)
      goto out;
    free(resp);
    resp = NULL;
    code = cp_plugin_request(ctx, "GET", path, NULL, NULL, 0, &resp,
                             &len);
    if (code == 410 && cont != NULL && restarts++ < 3) {
      /* The continue token expired: list again from the start. */
      free(cont);
      cont = NULL;
      objs_free(&all);
      continue;
    }
    if (code == 0) {
      code = CPLANE_EUNAVAILABLE;
      goto out;
    }
    if (code != 200) {
      if (message != NULL)
        *message = cp_api_status_message(resp, len, code);
      goto out;
    }
    free(cont);
    cont = NULL;
    code = resp != NULL ? take_page(resp, &all, &cont) : CPLANE_ERR;
    if (code != CPLANE_OK) {
      if (message != NULL)
        *message = strdup(code == CPLANE_ERANGE
                              ? "the list is too long (over 1000000 items)"
                          : code == CPLANE_ERR
                              ? "the API server's answer is not a list"
                              : "out of memory reading the list");
      goto out;
    }
    if (cont == NULL)
      break;
  }
  code = cp_api_make_list(all.v, all.n, out) == CPLANE_OK ? 200
                                                          : CPLANE_ENOMEM;
  all.v = NULL;
  all.n = 0;
out:
  objs_free(&all);
  free(resp);
  free(path);
  free(cont);
  free(base);
  free(labels);
  free(fields);
  return code;
}
