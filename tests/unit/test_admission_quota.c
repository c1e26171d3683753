/*
 * test_admission_quota - ResourceQuota admission through the verbs: the
 * third pod past pods=2 is 403 in kube's words and status.used is
 * charged; racing creates from many threads never pass the quota
 * together (the compare-and-swap charge) and, all fitting, are each
 * charged once (batched); a quota whose status is not
 * counted yet refuses with "status unknown"; a cpu quota wants every
 * container's cpu request; a dry run charges nothing; a NodePort
 * Service's ports are counted; an update of a Service is charged only
 * what it adds. Charges use the newest version this server knows
 * (its own last write over the policy cache's): another server's write
 * since is caught by the compare-and-swap, and a refusal is answered only
 * on the store's version. The charge and the create are one store
 * transaction: a create refused for its taken name charges nothing, and
 * watchers of quotas and pods each get their event. Every test runs on
 * SQLite, then on a real etcd (where a transaction's writes share one
 * revision, so each holds one create).
 */
#include "api_fixture.h"

#include <json-c/json.h>
#include <pthread.h>
#include <unistd.h>

#include "apiserver/policy_cache.h"
#include "apiserver/quota_versions.h"
#include "apiserver/resources.h"

#include "../store/etcd_cluster.c"

#define PODS "/api/v1/namespaces/q/pods"
#define QUOTAS "/api/v1/namespaces/q/resourcequotas"

/* The etcd the second group runs on; NULL while the first runs. */
static etcd_cluster *etcd_in_use;

/* Replaces the fixture's SQLite store with a key space of its own on
 * etcd_in_use. */
static void use_etcd(struct api_fixture *f) {
  static int seq;
  cp_store_etcd_opts o = {0};
  char prefix[64], *err = NULL;

  snprintf(prefix, sizeof prefix, "/q%d-%d/", (int)getpid(), ++seq);
  o.endpoints = etcd_in_use->endpoints;
  o.endpoint_count = 1;
  o.prefix = prefix;
  o.dial_timeout_ms = 15000;
  o.request_timeout_ms = 10000;
  cp_store_close(f->store);
  if (cp_store_etcd_open(&o, &f->store, &err) != 0)
    fail_msg("etcd open: %s", err ? err : "?");
  f->ctx.store = f->store;
}

static int setup(void **state) {
  struct api_fixture *f;

  api_fixture_setup(state);
  f = *state;
  if (etcd_in_use != NULL)
    use_etcd(f);
  f->ctx.policy_cache = cp_policy_cache_new();
  assert_non_null(f->ctx.policy_cache);
  f->ctx.quota_versions = cp_quota_versions_new();
  assert_non_null(f->ctx.quota_versions);
  api_fixture_namespace(f, "q");
  return 0;
}

static int teardown(void **state) {
  struct api_fixture *f = *state;

  cp_policy_cache_free(f->ctx.policy_cache);
  cp_quota_versions_free(f->ctx.quota_versions);
  return api_fixture_teardown(state);
}

/* Quota name with hard (a JSON object) and, when used is not NULL, the
 * status the controller would have written. */
static void quota(struct api_fixture *f, const char *name, const char *hard,
                  const char *used) {
  char body[1024], path[256];

  snprintf(body, sizeof body,
           "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"hard\":%s}}", name,
           hard);
  api_fixture_expect(f, CP_API_POST, QUOTAS, body, 201);
  if (used == NULL)
    return;
  snprintf(path, sizeof path, QUOTAS "/%s/status", name);
  snprintf(body, sizeof body,
           "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"hard\":%s},"
           "\"status\":{\"hard\":%s,\"used\":%s}}",
           name, hard, hard, used);
  api_fixture_expect(f, CP_API_PUT, path, body, 200);
}

