/*
 * test_testing_kit - the test kit itself (cplane/testing.h): the store's
 * kube semantics through the table a plugin gets (create, update, status,
 * patch, delete with finalizers, 404/409 in kube's words), injected
 * failures, reads and request(), the clock and queue (REQUEUE_AFTER,
 * backoff, drain), delivery of watch events, enqueue_owner, index
 * functions, the dispatch-thread rule, events, logs and start's checks,
 * with a small probe plugin whose behaviour each test sets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cplane/testing.h>

/* ---- the probe plugin ---- */

static const struct cplane_host_api *api;
static const struct cplane_resource probe_res[] = {
    CPLANE_RESOURCE("", "v1", "configmaps"),
    CPLANE_RESOURCE("", "v1", "pods"),
};
static const struct cplane_resource rs_res =
    CPLANE_RESOURCE("apps", "v1", "replicasets");

/* What the probe does, set by each test. */
static struct {
  int result;            /* what reconcile returns */
  uint32_t requeue_ms;
  int write_from_on_add; /* creates a configmap from on_add */
  int create_in_reconcile;
  int adds, updates, deletes, reconciles;
  char last_key[256];
} probe;

static void node_index(void *ud, const cplane_object *obj,
                       cplane_index_emit_fn emit, void *emit_ctx) {
  const char *node = api->object_string(obj, "spec.nodeName");

  (void)ud;
  if (node != NULL)
    emit(emit_ctx, node);
}

static const char *const probe_keys[] = {"mode", NULL};

static int probe_init(cplane_plugin_ctx *ctx,
                      const struct cplane_host_api *host_api, char **errmsg) {
  const char *mode;

  api = host_api;
  mode = api->config_get(ctx, "mode");
  if (mode != NULL && strcmp(mode, "fail") == 0) {
    *errmsg = api->string_dup("mode=fail asked for");
    return CPLANE_EINVAL;
  }
  if (api->cache_add_index_fn(ctx, 1, "node", node_index, NULL) != CPLANE_OK ||
      api->cache_add_index(ctx, 1, "app", "metadata.labels.app") !=
          CPLANE_OK ||
      api->enqueue_owner(ctx, 1, "apps", "ReplicaSet",
                         CPLANE_OWNER_CONTROLLER) != CPLANE_OK ||
      api->enqueue_owner(ctx, 1, "", "Node", CPLANE_OWNER_CLUSTER) !=
          CPLANE_OK)
    return CPLANE_ERR;
  return CPLANE_OK;
}

static void probe_add(cplane_plugin_ctx *ctx, uint32_t res,
                      const cplane_object *obj) {
  probe.adds++;
  if (res == 0)
    api->enqueue(ctx, api->object_key(obj));
  if (probe.write_from_on_add)
    api->create(ctx, &probe_res[0], "default",
                "{\"metadata\":{\"name\":\"from-on-add\"}}", NULL, NULL);
}

static void probe_update(cplane_plugin_ctx *ctx, uint32_t res,
                         const cplane_object *o, const cplane_object *n) {
  (void)o;
  probe.updates++;
  if (res == 0)
    api->enqueue(ctx, api->object_key(n));
}

static void probe_delete(cplane_plugin_ctx *ctx, uint32_t res,
                         const cplane_object *obj) {
  (void)ctx;
  (void)res;
  (void)obj;
  probe.deletes++;
}

static int probe_reconcile(cplane_plugin_ctx *ctx, const char *key,
                           uint32_t *requeue_after_ms) {
  probe.reconciles++;
  snprintf(probe.last_key, sizeof probe.last_key, "%s", key);
  if (probe.create_in_reconcile) {
    probe.create_in_reconcile = 0;
    api->create(ctx, &probe_res[0], "default",
                "{\"metadata\":{\"name\":\"made\"}}", NULL, NULL);
  }
  *requeue_after_ms = probe.requeue_ms;
  return probe.result;
}

static const struct cplane_plugin probe_plugin = {
    CPLANE_PLUGIN_HEADER,
    .name = "probe",
    .version = "0.1.0",
    .kind = CPLANE_KIND_CONTROLLER,
    .n_resources = 2,
    .resources = probe_res,
    .init = probe_init,
    .on_add = probe_add,
    .on_update = probe_update,
    .on_delete = probe_delete,
    .reconcile = probe_reconcile,
    .config_keys = probe_keys,
};

static int setup(void **state) {
  cplane_test_host *h = cplane_test_host_new();

  memset(&probe, 0, sizeof probe);
  if (h == NULL || cplane_test_start(h, &probe_plugin) != CPLANE_OK)
    return -1;
  *state = h;
  return 0;
}

static int teardown(void **state) {
  cplane_test_host_free(*state);
  return 0;
}

#define CTX(h) cplane_test_ctx(h)

/* ---- the store ---- */

