/*
 * test_kit_deployment - the deployment plugin (plugins/deployment, linked
 * in unchanged) on the test kit's fake host. A new Deployment gets a
 * ReplicaSet named and labelled with its pod-template-hash and controlled
 * by it; RollingUpdate with maxSurge 1/maxUnavailable 0 grows the new
 * ReplicaSet before it shrinks the old; Recreate empties the old one
 * first; revisionHistoryLimit prunes; Available and Progressing follow.
 * The kit runs no ReplicaSet controller: settle() plays it, every pod
 * turning ready and available at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cplane/testing.h>

#include "podtemplate.h"

const struct cplane_plugin *cplane_plugin_entry(void);

/* A Deployment "web" of `replicas` running `image`, with `strategy` (JSON
 * text) and revisionHistoryLimit `history`. */
static char *dep_json(int replicas, const char *image, const char *strategy,
                      int history) {
  static char json[1024];

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
           "{\"name\":\"web\",\"namespace\":\"default\",\"uid\":\"dep-uid\","
           "\"generation\":1},\"spec\":{\"replicas\":%d,"
           "\"revisionHistoryLimit\":%d,\"selector\":{\"matchLabels\":{"
           "\"app\":\"web\"}},\"strategy\":%s,\"template\":{\"metadata\":{"
           "\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{"
           "\"name\":\"c\",\"image\":\"%s\"}]}}}}",
           replicas, history, strategy, image);
  return json;
}

#define ROLLING_1_0                                                            \
  "{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":1,"             \
  "\"maxUnavailable\":0}}"
#define RECREATE "{\"type\":\"Recreate\"}"

static cplane_test_host *start(void) {
  cplane_test_host *h = cplane_test_host_new();

  assert_non_null(h);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  return h;
}

/* A new template for the Deployment, generation bumped as the API
 * server does. */
static void change(cplane_test_host *h, int replicas, const char *image,
                   const char *strategy, int history, int generation) {
  char *json = dep_json(replicas, image, strategy, history);
  char *g = strstr(json, "\"generation\":1");

  assert_non_null(g);
  g[strlen("\"generation\":")] = (char)('0' + generation);
  assert_int_equal(cplane_test_update(h, "deployments.apps", json), 0);
}

/* Plays the ReplicaSet controller: every ReplicaSet's pods exist, are
 * ready and available, and it has seen its spec. Returns how many it
 * changed. */
static int settle(cplane_test_host *h) {
  const struct cplane_host_api *api = cplane_test_api(h);
  cplane_object_list *list = NULL;
  size_t i, n;
  int changed = 0;

  assert_int_equal(
      api->cache_list(cplane_test_ctx(h), 1, "default", NULL, &list),
      CPLANE_OK);
  n = api->list_len(list);
  for (i = 0; i < n; i++) {
    const cplane_object *o = api->list_at(list, i);
    int64_t spec = 1, gen = 0, cur = -1, seen = -1;
    char st[256], *json;

    api->object_int(o, "spec.replicas", &spec);
    gen = api->object_generation(o);
    api->object_int(o, "status.availableReplicas", &cur);
    api->object_int(o, "status.observedGeneration", &seen);
    if (cur == spec && seen == gen &&
        api->object_int(o, "status.replicas", &cur) == CPLANE_OK && cur == spec)
      continue;
    snprintf(st, sizeof st,
             "{\"replicas\":%lld,\"readyReplicas\":%lld,"
             "\"availableReplicas\":%lld,\"observedGeneration\":%lld}",
             (long long)spec, (long long)spec, (long long)spec, (long long)gen);
    json = dp_with_member(api, o, "", "status", st);
    assert_non_null(json);
    assert_int_equal(cplane_test_update(h, "replicasets.apps", json), 0);
    free(json);
    changed++;
  }
  api->list_free(list);
  return changed;
}

/* spec.replicas of ReplicaSet `name`, -1 when absent. */
static int64_t rs_spec(cplane_test_host *h, const char *name) {
  const struct cplane_host_api *api = cplane_test_api(h);
  const cplane_object *o = NULL;
  char key[128];
  int64_t v = -1;

  snprintf(key, sizeof key, "default/%s", name);
  if (cplane_test_get(h, "replicasets.apps", key, &o) != CPLANE_OK)
    return -1;
  api->object_int(o, "spec.replicas", &v);
  api->object_release(o);
  return v;
}

/* The name "web-<hash>" the template of the current Deployment gets. */
static void rs_name(cplane_test_host *h, char *buf, size_t len) {
  const struct cplane_host_api *api = cplane_test_api(h);
  const cplane_object *o = NULL;
  char *t, hash[16];

  assert_int_equal(cplane_test_get(h, "deployments.apps", "default/web", &o),
                   0);
  t = dp_template_of(api, o);
  assert_non_null(t);
  assert_int_equal(dp_template_hash(t, 0, hash, sizeof hash), 0);
  snprintf(buf, len, "web-%s", hash);
  free(t);
  api->object_release(o);
}

