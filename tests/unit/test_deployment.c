/*
 * test_deployment - the deployment plugin's pure modules: the canonical
 * template and its pod-template-hash, maxSurge/maxUnavailable
 * resolution, the new ReplicaSet's share under RollingUpdate, scaling
 * events, the ReplicaSet orderings, the condition rules and the status
 * counts. Objects come from the host's own object code through
 * cp_host_api(), as the plugin sees them. The whole controller is tested
 * on the kit in test_kit_deployment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/plugin.h"
#include "plugin_objects.h"

#include "conditions.h"
#include "history.h"
#include "podtemplate.h"
#include "status.h"
#include "strategy.h"
#include "view.h"

static const struct cplane_host_api *api;

static const cplane_object *obj(const char *json) {
  return plugin_obj(api, json);
}

static char *template_text(const char *json) {
  const cplane_object *o = obj(json);
  char *t = dp_template_of(api, o);

  assert_non_null(t);
  api->object_release(o);
  return t;
}

/* Key order, empty members and pod-template-hash do not make another
 * template; a changed image does. */
static void test_template_canonical(void **state) {
  char *a = template_text(
      "{'spec':{'template':{'metadata':{'labels':{'app':'web'}},'spec':{"
      "'containers':[{'name':'c','image':'nginx'}]}}}}");
  char *b = template_text(
      "{'spec':{'template':{'spec':{'containers':[{'image':'nginx',"
      "'resources':{},'name':'c'}]},'metadata':{'creationTimestamp':null,"
      "'labels':{'pod-template-hash':'abc','app':'web'}}}}}");
  char *c = template_text(
      "{'spec':{'template':{'metadata':{'labels':{'app':'web'}},'spec':{"
      "'containers':[{'name':'c','image':'nginx:2'}]}}}}");

  (void)state;
  assert_string_equal(a, b);
  assert_string_equal(a, "{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
                         "\"spec\":{\"containers\":[{\"image\":\"nginx\","
                         "\"name\":\"c\"}]}}");
  assert_string_not_equal(a, c);
  free(a);
  free(b);
  free(c);
}

/* The hash is stable, spelled in Kubernetes' safe alphabet, and moves
 * with the collision count. */
static void test_template_hash(void **state) {
  char h0[16], h0b[16], h1[16], h2[16];
  const char *p;

  (void)state;
  assert_int_equal(dp_template_hash("{\"a\":1}", 0, h0, sizeof h0), 0);
  assert_int_equal(dp_template_hash("{\"a\":1}", 0, h0b, sizeof h0b), 0);
  assert_int_equal(dp_template_hash("{\"a\":1}", 1, h1, sizeof h1), 0);
  assert_int_equal(dp_template_hash("{\"a\":2}", 0, h2, sizeof h2), 0);
  assert_string_equal(h0, h0b);
  assert_string_not_equal(h0, h1);
  assert_string_not_equal(h0, h2);
  assert_true(strlen(h0) > 0 && strlen(h0) <= 10);
  for (p = h0; *p; p++)
    assert_non_null(strchr("bcdfghjklmnpqrstvwxz2456789", *p));
}

static void test_with_member(void **state) {
  const cplane_object *o =
      obj("{'spec':{'selector':{'matchLabels':{'app':'web'}}}}");
  char *a = dp_with_member(api, o, "spec.selector.matchLabels",
                           "pod-template-hash", "\"h\"");
  char *b =
      dp_with_member(api, o, "spec.selector.matchLabels", "app", "\"db\"");
  char *c = dp_with_member(api, o, "spec.absent", "k", "1");

  (void)state;
  assert_string_equal(a, "{\"app\":\"web\",\"pod-template-hash\":\"h\"}");
  assert_string_equal(b, "{\"app\":\"db\"}");
  assert_string_equal(c, "{\"k\":1}");
  assert_null(dp_with_member(api, o, "spec", "k", NULL));
  free(a);
  free(b);
  free(c);
  api->object_release(o);
}

static void resolve(const char *strategy, int64_t replicas, int recreate,
                    int64_t surge, int64_t unavailable) {
  char json[512];
  const cplane_object *o;
  int64_t s = -1, u = -1;

  snprintf(json, sizeof json, "{'spec':{'strategy':%s}}", strategy);
  o = obj(json);
  dp_strategy_resolve(api, o, replicas, recreate, &s, &u);
  api->object_release(o);
  assert_int_equal(s, surge);
  assert_int_equal(u, unavailable);
}