static void test_create_fills_metadata(void **state) {
  cplane_test_host *h = *state;
  const cplane_object *out = NULL;
  const struct cplane_test_write *w;
  char *msg = NULL;
  int code;

  code = api->create(CTX(h), &probe_res[1], "default",
                     "{\"kind\":\"Pod\",\"metadata\":{\"generateName\":"
                     "\"web-\"}}", &out, &msg);
  assert_int_equal(code, 201);
  assert_null(msg);
  assert_non_null(out);
  assert_int_equal(strncmp(api->object_name(out), "web-", 4), 0);
  assert_int_equal(strlen(api->object_name(out)), 9);
  assert_string_equal(api->object_namespace(out), "default");
  assert_non_null(api->object_uid(out));
  assert_non_null(api->object_resource_version(out));
  assert_string_equal(api->object_string(out, "metadata.creationTimestamp"),
                      "2026-01-01T00:00:00Z");
  assert_int_equal(api->object_generation(out), 1);
  api->object_release(out);

  code = api->create(CTX(h), &probe_res[0], "default",
                     "{\"metadata\":{\"name\":\"a\"}}", NULL, NULL);
  assert_int_equal(code, 201);
  code = api->create(CTX(h), &probe_res[0], "default",
                     "{\"metadata\":{\"name\":\"a\"}}", NULL, &msg);
  assert_int_equal(code, 409);
  assert_string_equal(msg, "configmaps \"a\" already exists");
  api->free(msg);
  code = api->create(CTX(h), &probe_res[0], "default",
                     "{\"metadata\":{\"namespace\":\"x\",\"name\":\"b\"}}",
                     NULL, &msg);
  assert_int_equal(code, 400);
  api->free(msg);

  assert_int_equal(cplane_test_writes_len(h), 4);
  assert_int_equal(cplane_test_writes_count(h, "create", "configmaps"), 3);
  assert_int_equal(cplane_test_writes_count(h, "create", "pods"), 1);
  w = cplane_test_write_at(h, 2);
  assert_string_equal(w->verb, "create");
  assert_string_equal(w->resource, "configmaps");
  assert_string_equal(w->ns, "default");
  assert_string_equal(w->name, "a");
  assert_int_equal(w->code, 409);
  assert_string_equal(w->body, "{\"metadata\":{\"name\":\"a\"}}");
  assert_int_equal(cplane_test_count(h, "configmaps", "default", NULL), 1);
  cplane_test_writes_clear(h);
  assert_int_equal(cplane_test_writes_len(h), 0);

  /* Names are bounded as kube bounds them. */
  {
    char long_name[300], *body;

    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    body = api->json_format("{'metadata':{'name':%s}}", long_name);
    code = api->create(CTX(h), &probe_res[0], "default", body, NULL, &msg);
    api->free(body);
    assert_int_equal(code, 422);
    assert_non_null(strstr(msg, "must be no more than 253 characters"));
    api->free(msg);
  }
}

static void test_update_conflict_and_status(void **state) {
  cplane_test_host *h = *state;
  const cplane_object *rs = NULL, *out = NULL;
  char *msg = NULL, rv[32], *body;
  int code;

  assert_int_equal(
      cplane_test_add(h, "replicasets.apps",
                      "{\"kind\":\"ReplicaSet\",\"metadata\":{\"name\":"
                      "\"web\",\"namespace\":\"default\",\"generation\":1},"
                      "\"spec\":{\"replicas\":1},\"status\":{\"replicas\":"
                      "0}}"),
      CPLANE_OK);
  assert_int_equal(cplane_test_get(h, "replicasets.apps", "default/web", &rs),
                   CPLANE_OK);
  snprintf(rv, sizeof rv, "%s", api->object_resource_version(rs));
  api->object_release(rs);

  /* A stale resourceVersion: 409 in kube's words, nothing changes. */
  code = api->update(CTX(h), &rs_res, "default", "web",
                     "{\"metadata\":{\"name\":\"web\",\"resourceVersion\":"
                     "\"12345\"},\"spec\":{\"replicas\":5}}",
                     NULL, &msg);
  assert_int_equal(code, 409);
  assert_string_equal(msg, "Operation cannot be fulfilled on "
                           "replicasets.apps \"web\": the object has been "
                           "modified; please apply your changes to the "
                           "latest version and try again");
  api->free(msg);

  /* The current one: the spec changes, status is kept, generation bumps. */
  body = api->json_format("{'metadata':{'name':'web','resourceVersion':%s},"
                          "'spec':{'replicas':5},'status':{'replicas':9}}",
                          rv);
  code = api->update(CTX(h), &rs_res, "default", "web", body, &out, NULL);
  api->free(body);
  assert_int_equal(code, 200);
  assert_string_not_equal(api->object_resource_version(out), rv);
  assert_int_equal(api->object_generation(out), 2);
  {
    int64_t v = -1;

    api->object_int(out, "spec.replicas", &v);
    assert_int_equal(v, 5);
    api->object_int(out, "status.replicas", &v);
    assert_int_equal(v, 0);
  }
  assert_non_null(api->object_uid(out));
  api->object_release(out);

  /* The status subresource changes status only. */
  code = api->update_status(CTX(h), &rs_res, "default", "web",
                            "{\"metadata\":{\"name\":\"web\"},\"spec\":{"
                            "\"replicas\":1},\"status\":{\"replicas\":5}}",
                            &out, NULL);
  assert_int_equal(code, 200);
  {
    int64_t v = -1;

    api->object_int(out, "spec.replicas", &v);
    assert_int_equal(v, 5);
    api->object_int(out, "status.replicas", &v);
    assert_int_equal(v, 5);
    assert_int_equal(api->object_generation(out), 2);
  }
  api->object_release(out);
  assert_int_equal(cplane_test_writes_count(h, "update",
                                            "replicasets.apps/status"), 1);
  assert_int_equal(cplane_test_writes_count(h, "update", "replicasets.apps"),
                   3);

  code = api->update(CTX(h), &rs_res, "default", "nope",
                     "{\"metadata\":{\"name\":\"nope\"}}", NULL, &msg);
  assert_int_equal(code, 404);
  assert_string_equal(msg, "replicasets.apps \"nope\" not found");
  api->free(msg);
}

