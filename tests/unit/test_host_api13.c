/*
 * test_host_api13 - the host entries of ABI 1.3, through the host API
 * table a plugin gets, against an in-process API server: json_format_error
 * (thread-local), get, list (every page, selectors, kinds filled in),
 * patch_subresource, cache_add_index_fn (no value, many, repeats, and a
 * function that is not pure), enqueue_owner (controller flag, group match,
 * old and new owners, delete), the once-per-plugin warning about a
 * blocking call from on_add, and event_record with kube's deduplication,
 * aggregation of similar messages, spam filter (with an injected clock),
 * "default" for cluster-scoped objects, kind from discovery, and metrics;
 * and ABI 1.4's apply (server-side apply as a named field manager).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "apiserver/apiserver.h"
#include "client/client.h"
#include "informer/informer.h"
#include "log/log.h"
#include "object/object.h"
#include "plugin/controller.h"
#include "plugin/event_recorder.h"
#include "plugin/host_api_writes.h"
#include "plugin/plugin.h"
#include "workqueue/workqueue.h"

static char dir[64];
static cp_store *store;
static struct cp_apiserver *srv;
static struct cp_client *client;
static const struct cplane_host_api *api;

static const struct cplane_resource pods = CPLANE_RESOURCE("", "v1", "pods");
static const struct cplane_resource cms =
    CPLANE_RESOURCE("", "v1", "configmaps");
static const struct cplane_resource nodes =
    CPLANE_RESOURCE("", "v1", "nodes");

static int setup(void **state) {
  struct cp_apiserver_config cfg = {0};
  struct cp_client_config cc = {0};
  char path[128], url[64], *err = NULL;

  (void)state;
  cp_log_set_level(CPLANE_LOG_ERROR);
  api = cp_host_api();
  strcpy(dir, "/tmp/cp-api13-XXXXXX");
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/db", dir);
  if (cp_store_sqlite_open(path, NULL, &store, &err) != 0)
    fail_msg("%s", err);
  cfg.store = store;
  cfg.workers = 2;
  cfg.disable_admission_plugins = "ServiceAccount"; /* no SA controller */
  if (cp_apiserver_start(&cfg, &srv, &err) != 0)
    fail_msg("%s", err);
  snprintf(url, sizeof url, "http://127.0.0.1:%d", cp_apiserver_port(srv));
  cc.server = url;
  assert_int_equal(cp_client_new(&cc, &client, &err), 0);
  return 0;
}

static int teardown(void **state) {
  char cmd[128];

  (void)state;
  cp_client_free(client);
  cp_apiserver_stop(srv);
  cp_store_close(store);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
  return 0;
}

/* A bare plugin record as the loader makes one, writing to the server. */
static struct cplane_plugin_ctx *plugin(const char *name) {
  struct cplane_plugin_ctx *p = calloc(1, sizeof *p);

  assert_non_null(p);
  p->name = strdup(name);
  p->state = CP_PLUGIN_LOADED;
  p->client = client;
  cp_inflight_set_init(&p->inflight, p->name);
  return p;
}

static void plugin_free(struct cplane_plugin_ctx *p) {
  cp_controller_stop(p);
  cp_plugin_free(p);
}

static cplane_object *parse(const char *json) {
  cplane_object *o = NULL;

  assert_int_equal(cp_object_parse(json, strlen(json), &o, NULL), 0);
  return o;
}

/* ---- json_format_error ------------------------------------------------ */

static void *other_thread(void *arg) {
  (void)arg;
  return (void *)api->json_format_error();
}

static void test_json_format_error(void **state) {
  char *s;
  pthread_t t;
  void *seen;

  (void)state;
  s = api->json_format("{'a':%d}", 1);
  assert_non_null(s);
  api->free(s);
  assert_null(api->json_format_error());

  assert_null(api->json_format("{'a':%q}", 1));
  assert_non_null(strstr(api->json_format_error(), "unknown directive %q"));
  assert_non_null(strstr(api->json_format_error(), "offset 5"));
  /* The reason is this thread's: another thread's last call succeeded. */
  assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
  pthread_join(t, &seen);
  assert_null(seen);

  assert_null(api->json_format("{'a':%j}", "{\"x\":tru}"));
  assert_non_null(strstr(api->json_format_error(),
                         "%j text is not JSON at offset 5: "));
  assert_null(api->json_format("{'a':%d", 1));
  assert_non_null(strstr(api->json_format_error(), "the result is not JSON"));
  assert_null(api->json_format("{'a':%ll}", 1LL));
  assert_non_null(strstr(api->json_format_error(), "unknown directive %l"));
  assert_null(api->json_format("{'a':1}%"));
  assert_non_null(strstr(api->json_format_error(), "lone %"));
  s = api->json_format("[%s]", "ok");
  assert_string_equal(s, "[\"ok\"]");
  api->free(s);
  assert_null(api->json_format_error());
}