static struct cp_api_response create_pod(struct api_fixture *f,
                                         const char *name,
                                         const char *resources,
                                         const char *query) {
  char body[1024], path[128];

  snprintf(body, sizeof body,
           "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"containers\":[{"
           "\"name\":\"c\",\"image\":\"x\"%s%s}]}}",
           name, resources ? ",\"resources\":" : "", resources ? resources : "");
  snprintf(path, sizeof path, PODS "%s", query ? query : "");
  return api_fixture_call(f, CP_API_POST, path, API_FIXTURE_JSON, body);
}

/* Creates a pod and fails unless it answers code; with want, the body
 * must hold it. */
static void pod_expect(struct api_fixture *f, const char *name,
                       const char *resources, int code, const char *want) {
  struct cp_api_response rs = create_pod(f, name, resources, NULL);

  if (rs.code != code || (want != NULL && strstr(rs.body, want) == NULL))
    fail_msg("pod %s: %d: %s", name, rs.code, rs.body ? rs.body : "");
  free(rs.body);
}

/* Fails unless status.used[res] of quota name is want ("" when absent). */
static void used_expect(struct api_fixture *f, const char *name,
                        const char *res, const char *want) {
  char path[256];
  struct cp_api_response rs;
  json_object *o, *u, *v;

  snprintf(path, sizeof path, QUOTAS "/%s", name);
  rs = api_fixture_call(f, CP_API_GET, path, NULL, NULL);
  assert_int_equal(rs.code, 200);
  o = json_tokener_parse(rs.body);
  u = json_object_object_get(json_object_object_get(o, "status"), "used");
  v = json_object_object_get(u, res);
  assert_string_equal(v != NULL ? json_object_get_string(v) : "", want);
  json_object_put(o);
  free(rs.body);
}

static void test_exceeded(void **state) {
  struct api_fixture *f = *state;

  quota(f, "q", "{\"pods\":\"2\"}", "{\"pods\":\"0\"}");
  pod_expect(f, "p1", NULL, 201, NULL);
  pod_expect(f, "p2", NULL, 201, NULL);
  pod_expect(f, "p3", NULL, 403,
             "pods \\\"p3\\\" is forbidden: exceeded quota: q, requested: "
             "pods=1, used: pods=2, limited: pods=2");
  used_expect(f, "q", "pods", "2");
}

static void test_dry_run_charges_nothing(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;

  quota(f, "q", "{\"pods\":\"2\"}", "{\"pods\":\"1\"}");
  rs = create_pod(f, "dry", NULL, "?dryRun=All");
  assert_int_equal(rs.code, 201);
  free(rs.body);
  used_expect(f, "q", "pods", "1");
}

static void test_status_unknown(void **state) {
  struct api_fixture *f = *state;

  /* Without status.hard a quota limits nothing yet, as in kube. */
  quota(f, "new", "{\"pods\":\"1\"}", NULL);
  pod_expect(f, "free", NULL, 201, NULL);
  quota(f, "fresh", "{\"pods\":\"2\",\"count/configmaps\":\"1\"}",
        "{\"count/configmaps\":\"0\"}");
  pod_expect(f, "p", NULL, 403,
             "pods \\\"p\\\" is forbidden: status unknown for quota: fresh, "
             "resources: pods");
}

static void test_constraints_and_sum(void **state) {
  struct api_fixture *f = *state;

  quota(f, "cpu", "{\"requests.cpu\":\"1\",\"limits.memory\":\"1Gi\"}",
        "{\"requests.cpu\":\"0\",\"limits.memory\":\"0\"}");
  pod_expect(f, "bare", NULL, 403,
             "failed quota: cpu: must specify limits.memory for: c; "
             "requests.cpu for: c");
  pod_expect(f, "a",
             "{\"requests\":{\"cpu\":\"600m\"},\"limits\":{\"memory\":"
             "\"512Mi\"}}",
             201, NULL);
  used_expect(f, "cpu", "requests.cpu", "600m");
  used_expect(f, "cpu", "limits.memory", "512Mi");
  pod_expect(f, "b",
             "{\"requests\":{\"cpu\":\"600m\"},\"limits\":{\"memory\":"
             "\"768Mi\"}}",
             403,
             "exceeded quota: cpu, requested: limits.memory=768Mi,"
             "requests.cpu=600m, used: limits.memory=512Mi,requests.cpu=600m, "
             "limited: limits.memory=1Gi,requests.cpu=1");
}