/* Kubernetes' ResolveFenceposts: surge rounds up, unavailable down. */
static void test_strategy_resolve(void **state) {
  (void)state;
  resolve("{}", 10, 0, 3, 2); /* 25% each by default */
  resolve("{}", 3, 0, 1, 0);
  resolve("{'rollingUpdate':{'maxSurge':1,'maxUnavailable':0}}", 3, 0, 1, 0);
  resolve("{'rollingUpdate':{'maxSurge':'50%','maxUnavailable':'50%'}}", 5, 0,
          3, 2);
  resolve("{'rollingUpdate':{'maxSurge':'2','maxUnavailable':'1'}}", 5, 0, 2,
          1);
  /* Both zero could never progress: one may go down. */
  resolve("{'rollingUpdate':{'maxSurge':0,'maxUnavailable':0}}", 4, 0, 0, 1);
  resolve("{'rollingUpdate':{'maxSurge':'0%','maxUnavailable':'10%'}}", 4, 0, 0,
          1);
  /* Never more down than there are replicas. */
  resolve("{'rollingUpdate':{'maxSurge':0,'maxUnavailable':9}}", 2, 0, 0, 2);
  resolve("{'type':'Recreate'}", 5, 1, 0, 0);
}

/* A deploy of `replicas` with old ReplicaSets of the given sizes and,
 * when new_spec >= 0, a new one of that size last. */
static void make(struct deploy *d, struct rsinfo *rs, int64_t replicas,
                 int64_t surge, const int64_t *old, size_t n_old,
                 int64_t new_spec) {
  size_t i;

  memset(d, 0, sizeof *d);
  d->api = api;
  d->replicas = replicas;
  d->surge = surge;
  d->rs = rs;
  for (i = 0; i < n_old; i++) {
    memset(&rs[i], 0, sizeof rs[i]);
    rs[i].spec = old[i];
    rs[i].desired_ann = replicas;
  }
  d->n_rs = n_old;
  if (new_spec >= 0) {
    memset(&rs[n_old], 0, sizeof rs[n_old]);
    rs[n_old].spec = new_spec;
    rs[n_old].desired_ann = replicas;
    rs[n_old].is_new = 1;
    d->new_rs = &rs[n_old];
    d->n_rs++;
  }
}

static void test_new_rs_replicas(void **state) {
  struct deploy d;
  struct rsinfo rs[4];
  const int64_t three[] = {3}, two_one[] = {2, 1};

  (void)state;
  /* No ReplicaSet yet: all of them. */
  make(&d, rs, 3, 1, NULL, 0, -1);
  assert_int_equal(dp_new_rs_replicas(&d, 0), 3);
  /* maxSurge 1 over an old 3: the new one starts at 1, stays there
   * until the old one shrinks. */
  make(&d, rs, 3, 1, three, 1, -1);
  assert_int_equal(dp_new_rs_replicas(&d, 0), 1);
  make(&d, rs, 3, 1, three, 1, 1);
  assert_int_equal(dp_new_rs_replicas(&d, 1), 1);
  make(&d, rs, 3, 1, two_one, 1, 1); /* old at 2, new at 1 */
  assert_int_equal(dp_new_rs_replicas(&d, 1), 2);
  /* Never past replicas, whatever the surge. */
  make(&d, rs, 3, 10, three, 1, 0);
  assert_int_equal(dp_new_rs_replicas(&d, 0), 3);
  /* Recreate takes all at once. */
  make(&d, rs, 4, 0, three, 1, 0);
  d.recreate = 1;
  assert_int_equal(dp_new_rs_replicas(&d, 0), 4);
}

static void test_scaling_event(void **state) {
  struct deploy d;
  struct rsinfo rs[3];
  const int64_t old[] = {2, 0};

  (void)state;
  make(&d, rs, 3, 1, old, 2, 1);
  assert_int_equal(dp_scaling_event(&d), 0);
  rs[0].desired_ann = 5; /* sized for 5 replicas, now 3 */
  assert_int_equal(dp_scaling_event(&d), 1);
  rs[0].desired_ann = -1; /* not annotated: not ours to judge */
  rs[1].desired_ann = 5;  /* inactive: does not count */
  assert_int_equal(dp_scaling_event(&d), 0);
}