static void test_patches(void **state) {
  cplane_test_host *h = *state;
  const cplane_object *out = NULL;
  char *msg = NULL, buf[64];
  int code;

  assert_int_equal(
      cplane_test_add(h, "pods",
                      "{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\","
                      "\"labels\":{\"a\":\"1\"},\"ownerReferences\":[{"
                      "\"uid\":\"u1\",\"kind\":\"X\",\"name\":\"x\"},{"
                      "\"uid\":\"u2\",\"kind\":\"Y\",\"name\":\"y\"}]}}"),
      CPLANE_OK);
  code = api->patch(CTX(h), &probe_res[1], "ns", "p", CPLANE_PATCH_MERGE,
                    "{\"metadata\":{\"labels\":{\"a\":null,\"b\":\"2\"}}}",
                    NULL, NULL);
  assert_int_equal(code, 200);
  assert_string_equal(cplane_test_get_string(h, "pods", "ns/p",
                                             "metadata.labels.b", buf,
                                             sizeof buf),
                      "2");
  assert_string_equal(cplane_test_get_string(h, "pods", "ns/p",
                                             "metadata.labels.a", buf,
                                             sizeof buf),
                      "");
  /* Strategic merge: ownerReferences merge by uid. */
  code = api->patch(CTX(h), &probe_res[1], "ns", "p", CPLANE_PATCH_STRATEGIC,
                    "{\"metadata\":{\"ownerReferences\":[{\"$patch\":"
                    "\"delete\",\"uid\":\"u1\"}]}}",
                    &out, NULL);
  assert_int_equal(code, 200);
  assert_int_equal(api->object_len(out, "metadata.ownerReferences"), 1);
  assert_string_equal(api->object_string(out,
                                         "metadata.ownerReferences[0].uid"),
                      "u2");
  api->object_release(out);
  /* A JSON patch whose test fails: 422, nothing changes. */
  code = api->patch(CTX(h), &probe_res[1], "ns", "p", CPLANE_PATCH_JSON,
                    "[{\"op\":\"test\",\"path\":\"/metadata/name\","
                    "\"value\":\"q\"}]",
                    NULL, &msg);
  assert_int_equal(code, 422);
  assert_non_null(strstr(msg, "the patch could not be applied"));
  api->free(msg);
  /* A resourceVersion in the patch is a precondition. */
  code = api->patch(CTX(h), &probe_res[1], "ns", "p", CPLANE_PATCH_MERGE,
                    "{\"metadata\":{\"resourceVersion\":\"1\"}}", NULL, &msg);
  assert_int_equal(code, 409);
  api->free(msg);
  /* Status through patch_subresource; the main resource keeps status. */
  code = api->patch_subresource(CTX(h), &probe_res[1], "ns", "p", "status",
                                CPLANE_PATCH_MERGE,
                                "{\"status\":{\"phase\":\"Running\"}}", NULL,
                                NULL);
  assert_int_equal(code, 200);
  code = api->patch(CTX(h), &probe_res[1], "ns", "p", CPLANE_PATCH_MERGE,
                    "{\"status\":{\"phase\":\"Failed\"}}", NULL, NULL);
  assert_int_equal(code, 200);
  assert_string_equal(cplane_test_get_string(h, "pods", "ns/p",
                                             "status.phase", buf, sizeof buf),
                      "Running");
  assert_int_equal(cplane_test_writes_count(h, "patch", "pods/status"), 1);
  assert_int_equal(cplane_test_write_at(h, 0)->patch_type,
                   CPLANE_PATCH_MERGE);
  code = api->patch(CTX(h), &probe_res[1], "ns", "gone", CPLANE_PATCH_MERGE,
                    "{}", NULL, &msg);
  assert_int_equal(code, 404);
  assert_string_equal(msg, "pods \"gone\" not found");
  api->free(msg);
}

static void test_delete_and_finalizers(void **state) {
  cplane_test_host *h = *state;
  char *msg = NULL, buf[64];
  int code;

  cplane_test_clock_advance_ms(h, 61000);
  assert_int_equal(cplane_test_add(h, "configmaps",
                                   "{\"metadata\":{\"name\":\"f\","
                                   "\"namespace\":\"d\",\"finalizers\":["
                                   "\"x/y\"]}}"),
                   CPLANE_OK);
  code = api->delete_object(CTX(h), &probe_res[0], "d", "f", NULL, &msg);
  assert_int_equal(code, 200);
  assert_null(msg);
  /* Still there, being deleted, at the fake clock's time. */
  assert_string_equal(cplane_test_get_string(h, "configmaps", "d/f",
                                             "metadata.deletionTimestamp",
                                             buf, sizeof buf),
                      "2026-01-01T00:01:01Z");
  /* The last finalizer going lets it go. */
  code = api->patch(CTX(h), &probe_res[0], "d", "f", CPLANE_PATCH_JSON,
                    "[{\"op\":\"remove\",\"path\":\"/metadata/finalizers/0\"}]",
                    NULL, NULL);
  assert_int_equal(code, 200);
  assert_int_equal(cplane_test_count(h, "configmaps", NULL, NULL), 0);
  probe.deletes = 0;
  assert_int_equal(cplane_test_deliver(h), 1);
  assert_int_equal(probe.deletes, 1);
  code = api->delete_object(CTX(h), &probe_res[0], "d", "f", NULL, &msg);
  assert_int_equal(code, 404);
  assert_string_equal(msg, "configmaps \"f\" not found");
  api->free(msg);

  /* Orphan adds its finalizer; no finalizer at all deletes at once. */
  assert_int_equal(cplane_test_add(h, "configmaps",
                                   "{\"metadata\":{\"name\":\"o\","
                                   "\"namespace\":\"d\"}}"),
                   CPLANE_OK);
  code = api->delete_object(CTX(h), &probe_res[0], "d", "o",
                            "{\"propagationPolicy\":\"Orphan\"}", NULL);
  assert_int_equal(code, 200);
  assert_string_equal(cplane_test_get_string(h, "configmaps", "d/o",
                                             "metadata.finalizers[0]", buf,
                                             sizeof buf),
                      "orphan");
  assert_int_equal(cplane_test_add(h, "configmaps",
                                   "{\"metadata\":{\"name\":\"p\","
                                   "\"namespace\":\"d\"}}"),
                   CPLANE_OK);
  code = api->delete_object(CTX(h), &probe_res[0], "d", "p", NULL, NULL);
  assert_int_equal(code, 200);
  assert_int_equal(cplane_test_count(h, "configmaps", "d", NULL), 1);
  /* The cache still has it until the watch event is delivered. */
  {
    const cplane_object *o = NULL;

    assert_int_equal(api->cache_get(CTX(h), 0, "d/p", &o), CPLANE_OK);
    api->object_release(o);
    probe.deletes = 0;
    assert_true(cplane_test_deliver(h) >= 1);
    assert_int_equal(probe.deletes, 1);
    assert_int_equal(api->cache_get(CTX(h), 0, "d/p", &o), CPLANE_ENOENT);
  }
}