/* ---- get, list, patch_subresource ------------------------------------- */

static void create_cm(struct cplane_plugin_ctx *p, const char *name,
                      const char *app) {
  char *body = api->json_format("{'metadata':{'name':%s,'labels':{'app':%s}},"
                                "'data':{'k':'v'}}", name, app);
  int code = api->create(p, &cms, "default", body, NULL, NULL);

  assert_int_equal(code, 201);
  api->free(body);
}

/* ABI 1.4's apply: creates, conflicts with another manager (409 and
 * kube's message), force takes the field, the owner is recorded. */
static void test_apply(void **state) {
  struct cplane_plugin_ctx *p = plugin("rw");
  const cplane_object *obj = NULL;
  char *msg = NULL;
  const char *a = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
                  "\"metadata\":{\"name\":\"applied\"},\"data\":{\"k\":\"a\"}}";
  const char *b = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
                  "\"metadata\":{\"name\":\"applied\"},\"data\":{\"k\":\"b\"}}";
  int code;

  (void)state;
  code = api->create(p, &(struct cplane_resource)CPLANE_RESOURCE(
                            "", "v1", "namespaces"),
                     NULL, "{\"metadata\":{\"name\":\"default\"}}", NULL,
                     NULL);
  assert_true(code == 201 || code == 409);
  assert_int_equal(api->apply(p, &cms, "default", "applied", NULL, "ctl-a", 0,
                              a, &obj, NULL), 201);
  assert_string_equal(api->object_string(obj, "data.k"), "a");
  assert_string_equal(
      api->object_string(obj, "metadata.managedFields[0].manager"), "ctl-a");
  api->object_release(obj);
  assert_int_equal(api->apply(p, &cms, "default", "applied", "", "ctl-b", 0,
                              b, NULL, &msg), 409);
  assert_string_equal(msg, "Apply failed with 1 conflict: conflict with "
                           "\"ctl-a\": .data.k");
  api->free(msg);
  assert_int_equal(api->apply(p, &cms, "default", "applied", NULL, "ctl-b", 1,
                              b, &obj, NULL), 200);
  assert_string_equal(api->object_string(obj, "data.k"), "b");
  assert_string_equal(
      api->object_string(obj, "metadata.managedFields[0].manager"), "ctl-b");
  api->object_release(obj);
  assert_int_equal(api->apply(p, &cms, "default", "applied", NULL, "", 1, b,
                              NULL, NULL), CPLANE_EINVAL);
  assert_int_equal(api->apply(p, &cms, "default", "applied", "a/b", "m", 1, b,
                              NULL, NULL), CPLANE_EINVAL);
  plugin_free(p);
}