static char *dep_string(cplane_test_host *h, const char *path, char *buf,
                        size_t len) {
  return cplane_test_get_string(h, "deployments.apps", "default/web", path, buf,
                                len);
}

/* The condition of `type` as "status/reason", or "" when absent. */
static char *condition(cplane_test_host *h, const char *type, char *buf,
                       size_t len) {
  const struct cplane_host_api *api = cplane_test_api(h);
  const cplane_object *o = NULL;
  int i, n;

  buf[0] = '\0';
  assert_int_equal(cplane_test_get(h, "deployments.apps", "default/web", &o),
                   0);
  n = api->object_len(o, "status.conditions");
  for (i = 0; i < n; i++) {
    char p[64];
    const char *t, *s, *r;

    snprintf(p, sizeof p, "status.conditions[%d].type", i);
    t = api->object_string(o, p);
    if (t == NULL || strcmp(t, type) != 0)
      continue;
    snprintf(p, sizeof p, "status.conditions[%d].status", i);
    s = api->object_string(o, p);
    snprintf(p, sizeof p, "status.conditions[%d].reason", i);
    r = api->object_string(o, p);
    snprintf(buf, len, "%s/%s", s ? s : "", r ? r : "");
  }
  api->object_release(o);
  return buf;
}

/* One ReplicaSet, "web-<hash>", its selector, labels and template
 * carrying pod-template-hash, controlled by the Deployment, revision 1,
 * all the replicas at once; the Deployment's revision follows. */
static void test_new_deployment_creates_replicaset(void **state) {
  cplane_test_host *h = start();
  const struct cplane_host_api *api = cplane_test_api(h);
  const cplane_object *rs = NULL;
  char name[64], key[96], buf[64], line[200];
  const char *hash;

  (void)state;
  assert_int_equal(cplane_test_add(h, "deployments.apps",
                                   dep_json(3, "nginx", ROLLING_1_0, 10)),
                   0);
  assert_true(cplane_test_queued(h, "default/web"));
  assert_true(cplane_test_drain(h) >= 1);
  rs_name(h, name, sizeof name);
  hash = name + strlen("web-");
  assert_int_equal(cplane_test_writes_count(h, "create", "replicasets.apps"),
                   1);
  assert_int_equal(cplane_test_count(h, "replicasets.apps", "default", NULL),
                   1);
  snprintf(key, sizeof key, "default/%s", name);
  assert_int_equal(cplane_test_get(h, "replicasets.apps", key, &rs), 0);
  assert_string_equal(api->object_label(rs, "pod-template-hash"), hash);
  assert_string_equal(api->object_label(rs, "app"), "web");
  assert_string_equal(
      api->object_string(rs, "spec.selector.matchLabels.pod-template-hash"),
      hash);
  assert_string_equal(
      api->object_string(rs, "spec.template.metadata.labels.pod-template-"
                             "hash"),
      hash);
  assert_string_equal(api->object_controller_uid(rs), "dep-uid");
  assert_string_equal(
      api->object_string(rs, "metadata.ownerReferences[0].kind"), "Deployment");
  assert_string_equal(
      api->object_string(rs, "metadata.ownerReferences[0].name"), "web");
  assert_string_equal(
      api->object_annotation(rs, "deployment.kubernetes.io/revision"), "1");
  assert_string_equal(
      api->object_annotation(rs, "deployment.kubernetes.io/desired-replicas"),
      "3");
  assert_string_equal(
      api->object_annotation(rs, "deployment.kubernetes.io/max-replicas"), "4");
  api->object_release(rs);
  assert_int_equal(rs_spec(h, name), 3);
  assert_string_equal(
      dep_string(h,
                 "metadata.annotations.deployment\\.kubernetes\\.io/"
                 "revision",
                 buf, sizeof buf),
      "1");
  snprintf(line, sizeof line,
           "default/web: created ReplicaSet %s (revision 1, 3 replicas)", name);
  assert_int_equal(cplane_test_logs_count(h, line), 1);
  /* Settled but for a look when the progress deadline (600 s by
   * default) would pass; nothing written from a callback. */
  assert_int_equal(cplane_test_queue_len(h), 1);
  assert_int_equal(cplane_test_queued_delay_ms(h, "default/web"), 601000);
  assert_int_equal(cplane_test_dispatch_writes(h), 0);
  cplane_test_host_free(h);
}