static void test_services(void **state) {
  struct api_fixture *f = *state;

  quota(f, "svc", "{\"services.nodeports\":\"2\",\"services\":\"5\"}",
        "{\"services.nodeports\":\"0\",\"services\":\"0\"}");
  api_fixture_expect(f, CP_API_POST, "/api/v1/namespaces/q/services",
                     "{\"metadata\":{\"name\":\"np\"},\"spec\":{\"type\":"
                     "\"NodePort\",\"ports\":[{\"name\":\"a\",\"port\":80},{\"name\":\"b\",\"port\":81}]}}",
                     201);
  used_expect(f, "svc", "services.nodeports", "2");
  /* A third node port is past the quota; a ClusterIP Service is not. */
  api_fixture_expect(f, CP_API_POST, "/api/v1/namespaces/q/services",
                     "{\"metadata\":{\"name\":\"np2\"},\"spec\":{\"type\":"
                     "\"NodePort\",\"ports\":[{\"port\":80}]}}",
                     403);
  api_fixture_expect(f, CP_API_POST, "/api/v1/namespaces/q/services",
                     "{\"metadata\":{\"name\":\"c\"},\"spec\":{"
                     "\"ports\":[{\"port\":80}]}}",
                     201);
  used_expect(f, "svc", "services", "2");
  used_expect(f, "svc", "services.nodeports", "2");
}

struct racer {
  struct api_fixture *f;
  int id; /* -1: every racer creates the same names, 409 expected */
  int created;
  int other; /* answers neither 201 nor 403 (a lost race: 409) */
};

static void *race(void *arg) {
  struct racer *r = arg;
  char name[32];
  int i;

  for (i = 0; i < 4; i++) {
    struct cp_api_response rs;

    if (r->id < 0)
      snprintf(name, sizeof name, "same-%d", i);
    else
      snprintf(name, sizeof name, "r%d-%d", r->id, i);
    rs = create_pod(r->f, name, NULL, NULL);
    r->created += rs.code == 201;
    if (rs.code != 201 && rs.code != (r->id < 0 ? 409 : 403)) {
      fprintf(stderr, "race: %d %s\n", rs.code, rs.body);
      r->other++;
    }
    free(rs.body);
  }
  return NULL;
}

/* 16 threads create 4 pods each in a namespace with a quota of pods=hard
 * (status counted at 0); returns how many were created, failing on any
 * answer but 201 and 403. */
static int race_creates(struct api_fixture *f, const char *hard) {
  struct racer r[16];
  pthread_t t[16];
  char spec[64];
  int i, total = 0;

  snprintf(spec, sizeof spec, "{\"pods\":\"%s\"}", hard);
  quota(f, "q", spec, "{\"pods\":\"0\"}");
  for (i = 0; i < 16; i++) {
    r[i] = (struct racer){f, i, 0, 0};
    assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
  }
  for (i = 0; i < 16; i++) {
    pthread_join(t[i], NULL);
    total += r[i].created;
    assert_int_equal(r[i].other, 0);
  }
  return total;
}

static void test_racing_creates(void **state) {
  struct api_fixture *f = *state;

  assert_int_equal(race_creates(f, "5"), 5);
  used_expect(f, "q", "pods", "5");
}

/* Racing creates under a quota they all fit: each is charged once, the
 * writes a batch leads together summed into one status write. */
static void test_racing_creates_all_charged(void **state) {
  struct api_fixture *f = *state;

  assert_int_equal(race_creates(f, "1000"), 64);
  used_expect(f, "q", "pods", "64");
}

/* Sets status.used.pods of quota name in the store directly, as another
 * server would: neither the policy cache nor this server's known
 * versions hear of it. */