static void test_get_list_patch(void **state) {
  struct cplane_plugin_ctx *p = plugin("rw");
  const cplane_object *obj = NULL;
  cplane_object_list *list = NULL;
  char name[32], *msg = NULL;
  size_t i;
  int code;

  (void)state;
  code = api->create(p, &(struct cplane_resource)CPLANE_RESOURCE(
                            "", "v1", "namespaces"),
                     NULL, "{\"metadata\":{\"name\":\"default\"}}", NULL,
                     NULL);
  assert_true(code == 201 || code == 409);
  for (i = 0; i < 7; i++) {
    snprintf(name, sizeof name, "cm-%zu", i);
    create_cm(p, name, i % 2 ? "odd" : "even");
  }
  assert_int_equal(api->get(p, &cms, "default", "cm-3", &obj, &msg), 200);
  assert_null(msg);
  assert_string_equal(api->object_string(obj, "data.k"), "v");
  api->object_release(obj);
  assert_int_equal(api->get(p, &cms, "default", "nope", &obj, &msg), 404);
  assert_null(obj);
  assert_string_equal(msg, "configmaps \"nope\" not found");
  api->free(msg);

  /* Pages of 2: the list comes back whole, every item with its kind. */
  cp_api_set_list_page(2);
  assert_int_equal(api->list(p, &cms, "default", NULL, NULL, &list, &msg),
                   200);
  assert_int_equal(api->list_len(list), 7);
  for (i = 0; i < 7; i++) {
    assert_string_equal(api->object_string(api->list_at(list, i), "kind"),
                        "ConfigMap");
    assert_string_equal(
        api->object_string(api->list_at(list, i), "apiVersion"), "v1");
  }
  api->list_free(list);
  assert_int_equal(api->list(p, &cms, "default", "app=odd", NULL, &list,
                             NULL), 200);
  assert_int_equal(api->list_len(list), 3);
  api->list_free(list);
  assert_int_equal(api->list(p, &cms, NULL, "app in (even)",
                             "metadata.name!=cm-0", &list, NULL), 200);
  assert_int_equal(api->list_len(list), 3);
  api->list_free(list);
  assert_int_equal(api->list(p, &cms, "default", "a in (", NULL, &list,
                             &msg), 400);
  assert_null(list);
  assert_non_null(msg);
  api->free(msg);
  cp_api_set_list_page(0);

  /* patch_subresource: "" is the object; "status" the status alone. */
  assert_int_equal(api->patch_subresource(
                       p, &cms, "default", "cm-1", "", CPLANE_PATCH_MERGE,
                       "{\"data\":{\"k\":\"w\"}}", &obj, NULL), 200);
  assert_string_equal(api->object_string(obj, "data.k"), "w");
  api->object_release(obj);
  assert_int_equal(api->create(p, &pods, "default",
                               "{\"metadata\":{\"name\":\"p1\"},\"spec\":{"
                               "\"containers\":[{\"name\":\"c\",\"image\":"
                               "\"i\"}]}}", NULL, NULL), 201);
  assert_int_equal(api->patch_subresource(
                       p, &pods, "default", "p1", "status",
                       CPLANE_PATCH_MERGE,
                       "{\"status\":{\"phase\":\"Running\"}}", &obj, NULL),
                   200);
  assert_string_equal(api->object_string(obj, "status.phase"), "Running");
  api->object_release(obj);
  assert_int_equal(api->patch_subresource(p, &pods, "default", "p1", "a/b",
                                          CPLANE_PATCH_MERGE, "{}", NULL,
                                          NULL), CPLANE_EINVAL);
  assert_int_equal(api->patch_subresource(p, &pods, "default", "p1",
                                          "status", 9, "{}", NULL, NULL),
                   CPLANE_EINVAL);
  assert_int_equal(api->patch_subresource(p, &pods, "default", "gone",
                                          "status", CPLANE_PATCH_MERGE, "{}",
                                          NULL, &msg), 404);
  assert_non_null(strstr(msg, "not found"));
  api->free(msg);
  plugin_free(p);
}

/* ---- cache_add_index_fn ----------------------------------------------- */

/* Emits each comma-separated word of annotation "ix", repeats included. */
static void words(void *userdata, const cplane_object *obj,
                  cplane_index_emit_fn emit, void *emit_ctx) {
  const char *a = cp_object_annotation(obj, "ix");
  char buf[256], *tok, *save = NULL;

  (void)userdata;
  if (a == NULL)
    return;
  snprintf(buf, sizeof buf, "%s", a);
  for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
    emit(emit_ctx, tok);
}

/* Not pure: a new value on every call. The index must stay sound. */
static void impure(void *userdata, const cplane_object *obj,
                   cplane_index_emit_fn emit, void *emit_ctx) {
  char v[32];

  (void)obj;
  snprintf(v, sizeof v, "v%d", (*(int *)userdata)++);
  emit(emit_ctx, v);
}

static cplane_object *annotated(const char *name, int rv, const char *ix) {
  char json[512];

  snprintf(json, sizeof json,
           "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"n\","
           "\"resourceVersion\":\"%d\",\"annotations\":{\"ix\":\"%s\"}}}",
           name, rv, ix);
  return parse(json);
}

static size_t by_index(struct cplane_plugin_ctx *p, const char *ix,
                       const char *value) {
  cplane_object_list *list = NULL;
  size_t n;

  assert_int_equal(api->cache_list_by_index(p, 0, ix, value, NULL, &list),
                   CPLANE_OK);
  n = api->list_len(list);
  api->list_free(list);
  return n;
}