/* Oldest first by creation time then name; revisions ascending; sizes
 * descending with newer or older first among equals. */
static void test_rs_select_orders(void **state) {
  struct deploy d;
  struct rsinfo rs[4];
  struct rsinfo **v;
  const int64_t old[] = {2, 0, 2};
  size_t n;
  int oom;

  (void)state;
  make(&d, rs, 3, 1, old, 3, 1);
  rs[0].name = "a";
  rs[0].created = "2026-01-03T00:00:00Z";
  rs[0].revision = 3;
  rs[1].name = "b";
  rs[1].created = "2026-01-01T00:00:00Z";
  rs[1].revision = 1;
  rs[2].name = "c";
  rs[2].created = "2026-01-02T00:00:00Z";
  rs[2].revision = 2;
  rs[3].name = "d";
  rs[3].created = "2026-01-04T00:00:00Z";
  rs[3].revision = 4;

  v = dp_rs_select(&d, 1, 0, dp_cmp_rs_oldest, &n, &oom);
  assert_int_equal(oom, 0);
  assert_int_equal(n, 3);
  assert_string_equal(v[0]->name, "b");
  assert_string_equal(v[1]->name, "c");
  assert_string_equal(v[2]->name, "a");
  free(v);

  v = dp_rs_select(&d, 0, 1, dp_cmp_rs_newest, &n, &oom);
  assert_int_equal(n, 3); /* b is inactive */
  assert_string_equal(v[0]->name, "d");
  assert_string_equal(v[1]->name, "a");
  assert_string_equal(v[2]->name, "c");
  free(v);

  v = dp_rs_select(&d, 0, 0, dp_cmp_rs_revision, &n, &oom);
  assert_int_equal(n, 4);
  assert_string_equal(v[0]->name, "b");
  assert_string_equal(v[3]->name, "d");
  free(v);

  v = dp_rs_select(&d, 0, 1, dp_cmp_rs_size_newer, &n, &oom);
  assert_string_equal(v[0]->name, "a"); /* 2, newer than c */
  assert_string_equal(v[1]->name, "c");
  assert_string_equal(v[2]->name, "d");
  free(v);
  v = dp_rs_select(&d, 0, 1, dp_cmp_rs_size_older, &n, &oom);
  assert_string_equal(v[0]->name, "c");
  assert_string_equal(v[1]->name, "a");
  free(v);

  d.n_rs = 0;
  assert_null(dp_rs_select(&d, 0, 0, NULL, &n, &oom));
  assert_int_equal(n, 0);
  assert_int_equal(oom, 0);
}

/* Kubernetes' SetDeploymentCondition: same status and reason leave it
 * alone; same status keeps lastTransitionTime; the set one goes last. */
static void test_conditions(void **state) {
  const cplane_object *o =
      obj("{'status':{'observedGeneration':2,'replicas':3,'conditions':["
          "{'type':'Progressing','status':'True','reason':'ReplicaSetUpdated',"
          "'message':'m','lastUpdateTime':'T0','lastTransitionTime':'T0'},"
          "{'type':'Available','status':'False','reason':"
          "'MinimumReplicasUnavailable','message':'x','lastUpdateTime':'T0',"
          "'lastTransitionTime':'T0'}]}}");
  struct status st = {0}, copy = {0};
  struct condition *c;

  (void)state;
  assert_int_equal(dp_read_status(api, o, &st), 0);
  api->object_release(o);
  assert_int_equal(st.observed, 2);
  assert_int_equal(st.replicas, 3);
  assert_int_equal(st.n_conds, 2);
  assert_int_equal(dp_copy_status(&st, &copy), 0);
  assert_true(dp_same_conditions(&st, &copy));
  snprintf(st.now, sizeof st.now, "T1");

  dp_cond_set(&st, "Progressing", "True", "ReplicaSetUpdated", "other");
  c = dp_cond_get(&st, "Progressing");
  assert_string_equal(c->message, "m"); /* left alone */
  assert_string_equal(c->last_update, "T0");
  assert_true(dp_same_conditions(&st, &copy));

  dp_cond_set(&st, "Progressing", "True", "NewReplicaSetAvailable", "done");
  c = dp_cond_get(&st, "Progressing");
  assert_ptr_equal(c, &st.conds[1]); /* moved last */
  assert_string_equal(c->last_update, "T1");
  assert_string_equal(c->last_transition, "T0"); /* same status */
  assert_false(dp_same_conditions(&st, &copy));

  dp_cond_set(&st, "Available", "True", "MinimumReplicasAvailable", "ok");
  c = dp_cond_get(&st, "Available");
  assert_string_equal(c->last_transition, "T1"); /* status changed */

  dp_cond_remove(&st, "Progressing");
  assert_null(dp_cond_get(&st, "Progressing"));
  assert_int_equal(st.n_conds, 1);
  dp_cond_remove(&st, "Progressing"); /* absent: nothing */
  assert_int_equal(st.n_conds, 1);
  free(st.conds);
  free(copy.conds);
}