static void test_injected_failures(void **state) {
  cplane_test_host *h = *state;
  char *msg = NULL;
  int code;

  assert_int_equal(cplane_test_add(h, "replicasets.apps",
                                   "{\"metadata\":{\"name\":\"r\","
                                   "\"namespace\":\"d\"}}"),
                   CPLANE_OK);
  assert_int_equal(cplane_test_fail(h, "update", "replicasets.apps/status", 2,
                                    409, NULL),
                   CPLANE_OK);
  assert_int_equal(cplane_test_fail(h, "create", "pods", 1, 500,
                                    "etcd is down"),
                   CPLANE_OK);
  assert_int_equal(cplane_test_fail(h, "get", NULL, 1, 404, NULL), CPLANE_OK);
  assert_int_equal(cplane_test_fail(h, "get", NULL, 1, 99, NULL),
                   CPLANE_EINVAL);

  /* The main resource is not the status subresource. */
  code = api->update(CTX(h), &rs_res, "d", "r",
                     "{\"metadata\":{\"name\":\"r\"}}", NULL, NULL);
  assert_int_equal(code, 200);
  code = api->update_status(CTX(h), &rs_res, "d", "r",
                            "{\"metadata\":{\"name\":\"r\"}}", NULL, &msg);
  assert_int_equal(code, 409);
  assert_non_null(strstr(msg, "the object has been modified"));
  api->free(msg);
  code = api->update_status(CTX(h), &rs_res, "d", "r",
                            "{\"metadata\":{\"name\":\"r\"}}", NULL, NULL);
  assert_int_equal(code, 409);
  code = api->update_status(CTX(h), &rs_res, "d", "r",
                            "{\"metadata\":{\"name\":\"r\"}}", NULL, NULL);
  assert_int_equal(code, 200);

  code = api->create(CTX(h), &probe_res[1], "d",
                     "{\"metadata\":{\"name\":\"p\"}}", NULL, &msg);
  assert_int_equal(code, 500);
  assert_string_equal(msg, "etcd is down");
  api->free(msg);
  assert_int_equal(cplane_test_count(h, "pods", NULL, NULL), 0);
  {
    const cplane_object *o = NULL;

    code = api->get(CTX(h), &rs_res, "d", "r", &o, &msg);
    assert_int_equal(code, 404);
    assert_string_equal(msg, "replicasets.apps \"r\" not found");
    api->free(msg);
    code = api->get(CTX(h), &rs_res, "d", "r", &o, NULL);
    assert_int_equal(code, 200);
    api->object_release(o);
  }
}