static void test_cache_add_index_fn(void **state) {
  struct cplane_plugin_ctx *p = plugin("ix"), *q = plugin("ix2");
  cp_informer *inf = cp_informer_new("configmaps");
  int counter = 0, i;

  (void)state;
  p->desc.n_resources = q->desc.n_resources = 1;
  p->informers = calloc(1, sizeof *p->informers);
  q->informers = calloc(1, sizeof *q->informers);
  p->informers[0] = q->informers[0] = inf;
  /* One object before the index exists: it is indexed when it is added. */
  assert_int_equal(cp_informer_upsert(inf, annotated("a", 1, "x,y,x")), 0);
  assert_int_equal(api->cache_add_index_fn(p, 0, "words", words, NULL),
                   CPLANE_OK);
  assert_int_equal(api->cache_add_index_fn(p, 0, "words", words, NULL),
                   CPLANE_OK); /* the same again is fine */
  /* Names are per cache: another plugin needs its own name. */
  assert_int_equal(api->cache_add_index_fn(q, 0, "words", impure, &counter),
                   CPLANE_EINVAL);
  assert_int_equal(api->cache_add_index_fn(q, 0, "namespace", words, NULL),
                   CPLANE_EINVAL);
  assert_int_equal(api->cache_add_index_fn(q, 0, "impure", impure, &counter),
                   CPLANE_OK);
  assert_int_equal(api->cache_add_index_fn(p, 1, "w", words, NULL),
                   CPLANE_EINVAL);
  assert_int_equal(api->cache_add_index_fn(p, 0, "w", NULL, NULL),
                   CPLANE_EINVAL);
  assert_int_equal(cp_informer_upsert(inf, annotated("b", 2, "y")), 0);
  assert_int_equal(cp_informer_upsert(inf, annotated("c", 3, "")), 0);
  assert_int_equal(by_index(p, "words", "x"), 1); /* once, not twice */
  assert_int_equal(by_index(p, "words", "y"), 2);
  /* An update moves the object between values. */
  assert_int_equal(cp_informer_upsert(inf, annotated("a", 4, "z")), 0);
  assert_int_equal(by_index(p, "words", "x"), 0);
  assert_int_equal(by_index(p, "words", "y"), 1);
  assert_int_equal(by_index(p, "words", "z"), 1);
  /* Many values: all there. */
  assert_int_equal(cp_informer_upsert(
                       inf, annotated("d", 5, "1,2,3,4,5,6,7,8,9,10,11,12")),
                   0);
  for (i = 1; i <= 12; i++) {
    char v[8];

    snprintf(v, sizeof v, "%d", i);
    assert_int_equal(by_index(p, "words", v), 1);
  }
  /* The impure index keeps what it was told: churn, then delete all. */
  for (i = 0; i < 20; i++)
    assert_int_equal(cp_informer_upsert(inf, annotated("b", 10 + i, "y")),
                     0);
  assert_true(counter > 20);
  (void)by_index(q, "impure", "v0");
  assert_int_equal(cp_informer_delete(inf, "n/a"), 0);
  assert_int_equal(cp_informer_delete(inf, "n/b"), 0);
  assert_int_equal(cp_informer_delete(inf, "n/c"), 0);
  assert_int_equal(cp_informer_delete(inf, "n/d"), 0);
  assert_int_equal(by_index(p, "words", "z"), 0);
  assert_int_equal(cp_informer_len(inf), 0);
  cp_informer_free(inf);
  plugin_free(p);
  plugin_free(q);
}

/* ---- enqueue_owner and the dispatch-thread warning --------------------- */

static pthread_mutex_t keys_mu = PTHREAD_MUTEX_INITIALIZER;
static char keys[64][64];
static int n_keys;
static atomic_int adds;

static int record_key(cplane_plugin_ctx *ctx, const char *key,
                      uint32_t *after) {
  (void)ctx;
  (void)after;
  pthread_mutex_lock(&keys_mu);
  if (n_keys < 64)
    snprintf(keys[n_keys++], sizeof keys[0], "%s", key);
  pthread_mutex_unlock(&keys_mu);
  return CPLANE_RECONCILE_DONE;
}

static int seen_key(const char *key) {
  int i, found = 0;

  pthread_mutex_lock(&keys_mu);
  for (i = 0; i < n_keys; i++)
    found |= strcmp(keys[i], key) == 0;
  pthread_mutex_unlock(&keys_mu);
  return found;
}

static void reset_keys(void) {
  pthread_mutex_lock(&keys_mu);
  n_keys = 0;
  pthread_mutex_unlock(&keys_mu);
}

static int wait_key(const char *key) {
  int i;

  for (i = 0; i < 3000 && !seen_key(key); i++)
    usleep(10000);
  return seen_key(key);
}

static cplane_object *owned(const char *name, int rv, const char *refs) {
  char json[1024];

  snprintf(json, sizeof json,
           "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"ns\","
           "\"resourceVersion\":\"%d\",\"ownerReferences\":[%s]}}",
           name, rv, refs);
  return parse(json);
}

#define REF(av, kind, name, ctl)                                           \
  "{\"apiVersion\":\"" av "\",\"kind\":\"" kind "\",\"name\":\"" name      \
  "\",\"uid\":\"u\",\"controller\":" ctl "}"