static void pods_used_behind_back(struct api_fixture *f, const char *name,
                                  const char *pods) {
  const struct cp_resource_type *t =
      cp_resources_find(f->ctx.resources, "", "v1", "resourcequotas");
  char *key = cp_api_key(t, "q", name), *text;
  cp_store_kv kv;
  json_object *o, *used;

  assert_non_null(key);
  assert_int_equal(cp_store_get(f->ctx.store, key, strlen(key), 0, &kv, NULL),
                   CPLANE_OK);
  o = json_tokener_parse((const char *)kv.value);
  used = json_object_object_get(json_object_object_get(o, "status"), "used");
  assert_non_null(used);
  json_object_object_add(used, "pods", json_object_new_string(pods));
  text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
  assert_int_equal(cp_store_update(f->ctx.store, key, strlen(key), text,
                                   strlen(text), kv.mod_revision, NULL, NULL),
                   CPLANE_OK);
  free(text);
  json_object_put(o);
  cp_store_kv_free(&kv);
  free(key);
}

/* Another server charged the quota full after this server's last write:
 * the charge on the known (older) version loses its compare-and-swap and
 * the store's version refuses, in kube's words. */
static void test_newer_write_elsewhere_refuses(void **state) {
  struct api_fixture *f = *state;

  quota(f, "q", "{\"pods\":\"3\"}", "{\"pods\":\"0\"}");
  pod_expect(f, "p1", NULL, 201, NULL);
  pods_used_behind_back(f, "q", "3");
  pod_expect(f, "p2", NULL, 403,
             "pods \\\"p2\\\" is forbidden: exceeded quota: q, requested: "
             "pods=1, used: pods=3, limited: pods=3");
  used_expect(f, "q", "pods", "3");
}

/* Another server's recount freed the quota since this server filled it:
 * the known version would refuse, the store's admits, and a write is
 * refused only on what the store holds. */
static void test_refused_only_on_store_version(void **state) {
  struct api_fixture *f = *state;

  quota(f, "q", "{\"pods\":\"1\"}", "{\"pods\":\"0\"}");
  pod_expect(f, "p1", NULL, 201, NULL);
  pods_used_behind_back(f, "q", "0");
  pod_expect(f, "p2", NULL, 201, NULL);
  used_expect(f, "q", "pods", "1");
  pod_expect(f, "p3", NULL, 403, "exceeded quota: q");
}

/* A create the store refuses (its name is taken) charges nothing: the
 * charge and the create are one transaction. */
static void test_taken_name_charges_nothing(void **state) {
  struct api_fixture *f = *state;

  quota(f, "q", "{\"pods\":\"5\"}", "{\"pods\":\"0\"}");
  pod_expect(f, "p1", NULL, 201, NULL);
  pod_expect(f, "p1", NULL, 409, "already exists");
  pod_expect(f, "p1", NULL, 409, "already exists");
  used_expect(f, "q", "pods", "1");
}

/* A quota created under the name of one that exists, in a namespace
 * whose quota counts quotas: 409 as for any taken name, nothing
 * charged; another name is counted. */
static void test_taken_quota_name(void **state) {
  struct api_fixture *f = *state;

  quota(f, "q", "{\"resourcequotas\":\"5\"}", "{\"resourcequotas\":\"1\"}");
  api_fixture_expect(f, CP_API_POST, QUOTAS,
                     "{\"metadata\":{\"name\":\"q\"},\"spec\":{\"hard\":"
                     "{\"pods\":\"1\"}}}",
                     409);
  used_expect(f, "q", "resourcequotas", "1");
  api_fixture_expect(f, CP_API_POST, QUOTAS,
                     "{\"metadata\":{\"name\":\"q2\"},\"spec\":{\"hard\":"
                     "{\"pods\":\"1\"}}}",
                     201);
  used_expect(f, "q", "resourcequotas", "2");
}

/* 16 threads create the same 4 pods at once (their creates batched into
 * shared transactions): each pod is created once and charged once. */