static void test_reads_and_request(void **state) {
  cplane_test_host *h = *state;
  cplane_object_list *list = NULL;
  const cplane_object *doc = NULL;
  char *body = NULL;
  size_t len = 0;
  int code;

  assert_int_equal(cplane_test_add(h, "pods",
                                   "{\"kind\":\"Pod\",\"metadata\":{\"name\":"
                                   "\"a\",\"namespace\":\"n\",\"labels\":{"
                                   "\"app\":\"web\"}},\"spec\":{\"nodeName\":"
                                   "\"n1\"}}"),
                   CPLANE_OK);
  assert_int_equal(cplane_test_add(h, "pods",
                                   "{\"kind\":\"Pod\",\"metadata\":{\"name\":"
                                   "\"b\",\"namespace\":\"n\",\"labels\":{"
                                   "\"app\":\"db\"}},\"spec\":{\"nodeName\":"
                                   "\"n2\"}}"),
                   CPLANE_OK);
  code = api->list(CTX(h), &probe_res[1], "n", "app in (web,db)",
                   "spec.nodeName=n2", &list, NULL);
  assert_int_equal(code, 200);
  assert_int_equal(api->list_len(list), 1);
  assert_string_equal(api->object_name(api->list_at(list, 0)), "b");
  api->list_free(list);
  code = api->list(CTX(h), &probe_res[1], NULL, "app in (", NULL, &list,
                   NULL);
  assert_int_equal(code, 400);

  code = api->request(CTX(h), "GET",
                      "/api/v1/namespaces/n/pods?labelSelector=app%3Dweb",
                      NULL, &body, &len);
  assert_int_equal(code, 200);
  assert_int_equal(len, strlen(body));
  assert_int_equal(api->object_parse(body, len, &doc, NULL), CPLANE_OK);
  assert_string_equal(api->object_string(doc, "kind"), "PodList");
  assert_int_equal(api->object_len(doc, "items"), 1);
  assert_string_equal(api->object_string(doc, "items[0].metadata.name"),
                      "a");
  api->object_release(doc);
  api->free(body);

  code = api->request(CTX(h), "GET", "/api/v1/namespaces/n/pods/zz", NULL,
                      &body, NULL);
  assert_int_equal(code, 404);
  assert_int_equal(api->object_parse(body, strlen(body), &doc, NULL),
                   CPLANE_OK);
  assert_string_equal(api->object_string(doc, "reason"), "NotFound");
  assert_string_equal(api->object_string(doc, "message"),
                      "pods \"zz\" not found");
  api->object_release(doc);
  api->free(body);

  code = api->request(CTX(h), "DELETE",
                      "/api/v1/namespaces/n/pods?labelSelector=app%3Ddb",
                      NULL, NULL, NULL);
  assert_int_equal(code, 200);
  assert_int_equal(cplane_test_count(h, "pods", "n", NULL), 1);
  assert_int_equal(cplane_test_writes_count(h, "deletecollection", "pods"),
                   1);
  /* Discovery of what the store knows. */
  assert_int_equal(cplane_test_add(h, "replicasets.apps",
                                   "{\"apiVersion\":\"apps/v1\",\"kind\":"
                                   "\"ReplicaSet\",\"metadata\":{\"name\":"
                                   "\"r\",\"namespace\":\"n\"}}"),
                   CPLANE_OK);
  code = api->request(CTX(h), "GET", "/apis", NULL, &body, &len);
  assert_int_equal(code, 200);
  assert_int_equal(api->object_parse(body, len, &doc, NULL), CPLANE_OK);
  assert_string_equal(api->object_string(doc, "groups[0].preferredVersion."
                                              "groupVersion"),
                      "apps/v1");
  api->object_release(doc);
  api->free(body);
  code = api->request(CTX(h), "GET", "/api/v1", NULL, &body, &len);
  assert_int_equal(code, 200);
  assert_int_equal(api->object_parse(body, len, &doc, NULL), CPLANE_OK);
  assert_string_equal(api->object_string(doc, "resources[1].name"), "pods");
  {
    int nsd = 0;

    assert_int_equal(api->object_bool(doc, "resources[1].namespaced", &nsd),
                     CPLANE_OK);
    assert_int_equal(nsd, 1);
  }
  api->object_release(doc);
  api->free(body);
  code = api->request(CTX(h), "GET", "/version", NULL, NULL, NULL);
  assert_int_equal(code, 404);
  code = api->request(CTX(h), "PATCH", "/api/v1/pods", NULL, NULL, NULL);
  assert_int_equal(code, CPLANE_EINVAL);
}

/* ---- clock, queue, delivery ---- */

static void test_requeue_after_and_clock(void **state) {
  cplane_test_host *h = *state;
  char ts[32];

  assert_string_equal(cplane_test_rfc3339(CPLANE_TEST_EPOCH_MS, ts, sizeof ts),
                      "2026-01-01T00:00:00Z");
  assert_int_equal(api->now_ms(CTX(h)), CPLANE_TEST_EPOCH_MS);
  probe.result = CPLANE_RECONCILE_REQUEUE_AFTER;
  probe.requeue_ms = 1000;
  assert_int_equal(cplane_test_add(h, "configmaps",
                                   "{\"metadata\":{\"name\":\"c\","
                                   "\"namespace\":\"d\"}}"),
                   CPLANE_OK);
  assert_true(cplane_test_queued(h, "d/c"));
  assert_int_equal(cplane_test_drain(h), 1);
  assert_int_equal(cplane_test_queued_delay_ms(h, "d/c"), 1000);
  cplane_test_clock_advance_ms(h, 999);
  assert_int_equal(cplane_test_drain(h), 0);
  cplane_test_clock_advance_ms(h, 1);
  probe.result = CPLANE_RECONCILE_DONE;
  assert_int_equal(cplane_test_drain(h), 1);
  assert_int_equal(cplane_test_queue_len(h), 0);
  assert_int_equal(cplane_test_queued_delay_ms(h, "d/c"), -1);
  assert_int_equal(api->now_ms(CTX(h)), CPLANE_TEST_EPOCH_MS + 1000);
}

static void test_retry_backoff_and_zero_requeue(void **state) {
  cplane_test_host *h = *state;

  probe.result = CPLANE_RECONCILE_RETRY;
  assert_int_equal(cplane_test_reconcile(h, "k", NULL),
                   CPLANE_RECONCILE_RETRY);
  assert_int_equal(cplane_test_queued_delay_ms(h, "k"), 5);
  cplane_test_clock_advance_ms(h, 5);
  assert_int_equal(cplane_test_reconcile(h, "k", NULL),
                   CPLANE_RECONCILE_RETRY);
  assert_int_equal(cplane_test_queued_delay_ms(h, "k"), 10);
  probe.result = CPLANE_RECONCILE_DONE;
  cplane_test_clock_advance_ms(h, 10);
  assert_int_equal(cplane_test_drain(h), 1);
  /* Success forgets the backoff. */
  probe.result = CPLANE_RECONCILE_RETRY;
  cplane_test_reconcile(h, "k", NULL);
  assert_int_equal(cplane_test_queued_delay_ms(h, "k"), 5);

  /* A 0 ms REQUEUE_AFTER is a mistake: said, and backed off. */
  probe.result = CPLANE_RECONCILE_REQUEUE_AFTER;
  probe.requeue_ms = 0;
  cplane_test_reconcile(h, "z", NULL);
  assert_int_equal(cplane_test_logs_count(h, "REQUEUE_AFTER with a 0 ms"), 1);
  assert_int_equal(cplane_test_queued_delay_ms(h, "z"), 5);
  /* A plugin that never settles ends the drain. */
  probe.result = CPLANE_RECONCILE_REQUEUE_AFTER;
  probe.requeue_ms = 1;
  cplane_test_clock_advance_ms(h, 1000000);
  {
    int i, rc = 0;

    for (i = 0; i < 3 && rc >= 0; i++) {
      rc = cplane_test_drain(h);
      cplane_test_clock_advance_ms(h, 1);
    }
    assert_true(rc >= 1);
  }
}