/* maxSurge 1, maxUnavailable 0: at no step fewer than 3 available or
 * more than 4 pods; the new ReplicaSet grows before the old shrinks. */
static void test_rolling_update_surges_first(void **state) {
  cplane_test_host *h = start();
  char old[64], nu[64];
  int64_t prev_old = 3, prev_new = 0;
  int steps = 0, grew_first = 0;

  (void)state;
  assert_int_equal(cplane_test_add(h, "deployments.apps",
                                   dep_json(3, "nginx", ROLLING_1_0, 10)),
                   0);
  cplane_test_drain(h);
  rs_name(h, old, sizeof old);
  settle(h);
  cplane_test_drain(h);

  change(h, 3, "nginx:2", ROLLING_1_0, 10, 2);
  rs_name(h, nu, sizeof nu);
  assert_string_not_equal(old, nu);
  cplane_test_drain(h);
  /* The new one is made at 1; the old one waits for it. */
  assert_int_equal(rs_spec(h, nu), 1);
  assert_int_equal(rs_spec(h, old), 3);
  do {
    int64_t o, n;

    settle(h);
    cplane_test_drain(h);
    o = rs_spec(h, old);
    n = rs_spec(h, nu);
    /* Available pods never below 3 (every pod the previous step had is
     * available), pods never above 4. */
    assert_true(o + n <= 4);
    assert_true(o + n >= 3);
    assert_true(o <= prev_old && n >= prev_new);
    if (o == prev_old - 1 && n == prev_new)
      grew_first += n > 0;
    prev_old = o;
    prev_new = n;
  } while ((prev_old != 0 || prev_new != 3) && ++steps < 20);
  assert_int_equal(prev_old, 0);
  assert_int_equal(prev_new, 3);
  assert_true(grew_first > 0);
  cplane_test_host_free(h);
}

/* Recreate: the old ReplicaSet goes to 0 and the new one is made only
 * once its pods are gone. */
static void test_recreate_scales_old_down_first(void **state) {
  cplane_test_host *h = start();
  char old[64], nu[64], buf[64];

  (void)state;
  assert_int_equal(cplane_test_add(h, "deployments.apps",
                                   dep_json(2, "nginx", RECREATE, 10)),
                   0);
  cplane_test_drain(h);
  rs_name(h, old, sizeof old);
  settle(h);
  cplane_test_drain(h);

  change(h, 2, "nginx:2", RECREATE, 10, 2);
  rs_name(h, nu, sizeof nu);
  cplane_test_writes_clear(h);
  cplane_test_drain(h);
  assert_int_equal(rs_spec(h, old), 0);
  assert_int_equal(rs_spec(h, nu), -1); /* not yet */
  assert_int_equal(cplane_test_writes_count(h, "create", "replicasets.apps"),
                   0);
  assert_string_equal(condition(h, "Available", buf, sizeof buf),
                      "True/MinimumReplicasAvailable");

  settle(h); /* the old pods are gone */
  cplane_test_drain(h);
  assert_int_equal(rs_spec(h, nu), 2);
  assert_int_equal(cplane_test_writes_count(h, "create", "replicasets.apps"),
                   1);
  cplane_test_host_free(h);
}

/* revisionHistoryLimit 1: after three templates, the first ReplicaSet
 * (lowest revision) is deleted, the second kept beside the new one. */
static void test_history_limit_prunes(void **state) {
  cplane_test_host *h = start();
  char r1[64], r2[64], r3[64], line[160];
  const char *images[] = {"nginx", "nginx:2", "nginx:3"};
  char *names[] = {r1, r2, r3};
  int i;

  (void)state;
  for (i = 0; i < 3; i++) {
    if (i == 0)
      assert_int_equal(cplane_test_add(h, "deployments.apps",
                                       dep_json(1, images[i], RECREATE, 1)),
                       0);
    else
      change(h, 1, images[i], RECREATE, 1, i + 1);
    rs_name(h, names[i], 64);
    while (cplane_test_drain(h) > 0 && settle(h) > 0)
      ;
  }
  assert_int_equal(rs_spec(h, r1), -1);
  assert_int_equal(rs_spec(h, r2), 0);
  assert_int_equal(rs_spec(h, r3), 1);
  assert_int_equal(cplane_test_count(h, "replicasets.apps", "default", NULL),
                   2);
  snprintf(line, sizeof line,
           "default/web: deleted old ReplicaSet %s (revision 1)", r1);
  assert_int_equal(cplane_test_logs_count(h, line), 1);
  cplane_test_host_free(h);
}

/* Available is False until enough pods are available; Progressing moves
 * from NewReplicaSetCreated/ReplicaSetUpdated to NewReplicaSetAvailable,
 * and to ProgressDeadlineExceeded when a rollout stalls past
 * progressDeadlineSeconds (600 by default) on the kit's clock. */
