/*
 * ServiceAccount admission (admission_serviceaccount.h): the mutation
 * alone (table of pods), and through the API handlers: the default
 * ServiceAccount, a missing one refused with kube's 403, automount,
 * imagePullSecrets, mirror pods, and a ServiceAccount created after a
 * refusal being seen at once (the cache keeps only what it found).
 */
#include "api_fixture.h"

#include <json-c/json.h>
#include <time.h>

#include "apiserver/admission_serviceaccount.h"

static json_object *mounted(const char *pod_json, int sa_automount,
                            const char *pull) {
  json_object *pod = json_tokener_parse(pod_json);
  json_object *ps = pull ? json_tokener_parse(pull) : NULL;

  assert_non_null(pod);
  cp_sa_mount_token(pod, sa_automount, ps, "abcde");
  json_object_put(ps);
  return pod;
}

static const char *str_at(json_object *o, const char *path) {
  json_object *v = o;
  char buf[256], *save = NULL, *tok;

  snprintf(buf, sizeof buf, "%s", path);
  for (tok = strtok_r(buf, ".", &save); tok && v;
       tok = strtok_r(NULL, ".", &save)) {
    if (json_object_is_type(v, json_type_array))
      v = json_object_array_get_idx(v, (size_t)atoi(tok));
    else
      json_object_object_get_ex(v, tok, &v);
  }
  return v ? json_object_get_string(v) : NULL;
}

static void test_mount_every_container(void **state) {
  json_object *pod = mounted(
      "{\"spec\":{\"initContainers\":[{\"name\":\"i\"}],"
      "\"containers\":[{\"name\":\"a\"},{\"name\":\"b\",\"volumeMounts\":"
      "[{\"name\":\"mine\",\"mountPath\":"
      "\"/var/run/secrets/kubernetes.io/serviceaccount\"}]}]}}",
      -1, NULL);

  (void)state;
  assert_string_equal(str_at(pod, "spec.volumes.0.name"),
                      "kube-api-access-abcde");
  assert_string_equal(
      str_at(pod, "spec.volumes.0.projected.sources.0.serviceAccountToken."
                  "expirationSeconds"),
      "3607");
  assert_string_equal(
      str_at(pod, "spec.volumes.0.projected.sources.1.configMap.name"),
      "kube-root-ca.crt");
  assert_string_equal(
      str_at(pod, "spec.volumes.0.projected.sources.2.downwardAPI.items.0."
                  "fieldRef.fieldPath"),
      "metadata.namespace");
  assert_string_equal(str_at(pod, "spec.initContainers.0.volumeMounts.0.name"),
                      "kube-api-access-abcde");
  assert_string_equal(str_at(pod, "spec.containers.0.volumeMounts.0.readOnly"),
                      "true");
  /* b mounts something of its own there: left alone. */
  assert_string_equal(str_at(pod, "spec.containers.1.volumeMounts.0.name"),
                      "mine");
  assert_null(str_at(pod, "spec.containers.1.volumeMounts.1"));
  json_object_put(pod);
}

static void test_automount_and_pull_secrets(void **state) {
  static const struct {
    const char *pod;
    int sa_automount;
    int want_volume;
  } cases[] = {
      {"{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}", -1, 1},
      {"{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}", 0, 0},
      {"{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}", 1, 1},
      {"{\"spec\":{\"automountServiceAccountToken\":true,"
       "\"containers\":[{\"name\":\"a\"}]}}",
       0, 1},
      {"{\"spec\":{\"automountServiceAccountToken\":false,"
       "\"containers\":[{\"name\":\"a\"}]}}",
       1, 0},
      /* an existing kube-api-access volume is reused, not added again */
      {"{\"spec\":{\"volumes\":[{\"name\":\"kube-api-access-zzzzz\","
       "\"emptyDir\":{}}],\"containers\":[{\"name\":\"a\"}]}}",
       -1, 1},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_object *pod = mounted(cases[i].pod, cases[i].sa_automount,
                               "[{\"name\":\"reg\",\"x\":1}]");
    const char *v = str_at(pod, "spec.volumes.0.name");

    assert_int_equal(v != NULL, cases[i].want_volume);
    if (v != NULL)
      assert_string_equal(str_at(pod, "spec.containers.0.volumeMounts.0.name"),
                          v);
    assert_null(str_at(pod, "spec.volumes.1"));
    assert_string_equal(
        json_object_to_json_string_ext(
            json_object_object_get(json_object_object_get(pod, "spec"),
                                   "imagePullSecrets"),
            JSON_C_TO_STRING_PLAIN),
        "[{\"name\":\"reg\"}]");
    json_object_put(pod);
  }
}

static int sa_setup(void **state) {
  struct api_fixture *f;

  api_fixture_setup(state);
  f = *state;
  f->ctx.admission_off = 0;
  f->ctx.sa_cache = cp_ns_cache_new();
  assert_non_null(f->ctx.sa_cache);
  api_fixture_namespace(f, "ns1");
  return 0;
}