static void test_writes_reach_cache_when_delivered(void **state) {
  cplane_test_host *h = *state;
  const cplane_object *o = NULL;

  probe.create_in_reconcile = 1;
  assert_int_equal(cplane_test_reconcile(h, "x", NULL),
                   CPLANE_RECONCILE_DONE);
  assert_int_equal(cplane_test_count(h, "configmaps", "default", NULL), 1);
  assert_int_equal(api->cache_get(CTX(h), 0, "default/made", &o),
                   CPLANE_ENOENT);
  assert_int_equal(probe.adds, 0);
  assert_int_equal(cplane_test_deliver(h), 1);
  assert_int_equal(probe.adds, 1);
  assert_int_equal(api->cache_get(CTX(h), 0, "default/made", &o), CPLANE_OK);
  api->object_release(o);
  /* on_add queued it; drain reconciles it. */
  assert_int_equal(cplane_test_drain(h), 1);
  assert_string_equal(probe.last_key, "default/made");
  assert_int_equal(cplane_test_dispatch_writes(h), 0);
}

static void test_owner_mapping_and_indexes(void **state) {
  cplane_test_host *h = *state;
  cplane_object_list *list = NULL;

  assert_int_equal(
      cplane_test_add(h, "pods",
                      "{\"metadata\":{\"name\":\"p1\",\"namespace\":\"d\","
                      "\"labels\":{\"app\":\"web\"},\"ownerReferences\":[{"
                      "\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\","
                      "\"name\":\"rs1\",\"uid\":\"u\",\"controller\":true}]},"
                      "\"spec\":{\"nodeName\":\"n1\"}}"),
      CPLANE_OK);
  assert_int_equal(
      cplane_test_add(h, "pods",
                      "{\"metadata\":{\"name\":\"p2\",\"namespace\":\"d\","
                      "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\","
                      "\"kind\":\"ReplicaSet\",\"name\":\"rs2\",\"uid\":"
                      "\"v\"}]}}"),
      CPLANE_OK);
  /* Only the controller reference counts (CPLANE_OWNER_CONTROLLER). */
  assert_true(cplane_test_queued(h, "d/rs1"));
  assert_false(cplane_test_queued(h, "d/rs2"));
  assert_int_equal(probe.adds, 2);
  /* A cluster-scoped owner (CPLANE_OWNER_CLUSTER) is queued as "name",
   * as the host does. */
  assert_int_equal(
      cplane_test_add(h, "pods",
                      "{\"metadata\":{\"name\":\"p3\",\"namespace\":\"d\","
                      "\"ownerReferences\":[{\"apiVersion\":\"v1\","
                      "\"kind\":\"Node\",\"name\":\"n9\",\"uid\":\"w\"}]}}"),
      CPLANE_OK);
  assert_true(cplane_test_queued(h, "n9"));
  assert_false(cplane_test_queued(h, "d/n9"));
  assert_int_equal(api->enqueue_owner(CTX(h), 1, "", "Node", 4),
                   CPLANE_EINVAL);

  assert_int_equal(api->cache_list_by_index(CTX(h), 1, "node", "n1", NULL,
                                            &list),
                   CPLANE_OK);
  assert_int_equal(api->list_len(list), 1);
  api->list_free(list);
  assert_int_equal(api->cache_list_by_index(CTX(h), 1, "app", "web", NULL,
                                            &list),
                   CPLANE_OK);
  assert_int_equal(api->list_len(list), 1);
  api->list_free(list);
  assert_int_equal(api->cache_list_by_index(CTX(h), 1, "owner-uid", "v",
                                            NULL, &list),
                   CPLANE_OK);
  assert_int_equal(api->list_len(list), 1);
  assert_string_equal(api->object_name(api->list_at(list, 0)), "p2");
  api->list_free(list);
  assert_int_equal(api->cache_list_by_index(CTX(h), 1, "nope", "x", NULL,
                                            &list),
                   CPLANE_ENOENT);
  assert_int_equal(api->cache_list(CTX(h), 1, "d", "app=web", &list),
                   CPLANE_OK);
  assert_int_equal(api->list_len(list), 1);
  api->list_free(list);
  assert_int_equal(api->cache_list(CTX(h), 1, NULL, "a in (", &list),
                   CPLANE_EINVAL);

  /* Update and delete go through the mapping and the callbacks too. */
  assert_int_equal(cplane_test_delete(h, "pods", "d/p1"), CPLANE_OK);
  assert_int_equal(probe.deletes, 1);
  assert_int_equal(cplane_test_delete(h, "pods", "d/p1"), CPLANE_ENOENT);
}