static void test_conditions_follow_rollout(void **state) {
  cplane_test_host *h = start();
  char buf[96];

  (void)state;
  assert_int_equal(cplane_test_add(h, "deployments.apps",
                                   dep_json(2, "nginx", ROLLING_1_0, 10)),
                   0);
  cplane_test_drain(h);
  assert_string_equal(condition(h, "Available", buf, sizeof buf),
                      "False/MinimumReplicasUnavailable");
  assert_string_equal(condition(h, "Progressing", buf, sizeof buf),
                      "True/NewReplicaSetCreated");
  settle(h);
  cplane_test_drain(h);
  assert_string_equal(condition(h, "Available", buf, sizeof buf),
                      "True/MinimumReplicasAvailable");
  assert_string_equal(condition(h, "Progressing", buf, sizeof buf),
                      "True/NewReplicaSetAvailable");
  {
    const struct cplane_host_api *api = cplane_test_api(h);
    const cplane_object *o = NULL;
    int64_t v = -1;

    assert_int_equal(cplane_test_get(h, "deployments.apps", "default/web", &o),
                     0);
    assert_int_equal(api->object_int(o, "status.availableReplicas", &v), 0);
    assert_int_equal(v, 2);
    assert_int_equal(api->object_int(o, "status.updatedReplicas", &v), 0);
    assert_int_equal(v, 2);
    assert_int_equal(api->object_int(o, "status.observedGeneration", &v), 0);
    assert_int_equal(v, 1);
    api->object_release(o);
  }

  /* A template whose pods never become available: after the deadline,
   * Progressing turns False. */
  change(h, 2, "nginx:broken", ROLLING_1_0, 10, 2);
  cplane_test_drain(h);
  assert_string_equal(condition(h, "Progressing", buf, sizeof buf),
                      "True/ReplicaSetUpdated");
  cplane_test_clock_advance_ms(h, 602 * 1000);
  cplane_test_drain(h);
  assert_string_equal(condition(h, "Progressing", buf, sizeof buf),
                      "False/ProgressDeadlineExceeded");
  assert_string_equal(condition(h, "Available", buf, sizeof buf),
                      "True/MinimumReplicasAvailable");
  cplane_test_host_free(h);
}

/* Rollbacks: nginx (1), nginx:2 (2), back to nginx (its ReplicaSet
 * becomes 3 and keeps "1" in revision-history), to nginx:2 again (4,
 * history "2"), to nginx (5, history "1,3"), as kube writes it. */
static void test_rollback_keeps_revision_history(void **state) {
  cplane_test_host *h = start();
  char ra[64], rb[64], key[96], buf[64];
  const char *images[] = {"nginx", "nginx:2", "nginx", "nginx:2", "nginx"};
  int i;

  (void)state;
  for (i = 0; i < 5; i++) {
    if (i == 0)
      assert_int_equal(cplane_test_add(h, "deployments.apps",
                                       dep_json(1, images[i], RECREATE, 10)),
                       0);
    else
      change(h, 1, images[i], RECREATE, 10, i + 1);
    rs_name(h, i % 2 == 0 ? ra : rb, 64);
    while (cplane_test_drain(h) > 0 && settle(h) > 0)
      ;
  }
  snprintf(key, sizeof key, "default/%s", ra);
  assert_string_equal(
      cplane_test_get_string(h, "replicasets.apps", key,
                             "metadata.annotations.deployment\\.kubernetes\\."
                             "io/revision",
                             buf, sizeof buf),
      "5");
  assert_string_equal(
      cplane_test_get_string(h, "replicasets.apps", key,
                             "metadata.annotations.deployment\\.kubernetes\\."
                             "io/revision-history",
                             buf, sizeof buf),
      "1,3");
  snprintf(key, sizeof key, "default/%s", rb);
  assert_string_equal(
      cplane_test_get_string(h, "replicasets.apps", key,
                             "metadata.annotations.deployment\\.kubernetes\\."
                             "io/revision-history",
                             buf, sizeof buf),
      "2");
  assert_string_equal(dep_string(h, "metadata.annotations.deployment\\."
                                    "kubernetes\\.io/revision",
                                 buf, sizeof buf),
                      "5");
  cplane_test_host_free(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_new_deployment_creates_replicaset),
      cmocka_unit_test(test_rolling_update_surges_first),
      cmocka_unit_test(test_recreate_scales_old_down_first),
      cmocka_unit_test(test_history_limit_prunes),
      cmocka_unit_test(test_conditions_follow_rollout),
      cmocka_unit_test(test_rollback_keeps_revision_history),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