/* Starts p on one fresh informer; returns it. */
static cp_informer *start(struct cplane_plugin_ctx *p) {
  cp_informer *inf = cp_informer_new("pods");
  char *err = NULL;

  p->desc.n_resources = 1;
  if (p->desc.reconcile == NULL)
    p->desc.reconcile = record_key;
  p->state = CP_PLUGIN_READY;
  assert_int_equal(cp_controller_start(p, &inf, &err), 0);
  assert_int_equal(cp_informer_start(inf), 0);
  cp_informer_mark_synced(inf);
  return inf;
}

static void test_enqueue_owner(void **state) {
  struct cplane_plugin_ctx *p = plugin("owners");
  cp_informer *inf;

  (void)state;
  p->desc.n_resources = 1;
  assert_int_equal(api->enqueue_owner(p, 0, "apps", "ReplicaSet",
                                      CPLANE_OWNER_CONTROLLER), CPLANE_OK);
  assert_int_equal(api->enqueue_owner(p, 0, "", "Node", 0), CPLANE_OK);
  assert_int_equal(api->enqueue_owner(p, 1, "", "Node", 0), CPLANE_EINVAL);
  assert_int_equal(api->enqueue_owner(p, 0, "", "", 0), CPLANE_EINVAL);
  assert_int_equal(api->enqueue_owner(p, 0, "", "Node", 8), CPLANE_EINVAL);
  reset_keys();
  inf = start(p); /* on_add/on_update/on_delete are NULL */
  assert_int_equal(api->enqueue_owner(p, 0, "", "Job", 0), CPLANE_EINVAL);
  /* The controller reference in the right group counts; a non-controller
   * one and one of another group do not. */
  assert_int_equal(cp_informer_upsert(
                       inf, owned("p1", 1,
                                  REF("apps/v1", "ReplicaSet", "rs1", "true")
                                  "," REF("apps/v1", "ReplicaSet", "rs-nc",
                                          "false")
                                  "," REF("extensions/v1beta1", "ReplicaSet",
                                          "rs-ext", "true")
                                  "," REF("v1", "Node", "n1", "false"))),
                   0);
  assert_true(wait_key("ns/rs1"));
  assert_true(wait_key("ns/n1"));
  /* An update that changes owner enqueues the old and the new. */
  assert_int_equal(cp_informer_upsert(inf, owned("p1", 2,
                                                 REF("apps/v1", "ReplicaSet",
                                                     "rs2", "true"))), 0);
  assert_true(wait_key("ns/rs2"));
  reset_keys();
  assert_int_equal(cp_informer_upsert(inf, owned("p1", 3,
                                                 REF("apps/v1", "ReplicaSet",
                                                     "rs3", "true"))), 0);
  assert_true(wait_key("ns/rs3"));
  assert_true(wait_key("ns/rs2"));
  reset_keys();
  assert_int_equal(cp_informer_delete(inf, "ns/p1"), 0);
  assert_true(wait_key("ns/rs3"));
  cp_controller_stop(p);
  assert_false(seen_key("ns/rs-nc"));
  assert_false(seen_key("ns/rs-ext"));
  cp_informer_free(inf);
  plugin_free(p);
}

/* CPLANE_OWNER_CLUSTER: a cluster-scoped owner of a namespaced object is
 * queued as "name", never "ns/name" (a key no cache would find). */
static void test_enqueue_owner_cluster(void **state) {
  struct cplane_plugin_ctx *p = plugin("cluster-owners");
  cp_informer *inf;

  (void)state;
  p->desc.n_resources = 1;
  assert_int_equal(api->enqueue_owner(p, 0, "", "Node", CPLANE_OWNER_CLUSTER),
                   CPLANE_OK);
  assert_int_equal(api->enqueue_owner(p, 0, "rbac.authorization.k8s.io",
                                      "ClusterRole",
                                      CPLANE_OWNER_CLUSTER |
                                          CPLANE_OWNER_CONTROLLER),
                   CPLANE_OK);
  assert_int_equal(api->enqueue_owner(p, 0, "", "Node", 4), CPLANE_EINVAL);
  reset_keys();
  inf = start(p);
  assert_int_equal(
      cp_informer_upsert(
          inf, owned("p1", 1,
                     REF("v1", "Node", "n1", "false")
                     "," REF("rbac.authorization.k8s.io/v1", "ClusterRole",
                             "cr-nc", "false")
                     "," REF("rbac.authorization.k8s.io/v1", "ClusterRole",
                             "cr1", "true"))),
      0);
  assert_true(wait_key("n1"));
  assert_true(wait_key("cr1"));
  cp_controller_stop(p);
  assert_false(seen_key("ns/n1"));
  assert_false(seen_key("ns/cr1"));
  assert_false(seen_key("cr-nc"));
  cp_informer_free(inf);
  plugin_free(p);
}