static void test_write_from_dispatch_is_flagged(void **state) {
  cplane_test_host *h = *state;

  probe.write_from_on_add = 1;
  assert_int_equal(cplane_test_add(h, "pods",
                                   "{\"metadata\":{\"name\":\"p\","
                                   "\"namespace\":\"d\"}}"),
                   CPLANE_OK);
  probe.write_from_on_add = 0;
  assert_int_equal(cplane_test_dispatch_writes(h), 1);
  assert_int_equal(cplane_test_write_at(h, 0)->from_dispatch, 1);
  assert_int_equal(cplane_test_logs_count(h, "create from on_add"), 1);
}

static void test_events_and_logs(void **state) {
  cplane_test_host *h = *state;
  const cplane_object *o = NULL;
  const struct cplane_test_event *e;

  assert_int_equal(cplane_test_add(h, "pods",
                                   "{\"kind\":\"Pod\",\"metadata\":{"
                                   "\"name\":\"p\",\"namespace\":\"d\"}}"),
                   CPLANE_OK);
  cplane_test_get(h, "pods", "d/p", &o);
  assert_int_equal(api->event_record(CTX(h), &probe_res[1], o, "Normal",
                                     "Scheduled", "assigned to %s", "n1"),
                   CPLANE_OK);
  assert_int_equal(api->event_record(CTX(h), &probe_res[1], o, "Odd",
                                     "Scheduled", "x"),
                   CPLANE_EINVAL);
  assert_int_equal(api->event_record(CTX(h), &probe_res[1], o, "Warning",
                                     "not camel", "x"),
                   CPLANE_EINVAL);
  api->object_release(o);
  assert_int_equal(cplane_test_events_len(h), 1);
  e = cplane_test_event_at(h, 0);
  assert_string_equal(e->type, "Normal");
  assert_string_equal(e->reason, "Scheduled");
  assert_string_equal(e->message, "assigned to n1");
  assert_string_equal(e->kind, "Pod");
  assert_string_equal(e->ns, "d");
  assert_string_equal(e->name, "p");
  assert_int_equal(cplane_test_events_count(h, "Scheduled"), 1);
  cplane_test_events_clear(h);
  assert_int_equal(cplane_test_events_len(h), 0);

  api->log(CTX(h), CPLANE_LOG_WARN, "hello %d", 42);
  assert_string_equal(cplane_test_log_at(h, cplane_test_logs_len(h) - 1),
                      "WARN hello 42");
  assert_null(api->json_format("{'a':%j}", "not json"));
  assert_non_null(strstr(api->json_format_error(),
                         "%j text is not JSON at offset 0: "));
  cplane_test_logs_clear(h);
  assert_int_equal(cplane_test_logs_len(h), 0);
}

/* The kit's json_format_error is the host's: the same reason, word for
 * word, and NULL after a success. */
static void test_json_format_error_is_the_hosts(void **state) {
  (void)state;
  assert_null(api->json_format("{'a':%x}", 1));
  assert_string_equal(api->json_format_error(),
                      "unknown directive %x at offset 5 of the template");
  assert_null(api->json_format("[%j]", "[1,"));
  assert_non_null(strstr(api->json_format_error(),
                         "%j text is not JSON at offset 3: "));
  assert_null(api->json_format(NULL));
  assert_string_equal(api->json_format_error(), "the template is NULL");
  free(api->json_format("[%d]", 1));
  assert_null(api->json_format_error());
}

/* Events are correlated as the host's recorder does (event_correlator.h):
 * the same event three times is one Event of count 3; ten different
 * messages combine; past the burst the spam filter drops. */
static void test_events_aggregated_as_the_host(void **state) {
  cplane_test_host *h = *state;
  const cplane_object *o = NULL, *o2 = NULL;
  const struct cplane_test_event *e;
  int i;

  assert_int_equal(cplane_test_add(h, "pods",
                                   "{\"kind\":\"Pod\",\"metadata\":{"
                                   "\"name\":\"p\",\"namespace\":\"d\"}}"),
                   CPLANE_OK);
  assert_int_equal(cplane_test_add(h, "pods",
                                   "{\"kind\":\"Pod\",\"metadata\":{"
                                   "\"name\":\"q\",\"namespace\":\"d\"}}"),
                   CPLANE_OK);
  cplane_test_get(h, "pods", "d/p", &o);
  cplane_test_get(h, "pods", "d/q", &o2);
  for (i = 0; i < 3; i++)
    assert_int_equal(api->event_record(CTX(h), &probe_res[1], o, "Normal",
                                       "Pulled", "image %s pulled", "web"),
                     CPLANE_OK);
  assert_int_equal(cplane_test_events_len(h), 1);
  e = cplane_test_event_at(h, 0);
  assert_int_equal(e->count, 3);
  assert_string_equal(e->message, "image web pulled");
  assert_non_null(strstr(e->event_name, "p."));
  assert_int_equal(cplane_test_events_count(h, "Pulled"), 3);
  /* Another type is another Event. */
  assert_int_equal(api->event_record(CTX(h), &probe_res[1], o, "Warning",
                                     "Pulled", "image %s pulled", "web"),
                   CPLANE_OK);
  assert_int_equal(cplane_test_events_len(h), 2);
  assert_int_equal(cplane_test_event_at(h, 1)->count, 1);
  cplane_test_events_clear(h);

  /* Ten distinct messages of one reason about q: the tenth on is
   * combined into one Event. */
  for (i = 0; i < 12; i++)
    assert_int_equal(api->event_record(CTX(h), &probe_res[1], o2, "Normal",
                                       "Scaled", "step %d", i),
                     CPLANE_OK);
  assert_int_equal(cplane_test_events_len(h), 10);
  e = cplane_test_event_at(h, 9);
  assert_string_equal(e->message, "(combined from similar events): step 11");
  assert_int_equal(e->count, 3);
  assert_int_equal(cplane_test_events_count(h, "Scaled"), 12);
  cplane_test_events_clear(h);

  /* 25 events about q in all (a burst of 25 per object): the spam filter
   * drops the rest until the clock gives a token back (one per 5 min). */
  for (i = 0; i < 20; i++)
    api->event_record(CTX(h), &probe_res[1], o2, "Normal", "Spam", "x");
  assert_int_equal(cplane_test_events_count(h, "Spam"), 13);
  assert_int_equal(cplane_test_events_len(h), 1);
  /* The dropped ones still counted (kube's eventLogger runs before the
   * filter): the next Event written carries 13 + 7 + 1. */
  cplane_test_clock_advance_ms(h, 300 * 1000);
  api->event_record(CTX(h), &probe_res[1], o2, "Normal", "Spam", "x");
  assert_int_equal(cplane_test_events_len(h), 1);
  assert_int_equal(cplane_test_event_at(h, 0)->count, 21);
  api->object_release(o);
  api->object_release(o2);
}