static int sa_teardown(void **state) {
  struct api_fixture *f = *state;

  cp_ns_cache_free(f->ctx.sa_cache);
  return api_fixture_teardown(state);
}

#define PODS "/api/v1/namespaces/ns1/pods"
#define SAS "/api/v1/namespaces/ns1/serviceaccounts"

static char *create_pod(struct api_fixture *f, const char *body, int code) {
  struct cp_api_response rs =
      api_fixture_call(f, CP_API_POST, PODS, API_FIXTURE_JSON, body);

  if (rs.code != code)
    fail_msg("%d, wanted %d: %s", rs.code, code, rs.body ? rs.body : "");
  return rs.body;
}

static void test_through_the_server(void **state) {
  struct api_fixture *f = *state;
  char *body;
  json_object *o;
  int64_t t0, t1;
  struct timespec ts;

  /* No default ServiceAccount: looked up 10 times, then refused. */
  clock_gettime(CLOCK_MONOTONIC, &ts);
  t0 = ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  body = create_pod(f, "{\"metadata\":{\"name\":\"p\"},\"spec\":"
                       "{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}",
                    403);
  clock_gettime(CLOCK_MONOTONIC, &ts);
  t1 = ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  assert_non_null(strstr(body, "\"message\":\"pods \\\"p\\\" is forbidden: "
                               "error looking up service account "
                               "ns1/default: serviceaccount \\\"default\\\" "
                               "not found\""));
  assert_true(t1 - t0 >= 900);
  free(body);
  /* Created now: seen at once (misses are never cached). */
  api_fixture_expect(f, CP_API_POST, SAS,
                     "{\"metadata\":{\"name\":\"default\"},"
                     "\"imagePullSecrets\":[{\"name\":\"reg\"}]}",
                     201);
  body = create_pod(f, "{\"metadata\":{\"name\":\"p\"},\"spec\":"
                       "{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}",
                    201);
  o = json_tokener_parse(body);
  assert_string_equal(str_at(o, "spec.serviceAccountName"), "default");
  assert_string_equal(str_at(o, "spec.imagePullSecrets.0.name"), "reg");
  assert_non_null(strstr(str_at(o, "spec.volumes.0.name"), "kube-api-access-"));
  /* Looking for the mirror-pod annotation adds no empty annotations
   * (kube's omitempty). */
  assert_null(strstr(body, "\"annotations\""));
  json_object_put(o);
  free(body);
  /* A named one that is missing: refused without the retries. */
  body = create_pod(f, "{\"metadata\":{\"generateName\":\"g-\"},\"spec\":"
                       "{\"serviceAccountName\":\"robot\","
                       "\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}",
                    403);
  assert_non_null(strstr(body, "pods \\\"g-\\\" is forbidden: error looking "
                               "up service account ns1/robot: "
                               "serviceaccount \\\"robot\\\" not found"));
  free(body);
  api_fixture_expect(f, CP_API_POST, SAS,
                     "{\"metadata\":{\"name\":\"robot\"},"
                     "\"automountServiceAccountToken\":false}",
                     201);
  body = create_pod(f, "{\"metadata\":{\"name\":\"r\"},\"spec\":"
                       "{\"serviceAccountName\":\"robot\","
                       "\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}",
                    201);
  o = json_tokener_parse(body);
  assert_null(str_at(o, "spec.volumes"));
  json_object_put(o);
  free(body);
}

/* kubernetes.io/enforce-mountable-secrets: a pod may only use the
 * Secrets its ServiceAccount lists (kube's messages, first one found:
 * volumes, then init and app containers' env and envFrom, then
 * imagePullSecrets). */