static void writes_on_add(cplane_plugin_ctx *ctx, uint32_t r,
                          const cplane_object *obj) {
  (void)r;
  api->get(ctx, &pods, "ns", api->object_name(obj), NULL, NULL);
  api->update(ctx, &pods, "ns", api->object_name(obj), "{}", NULL, NULL);
  atomic_fetch_add(&adds, 1);
}

static int writes_in_reconcile(cplane_plugin_ctx *ctx, const char *key,
                               uint32_t *after) {
  (void)after;
  api->get(ctx, &pods, "ns", key, NULL, NULL);
  return record_key(ctx, key, after);
}

static char *slurp(FILE *fp) {
  long n;
  char *s;

  fflush(fp);
  n = ftell(fp);
  rewind(fp);
  s = calloc(1, (size_t)n + 1);
  assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
  return s;
}

static void test_dispatch_write_warned_once(void **state) {
  struct cplane_plugin_ctx *p = plugin("loud");
  FILE *log = tmpfile();
  cp_informer *inf;
  char *text, *first;

  (void)state;
  cp_log_set_level(CPLANE_LOG_WARN);
  cp_log_set_fd(fileno(log));
  p->client = NULL; /* the calls fail fast; the warning is the point */
  p->desc.on_add = writes_on_add;
  reset_keys();
  atomic_store(&adds, 0);
  p->desc.reconcile = writes_in_reconcile;
  inf = start(p);
  assert_int_equal(cp_informer_upsert(inf, owned("a", 1, "")), 0);
  assert_int_equal(cp_informer_upsert(inf, owned("b", 2, "")), 0);
  while (atomic_load(&adds) < 2)
    usleep(1000);
  api->enqueue(p, "k");
  assert_true(wait_key("k"));
  cp_controller_stop(p);
  cp_log_set_fd(2);
  cp_log_set_level(CPLANE_LOG_ERROR);
  text = slurp(log);
  first = strstr(text, "plugin loud: get() called from on_add: writes "
                       "block; enqueue and write from reconcile()");
  assert_non_null(first);
  /* Once per plugin: not for update(), not for the second object, not
   * from reconcile. */
  assert_null(strstr(strchr(first, '\n'), "called from"));
  free(text);
  fclose(log);
  cp_informer_free(inf);
  plugin_free(p);
}

/* ---- event_record ----------------------------------------------------- */

static _Atomic int64_t fake_now = 1700000000000;

static int64_t fake_clock(void) { return atomic_load(&fake_now); }

/* The Events of ns about `name`, parsed (json_object_put it). */
static json_object *events_about(const char *ns, const char *name) {
  char path[256], *body = NULL;
  size_t len;
  json_object *o;

  snprintf(path, sizeof path,
           "/api/v1/namespaces/%s/events?fieldSelector=involvedObject.name%%3D"
           "%s", ns, name);
  assert_int_equal(cp_client_request(client, "GET", path, NULL, NULL, 0,
                                     &body, &len), 200);
  o = json_tokener_parse(body);
  free(body);
  assert_non_null(o);
  return json_object_object_get(o, "items") ? o : NULL;
}

static json_object *item(json_object *list, size_t i) {
  return json_object_array_get_idx(json_object_object_get(list, "items"), i);
}

static size_t n_items(json_object *list) {
  return json_object_array_length(json_object_object_get(list, "items"));
}

static const char *str(json_object *o, const char *a, const char *b) {
  json_object *v = json_object_object_get(o, a);

  if (b != NULL)
    v = json_object_object_get(v, b);
  return json_object_get_string(v);
}

static int64_t num(json_object *o, const char *key) {
  return json_object_get_int64(json_object_object_get(o, key));
}

static void record_n(struct cplane_plugin_ctx *p,
                     const struct cplane_resource *res,
                     const cplane_object *obj, int n, const char *msg) {
  int i;

  for (i = 0; i < n; i++)
    assert_int_equal(api->event_record(p, res, obj, "Normal", "Synced",
                                       "%s", msg), CPLANE_OK);
  assert_true(cp_event_recorder_flush(p, 5000));
}