/* Counts from the ReplicaSets; unavailable against their sizes;
 * Available by replicas - maxUnavailable. */
static void test_calculate_status(void **state) {
  struct deploy d;
  struct rsinfo rs[2];
  const int64_t old[] = {2};
  struct condition *c;

  (void)state;
  make(&d, rs, 3, 1, old, 1, 2);
  d.unavailable = 1;
  d.gen = 7;
  assert_int_equal(dp_copy_status(&d.cur, &d.next), 0);
  rs[0].replicas = 2;
  rs[0].ready = rs[0].available = 2;
  rs[1].replicas = 2;
  rs[1].ready = 1;
  rs[1].available = 0;
  dp_calculate_status(&d);
  assert_int_equal(d.next.observed, 7);
  assert_int_equal(d.next.replicas, 4);
  assert_int_equal(d.next.updated, 2);
  assert_int_equal(d.next.ready, 3);
  assert_int_equal(d.next.available, 2);
  assert_int_equal(d.next.unavailable, 2);
  c = dp_cond_get(&d.next, "Available");
  assert_string_equal(c->status, "True"); /* 2 >= 3 - 1 */
  assert_string_equal(c->reason, "MinimumReplicasAvailable");
  assert_false(dp_complete(&d, &d.next));

  rs[0].available = 1;
  dp_calculate_status(&d);
  c = dp_cond_get(&d.next, "Available");
  assert_string_equal(c->status, "False");
  assert_string_equal(c->reason, "MinimumReplicasUnavailable");
  assert_string_equal(c->message,
                      "Deployment does not have minimum availability.");

  free(d.next.conds);
  make(&d, rs, 3, 1, NULL, 0, 3);
  assert_int_equal(dp_copy_status(&d.cur, &d.next), 0);
  d.gen = 2;
  rs[0].replicas = rs[0].available = rs[0].ready = 3;
  dp_calculate_status(&d);
  assert_true(dp_complete(&d, &d.next));
  free(d.next.conds);
}

/* kube's revision-history: appended, oldest dropped past the limit,
 * left alone when it cannot fit at all. */
static void test_revision_history(void **state) {
  char *h;

  (void)state;
  assert_string_equal(h = dp_revision_history(NULL, 1, 2000), "1");
  free(h);
  assert_string_equal(h = dp_revision_history("", 7, 2000), "7");
  free(h);
  assert_string_equal(h = dp_revision_history("1,3", 5, 2000), "1,3,5");
  free(h);
  /* "1,3,5" + ",12" is 8 > 7: drop "1" (6 left) */
  assert_string_equal(h = dp_revision_history("1,3,5", 12, 7), "3,5,12");
  free(h);
  /* 8 > 4: drop "1" (6), "3" (4): "5,12" */
  assert_string_equal(h = dp_revision_history("1,3,5", 12, 4), "5,12");
  free(h);
  /* 8 > 3: every old one dropped: "12" */
  assert_string_equal(h = dp_revision_history("1,3,5", 12, 3), "12");
  free(h);
  assert_null(dp_revision_history("1", 123, 2));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_revision_history),
      cmocka_unit_test(test_template_canonical),
      cmocka_unit_test(test_template_hash),
      cmocka_unit_test(test_with_member),
      cmocka_unit_test(test_strategy_resolve),
      cmocka_unit_test(test_new_rs_replicas),
      cmocka_unit_test(test_scaling_event),
      cmocka_unit_test(test_rs_select_orders),
      cmocka_unit_test(test_conditions),
      cmocka_unit_test(test_calculate_status),
  };

  api = cp_host_api();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