static void test_racing_same_names_charged_once(void **state) {
  struct api_fixture *f = *state;
  struct racer r[16];
  pthread_t t[16];
  int i, total = 0;

  quota(f, "q", "{\"pods\":\"100\"}", "{\"pods\":\"0\"}");
  for (i = 0; i < 16; i++) {
    r[i] = (struct racer){f, -1, 0, 0};
    assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
  }
  for (i = 0; i < 16; i++) {
    pthread_join(t[i], NULL);
    total += r[i].created;
    assert_int_equal(r[i].other, 0);
  }
  assert_int_equal(total, 4);
  used_expect(f, "q", "pods", "4");
}

struct seen {
  pthread_mutex_t mu;
  int64_t rev; /* the last event's */
  int count;
};

static void seen_cb(void *ud, const cp_store_watch_msg *m) {
  struct seen *s = ud;

  if (m->kind != CP_STORE_WATCH_EVENTS || m->count == 0)
    return;
  pthread_mutex_lock(&s->mu);
  s->count += (int)m->count;
  s->rev = m->events[m->count - 1].kv.mod_revision;
  pthread_mutex_unlock(&s->mu);
}

static int seen_count(struct seen *s) {
  int n;

  pthread_mutex_lock(&s->mu);
  n = s->count;
  pthread_mutex_unlock(&s->mu);
  return n;
}

/* Watchers of quotas and of pods (what informers do) each get their
 * event of a charged create. */
static void test_watchers_see_quota_and_pod(void **state) {
  struct api_fixture *f = *state;
  struct seen sq = {PTHREAD_MUTEX_INITIALIZER, 0, 0},
              sp = {PTHREAD_MUTEX_INITIALIZER, 0, 0};
  cp_store_watcher *wq, *wp;
  int64_t now = 0;
  int i;

  quota(f, "q", "{\"pods\":\"5\"}", "{\"pods\":\"0\"}");
  assert_int_equal(cp_store_current_revision(f->ctx.store, &now), 0);
  assert_int_equal(cp_store_watch(f->ctx.store, "resourcequotas/q/", 17,
                                  now + 1, seen_cb, &sq, &wq), 0);
  assert_int_equal(cp_store_watch(f->ctx.store, "pods/q/", 7, now + 1,
                                  seen_cb, &sp, &wp), 0);
  pod_expect(f, "p1", NULL, 201, NULL);
  for (i = 0; i < 3000 && (seen_count(&sq) < 1 || seen_count(&sp) < 1); i++)
    usleep(10000);
  assert_int_equal(seen_count(&sq), 1);
  assert_int_equal(seen_count(&sp), 1);
  assert_true(sq.rev > now && sp.rev > now);
  cp_store_watch_cancel(wq);
  cp_store_watch_cancel(wp);
  used_expect(f, "q", "pods", "1");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_exceeded, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dry_run_charges_nothing, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_status_unknown, setup, teardown),
      cmocka_unit_test_setup_teardown(test_constraints_and_sum, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_services, setup, teardown),
      cmocka_unit_test_setup_teardown(test_racing_creates, setup, teardown),
      cmocka_unit_test_setup_teardown(test_newer_write_elsewhere_refuses,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_refused_only_on_store_version,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_racing_creates_all_charged, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_taken_name_charges_nothing, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_taken_quota_name, setup, teardown),
      cmocka_unit_test_setup_teardown(test_racing_same_names_charged_once,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_watchers_see_quota_and_pod, setup,
                                      teardown),
  };
  etcd_cluster etcd;
  int rc = cmocka_run_group_tests_name("quota admission: sqlite", tests, NULL,
                                       NULL);

  if (etcd_cluster_start(&etcd, 1) != 0) {
    fprintf(stderr, "FAIL: cannot start etcd for the quota tests\n");
    return 1;
  }
  etcd_in_use = &etcd;
  rc |= cmocka_run_group_tests_name("quota admission: etcd", tests, NULL,
                                    NULL);
  etcd_cluster_stop(&etcd);
  return rc;
}