static void test_event_record(void **state) {
  struct cplane_plugin_ctx *p;
  cplane_object *pod1, *pod2, *node;
  json_object *l;
  char *text = NULL;
  size_t len = 0, i;
  FILE *m;

  (void)state;
  cp_event_recorder_set_clock(fake_clock);
  p = plugin("recorder");
  pod1 = parse("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
               "\"name\":\"web\",\"namespace\":\"default\",\"uid\":\"u1\","
               "\"resourceVersion\":\"7\"}}");
  /* As a list gives it: no kind; the recorder finds "Pod" itself. */
  pod2 = parse("{\"metadata\":{\"name\":\"db\",\"namespace\":\"default\","
               "\"uid\":\"u2\"}}");
  node = parse("{\"metadata\":{\"name\":\"node-1\",\"uid\":\"u3\"}}");

  assert_int_equal(api->event_record(p, &pods, pod1, "Info", "Synced", "x"),
                   CPLANE_EINVAL);
  assert_int_equal(api->event_record(p, &pods, pod1, "Normal", "not camel",
                                     "x"), CPLANE_EINVAL);
  assert_int_equal(api->event_record(p, &pods, NULL, "Normal", "Synced",
                                     "x"), CPLANE_EINVAL);

  /* The same event three times: one Event, count 3. */
  record_n(p, &pods, pod1, 1, "synced web");
  atomic_fetch_add(&fake_now, 60000);
  record_n(p, &pods, pod1, 2, "synced web");
  l = events_about("default", "web");
  assert_int_equal(n_items(l), 1);
  assert_int_equal(num(item(l, 0), "count"), 3);
  assert_string_equal(str(item(l, 0), "involvedObject", "kind"), "Pod");
  assert_string_equal(str(item(l, 0), "involvedObject", "uid"), "u1");
  assert_string_equal(str(item(l, 0), "involvedObject", "resourceVersion"),
                      "7");
  assert_string_equal(str(item(l, 0), "source", "component"), "recorder");
  assert_string_equal(str(item(l, 0), "reportingComponent", NULL),
                      "recorder");
  assert_string_equal(str(item(l, 0), "firstTimestamp", NULL),
                      "2023-11-14T22:13:20Z");
  assert_string_equal(str(item(l, 0), "lastTimestamp", NULL),
                      "2023-11-14T22:14:20Z");
  assert_string_equal(str(item(l, 0), "metadata", "name"),
                      "web.17979cfe362a0000");
  json_object_put(l);

  /* The spam filter: 25 in a burst (3 spent above), then one per 5 min;
   * what it drops still counts toward the next Event's count. */
  record_n(p, &pods, pod1, 25, "synced web");
  l = events_about("default", "web");
  assert_int_equal(num(item(l, 0), "count"), 25);
  json_object_put(l);
  assert_int_equal(atomic_load(&p->event_counts.dropped), 3);
  atomic_fetch_add(&fake_now, 300 * 1000);
  record_n(p, &pods, pod1, 2, "synced web");
  l = events_about("default", "web");
  assert_int_equal(num(item(l, 0), "count"), 29);
  json_object_put(l);
  assert_int_equal(atomic_load(&p->event_counts.dropped), 4);
  /* The Event expired (deleted): the next one is created again, its
   * count going on, as kube's recorder does on a 404. */
  assert_int_equal(cp_client_request(client, "DELETE",
                                     "/api/v1/namespaces/default/events/"
                                     "web.17979cfe362a0000", NULL, NULL, 0,
                                     &text, &len), 200);
  free(text);
  text = NULL;
  atomic_fetch_add(&fake_now, 300 * 1000);
  record_n(p, &pods, pod1, 1, "synced web");
  l = events_about("default", "web");
  assert_int_equal(n_items(l), 1);
  assert_int_equal(num(item(l, 0), "count"), 31);
  assert_string_equal(str(item(l, 0), "metadata", "name"),
                      "web.17979cfe362a0000");
  json_object_put(l);

  /* Ten different messages with one reason: the tenth and later become
   * one "(combined from similar events)" Event. */
  for (i = 0; i < 12; i++) {
    assert_int_equal(api->event_record(p, &pods, pod2, "Warning", "Failed",
                                       "attempt %zu failed", i), CPLANE_OK);
  }
  assert_true(cp_event_recorder_flush(p, 5000));
  l = events_about("default", "db");
  assert_int_equal(n_items(l), 10);
  for (i = 0; i < n_items(l); i++) {
    json_object *e = item(l, i);

    assert_string_equal(str(e, "involvedObject", "kind"), "Pod");
    assert_string_equal(str(e, "involvedObject", "apiVersion"), "v1");
    if (strncmp(str(e, "message", NULL), "(combined", 9) == 0) {
      assert_string_equal(str(e, "message", NULL),
                          "(combined from similar events): attempt 11 "
                          "failed");
      assert_int_equal(num(e, "count"), 3);
    }
  }
  json_object_put(l);

  /* A cluster-scoped object's events go to "default". */
  record_n(p, &nodes, node, 1, "node ok");
  l = events_about("default", "node-1");
  assert_int_equal(n_items(l), 1);
  assert_string_equal(str(item(l, 0), "involvedObject", "kind"), "Node");
  assert_true(str(item(l, 0), "involvedObject", "namespace") == NULL ||
              !*str(item(l, 0), "involvedObject", "namespace"));
  assert_string_equal(str(item(l, 0), "metadata", "namespace"), "default");
  json_object_put(l);

  m = open_memstream(&text, &len);
  cp_event_recorder_metrics_write(&p, 1, m);
  fclose(m);
  assert_non_null(strstr(text, "cplane_plugin_events_total{plugin=\""
                               "recorder\",result=\"dropped\"} 4\n"));
  assert_non_null(strstr(text, "result=\"failed\"} 0\n"));
  free(text);
  cp_object_release(pod1);
  cp_object_release(pod2);
  cp_object_release(node);
  plugin_free(p); /* stops the recorder */
  cp_event_recorder_set_clock(NULL);
}