static void test_enforce_mountable_secrets(void **state) {
  static const struct {
    const char *spec, *want; /* want NULL: created */
  } cases[] = {
      {"\"volumes\":[{\"name\":\"v\",\"secret\":{\"secretName\":"
       "\"listed\"}}],\"containers\":[{\"name\":\"c\",\"image\":\"x\","
       "\"env\":[{\"name\":\"E\",\"valueFrom\":{\"secretKeyRef\":{"
       "\"name\":\"listed\",\"key\":\"k\"}}}]}]",
       NULL},
      {"\"volumes\":[{\"name\":\"v\",\"secret\":{\"secretName\":"
       "\"other\"}}],\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]",
       "volume with secret.secretName=\\\"other\\\" is not allowed because "
       "service account locked does not reference that secret"},
      {"\"initContainers\":[{\"name\":\"i\",\"image\":\"x\","
       "\"envFrom\":[{\"secretRef\":{\"name\":\"other\"}}]}],"
       "\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]",
       "init container i with envFrom referencing "
       "secret.secretName=\\\"other\\\" is not allowed because service "
       "account locked does not reference that secret"},
      {"\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"env\":[{"
       "\"name\":\"E\",\"valueFrom\":{\"secretKeyRef\":{\"name\":"
       "\"other\",\"key\":\"k\"}}}]}]",
       "container c with envVar E referencing secret.secretName="
       "\\\"other\\\" is not allowed because service account locked does "
       "not reference that secret"},
      {"\"imagePullSecrets\":[{\"name\":\"reg\"},{\"name\":\"nope\"}],"
       "\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]",
       "imagePullSecrets[1].name=\\\"nope\\\" is not allowed because "
       "service account locked does not reference that imagePullSecret"},
  };
  struct api_fixture *f = *state;
  char pod[1024];
  size_t i;

  api_fixture_expect(
      f, CP_API_POST, SAS,
      "{\"metadata\":{\"name\":\"locked\",\"annotations\":{"
      "\"kubernetes.io/enforce-mountable-secrets\":\"true\"}},"
      "\"secrets\":[{\"name\":\"listed\"}],"
      "\"imagePullSecrets\":[{\"name\":\"reg\"}]}",
      201);
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *body;

    snprintf(pod, sizeof pod,
             "{\"metadata\":{\"name\":\"m%zu\"},\"spec\":{"
             "\"serviceAccountName\":\"locked\",%s}}",
             i, cases[i].spec);
    body = create_pod(f, pod, cases[i].want ? 403 : 201);
    if (cases[i].want != NULL && strstr(body, cases[i].want) == NULL)
      fail_msg("case %zu: %s", i, body);
    free(body);
  }
  /* Without the annotation (or "false") nothing is limited. */
  api_fixture_expect(
      f, CP_API_POST, SAS,
      "{\"metadata\":{\"name\":\"open\",\"annotations\":{"
      "\"kubernetes.io/enforce-mountable-secrets\":\"false\"}}}",
      201);
  free(create_pod(f,
                  "{\"metadata\":{\"name\":\"o\"},\"spec\":{"
                  "\"serviceAccountName\":\"open\",\"volumes\":[{\"name\":"
                  "\"v\",\"secret\":{\"secretName\":\"other\"}}],"
                  "\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}",
                  201));
}

static void test_mirror_pods(void **state) {
  struct api_fixture *f = *state;
  static const struct {
    const char *spec, *why;
  } cases[] = {
      {"\"serviceAccountName\":\"default\",", "a mirror pod may not "
                                              "reference service accounts"},
      {"\"volumes\":[{\"name\":\"s\",\"secret\":{\"secretName\":\"x\"}}],",
       "a mirror pod may not reference secrets"},
      {"\"volumes\":[{\"name\":\"t\",\"projected\":{\"sources\":"
       "[{\"serviceAccountToken\":{\"path\":\"t\"}}]}}],",
       "a mirror pod may not use ServiceAccountToken volume projections"},
      {"", NULL},
  };
  char req[512], *body;
  size_t i;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    snprintf(req, sizeof req,
             "{\"metadata\":{\"name\":\"m%zu\",\"annotations\":"
             "{\"kubernetes.io/config.mirror\":\"x\"}},\"spec\":{%s"
             "\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}",
             i, cases[i].spec);
    body = create_pod(f, req, cases[i].why ? 403 : 201);
    if (cases[i].why != NULL) {
      assert_non_null(strstr(body, cases[i].why));
    } else {
      /* Left as it is: no ServiceAccount, no volume. */
      json_object *o = json_tokener_parse(body);

      assert_null(str_at(o, "spec.serviceAccountName"));
      assert_null(str_at(o, "spec.volumes"));
      json_object_put(o);
    }
    free(body);
  }
}

/* [apiserver] disable_admission_plugins: kube's names, an unknown one
 * refused by name. */
static void test_disable_list(void **state) {
  unsigned off = 99;
  char bad[16];

  (void)state;
  assert_int_equal(cp_admission_off_parse(NULL, &off, bad, sizeof bad), 0);
  assert_int_equal(off, 0);
  assert_int_equal(cp_admission_off_parse(" ServiceAccount, PodSecurity", &off,
                                          bad, sizeof bad),
                   0);
  assert_int_equal(off, CP_ADMISSION_OFF_SA | CP_ADMISSION_OFF_POD_SECURITY);
  assert_int_equal(cp_admission_off_parse("ServiceAccount,Serviceaccount",
                                          &off, bad, sizeof bad),
                   -1);
  assert_string_equal(bad, "Serviceaccount");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_disable_list),
      cmocka_unit_test(test_mount_every_container),
      cmocka_unit_test(test_automount_and_pull_secrets),
      cmocka_unit_test_setup_teardown(test_through_the_server, sa_setup,
                                      sa_teardown),
      cmocka_unit_test_setup_teardown(test_mirror_pods, sa_setup,
                                      sa_teardown),
      cmocka_unit_test_setup_teardown(test_enforce_mountable_secrets,
                                      sa_setup, sa_teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