/* ---- start ---- */

static void test_start_checks(void **state) {
  struct cplane_plugin newer = probe_plugin;
  cplane_test_host *h = cplane_test_host_new();

  (void)state;
  /* Every entry of the table is filled: a new ABI entry the kit does not
   * fill fails here. */
  {
    const struct cplane_host_api *t = cplane_test_api(h);
    const void *const *slot = (const void *const *)((const char *)t + 8);
    size_t i;

    assert_int_equal(t->struct_size, sizeof *t);
    assert_int_equal(t->abi_major, CPLANE_ABI_MAJOR);
    assert_int_equal(t->abi_minor, CPLANE_ABI_MINOR);
    for (i = 0; i < (sizeof *t - 8) / sizeof(void *); i++)
      assert_non_null(slot[i]);
  }
  newer.abi_minor = CPLANE_ABI_MINOR + 1;
  assert_int_equal(cplane_test_start(h, &newer), CPLANE_EINVAL);
  assert_non_null(strstr(cplane_test_start_error(h), "newer than"));
  cplane_test_host_free(h);

  h = cplane_test_host_new();
  cplane_test_config_set(h, "mode", "fail");
  cplane_test_config_set(h, "mdoe", "typo");
  assert_int_equal(cplane_test_start(h, &probe_plugin), CPLANE_EINVAL);
  assert_non_null(strstr(cplane_test_start_error(h), "mode=fail asked for"));
  assert_int_equal(cplane_test_logs_count(h, "unknown key 'mdoe'"), 1);
  assert_int_equal(cplane_test_drain(h), CPLANE_EUNAVAILABLE);
  cplane_test_host_free(h);

  /* Objects added before start are the initial list. */
  h = cplane_test_host_new();
  memset(&probe, 0, sizeof probe);
  cplane_test_add(h, "configmaps",
                  "{\"metadata\":{\"name\":\"early\",\"namespace\":\"d\"}}");
  assert_int_equal(probe.adds, 0);
  assert_int_equal(cplane_test_start(h, &probe_plugin), CPLANE_OK);
  assert_int_equal(probe.adds, 1);
  assert_true(cplane_test_queued(h, "d/early"));
  assert_string_equal(api->plugin_name(cplane_test_ctx(h)), "probe");
  assert_string_equal(api->config_get(cplane_test_ctx(h), "enabled"), "true");
  cplane_test_host_free(h);
}

/* The template as its .so, from the build beside this binary. */
static void test_start_so(void **state) {
  char path[4200], exe[4096];
  cplane_test_host *h;
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  char *slash;

  (void)state;
  if (n <= 0)
    skip();
  exe[n] = '\0';
  if ((slash = strrchr(exe, '/')) != NULL)
    *slash = '\0';
  snprintf(path, sizeof path, "%s/../plugins/template.so", exe);
  if (access(path, R_OK) != 0)
    skip();
  h = cplane_test_host_new();
  cplane_test_config_set(h, "label", "tier");
  assert_int_equal(cplane_test_start_so(h, path), CPLANE_OK);
  assert_int_equal(cplane_test_logs_count(h, "label key 'tier'"), 1);
  assert_int_equal(cplane_test_add(h, "configmaps",
                                   "{\"metadata\":{\"name\":\"c\","
                                   "\"namespace\":\"d\",\"labels\":{"
                                   "\"tier\":\"web\"}}}"),
                   CPLANE_OK);
  assert_int_equal(cplane_test_drain(h), 1);
  assert_int_equal(cplane_test_logs_count(h, "d/c: 1 label(s), tier=web"), 1);
  cplane_test_host_free(h);

  h = cplane_test_host_new();
  assert_int_equal(cplane_test_start_so(h, "/nonexistent/x.so"),
                   CPLANE_ENOENT);
  assert_non_null(cplane_test_start_error(h));
  cplane_test_host_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_create_fills_metadata, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_update_conflict_and_status, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_patches, setup, teardown),
      cmocka_unit_test_setup_teardown(test_delete_and_finalizers, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_injected_failures, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_reads_and_request, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_requeue_after_and_clock, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_retry_backoff_and_zero_requeue,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_writes_reach_cache_when_delivered,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_owner_mapping_and_indexes, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_write_from_dispatch_is_flagged,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_events_and_logs, setup, teardown),
      cmocka_unit_test_setup_teardown(test_json_format_error_is_the_hosts,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_events_aggregated_as_the_host,
                                      setup, teardown),
      cmocka_unit_test(test_start_checks),
      cmocka_unit_test(test_start_so),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