/* An event recorded from init() starts the recorder's thread before the
 * registry hands the plugin its client (cp_registry_start_caches()): the
 * thread reads the pointer as it is set, so it is atomic (TSan). */
static void test_event_before_client(void **state) {
  struct cplane_plugin_ctx *p = plugin("early");
  cplane_object *o = parse("{\"kind\":\"Pod\",\"apiVersion\":\"v1\","
                           "\"metadata\":{\"name\":\"early\","
                           "\"namespace\":\"default\"}}");
  int i;

  (void)state;
  p->client = NULL;
  assert_int_equal(api->event_record(p, &pods, o, "Normal", "Started",
                                     "from init"), CPLANE_OK);
  /* The registry's store may come at any moment of the thread's send:
   * store while it reads, until it gave up on the first event. */
  for (i = 0; i < 10000000 && atomic_load(&p->event_counts.failed) == 0;
       i++)
    p->client = NULL;
  p->client = client;
  assert_true(cp_event_recorder_flush(p, 5000));
  assert_int_equal(api->event_record(p, &pods, o, "Warning", "Late",
                                     "with a client"), CPLANE_OK);
  assert_true(cp_event_recorder_flush(p, 5000));
  assert_true(atomic_load(&p->event_counts.created) >= 1);
  cp_object_release(o);
  plugin_free(p);
}

/* Stopping the plugin sends what is queued (bounded) or counts it: every
 * recorded event is accounted for, nothing leaks. */
static void test_event_stop_accounts_for_all(void **state) {
  struct cplane_plugin_ctx *p = plugin("stopper");
  struct cp_event_counts *c = &p->event_counts;
  cplane_object *again = parse("{\"metadata\":{\"name\":\"again\","
                               "\"namespace\":\"default\"}}");
  char json[256];
  int i;

  (void)state;
  for (i = 0; i < 40; i++) {
    cplane_object *o;

    snprintf(json, sizeof json,
             "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{"
             "\"name\":\"s%d\",\"namespace\":\"default\"}}", i);
    o = parse(json);
    assert_int_equal(api->event_record(p, &pods, o, "Normal", "Started",
                                       "started %d", i), CPLANE_OK);
    cp_object_release(o);
  }
  cp_event_recorder_stop(p);
  assert_null(atomic_load(&p->events));
  assert_int_equal(atomic_load(&c->created) + atomic_load(&c->aggregated) +
                       atomic_load(&c->dropped) + atomic_load(&c->failed),
                   40);
  assert_int_equal(atomic_load(&c->failed), 0);
  /* A record after the stop starts a new recorder. */
  assert_int_equal(api->event_record(p, &pods, again, "Normal", "Started",
                                     "again"), CPLANE_OK);
  cp_object_release(again);
  plugin_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_format_error),
      cmocka_unit_test(test_get_list_patch),
      cmocka_unit_test(test_apply),
      cmocka_unit_test(test_cache_add_index_fn),
      cmocka_unit_test(test_enqueue_owner),
      cmocka_unit_test(test_enqueue_owner_cluster),
      cmocka_unit_test(test_dispatch_write_warned_once),
      cmocka_unit_test(test_event_record),
      cmocka_unit_test(test_event_stop_accounts_for_all),
      cmocka_unit_test(test_event_before_client),
  };

  return cmocka_run_group_tests(tests, setup, teardown);
}
