/*
 * PodSecurity (podsecurity_checks.h, admission_podsecurity.h): kube's
 * checks and their exact wording, table-driven; the namespace labels;
 * and through the API handlers: enforce (403), warn (Warning headers),
 * workloads warned, a namespace's new enforce level warning about its
 * pods.
 */
#include "api_fixture.h"

#include <json-c/json.h>

#include "apiserver/admission_podsecurity.h"
#include "apiserver/podsecurity_checks.h"
#include "apiserver/podsecurity_exemptions.h"
#include "log/log.h"

#define C(x) "{\"name\":\"c\",\"image\":\"i\"" x "}"
#define GOOD_SC                                                              \
  ",\"securityContext\":{\"allowPrivilegeEscalation\":false,"                \
  "\"runAsNonRoot\":true,\"capabilities\":{\"drop\":[\"ALL\"]},"             \
  "\"seccompProfile\":{\"type\":\"RuntimeDefault\"}}"

static const struct {
  int level, minor;
  const char *meta, *spec, *want; /* want "": allowed */
} cases[] = {
    {CP_PSA_BASELINE, 0, "{}", "{\"containers\":[" C("") "]}", ""},
    {CP_PSA_BASELINE, 0, "{}",
     "{\"containers\":[" C(",\"securityContext\":{\"privileged\":true}") "]}",
     "privileged (container \"c\" must not set "
     "securityContext.privileged=true)"},
    {CP_PSA_BASELINE, 0, "{}",
     "{\"hostPID\":true,\"hostNetwork\":true,\"containers\":[" C("") "]}",
     "host namespaces (hostNetwork=true, hostPID=true)"},
    {CP_PSA_BASELINE, 0, "{}",
     "{\"containers\":[{\"name\":\"a\",\"securityContext\":{\"capabilities\":"
     "{\"add\":[\"SYS_ADMIN\",\"CHOWN\"]}}},{\"name\":\"b\","
     "\"securityContext\":{\"capabilities\":{\"add\":[\"NET_ADMIN\"]}}}]}",
     "non-default capabilities (containers \"a\", \"b\" must not include "
     "\"NET_ADMIN\", \"SYS_ADMIN\" in securityContext.capabilities.add)"},
    {CP_PSA_BASELINE, 0, "{}",
     "{\"volumes\":[{\"name\":\"h\",\"hostPath\":{\"path\":\"/\"}},"
     "{\"name\":\"e\",\"emptyDir\":{}}],\"containers\":[" C("") "]}",
     "hostPath volumes (volume \"h\")"},
    {CP_PSA_BASELINE, 0, "{}",
     "{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":1,"
     "\"hostPort\":8080}]},{\"name\":\"b\",\"ports\":[{\"containerPort\":1,"
     "\"hostPort\":80}]}]}",
     "hostPort (containers \"a\", \"b\" use hostPorts 80, 8080)"},
    {CP_PSA_BASELINE, 0, "{}",
     "{\"securityContext\":{\"sysctls\":[{\"name\":\"kernel.msgmax\"},"
     "{\"name\":\"net.ipv4.tcp_keepalive_time\"}]},\"containers\":[" C("") "]}",
     "forbidden sysctls (kernel.msgmax)"},
    {CP_PSA_BASELINE, 26, "{}",
     "{\"securityContext\":{\"sysctls\":[{\"name\":\"kernel.msgmax\"},"
     "{\"name\":\"net.ipv4.tcp_keepalive_time\"}]},\"containers\":[" C("") "]}",
     "forbidden sysctls (kernel.msgmax, net.ipv4.tcp_keepalive_time)"},
    {CP_PSA_BASELINE, 0, "{}",
     "{\"securityContext\":{\"seccompProfile\":{\"type\":\"Unconfined\"}},"
     "\"containers\":[" C("") "]}",
     "seccompProfile (pod must not set securityContext.seccompProfile.type "
     "to \"Unconfined\")"},
    {CP_PSA_BASELINE, 0,
     "{\"annotations\":{\"container.apparmor.security.beta.kubernetes.io/"
     "c\":\"unconfined\"}}",
     "{\"containers\":[" C("") "]}",
     "forbidden AppArmor profile (container.apparmor.security.beta."
     "kubernetes.io/c=\"unconfined\")"},
    {CP_PSA_BASELINE, 0, "{}",
     "{\"securityContext\":{\"seLinuxOptions\":{\"type\":\"spc_t\","
     "\"user\":\"u\"}},\"containers\":[" C("") "]}",
     "seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: "
     "type \"spc_t\"; user may not be set)"},
    {CP_PSA_BASELINE, 0, "{}",
     "{\"containers\":[" C(",\"securityContext\":{\"procMount\":"
                           "\"Unmasked\"}") "]}",
     "procMount (container \"c\" must not set securityContext.procMount to "
     "\"Unmasked\")"},
    {CP_PSA_BASELINE, 0, "{}",
     "{\"securityContext\":{\"windowsOptions\":{\"hostProcess\":true}},"
     "\"containers\":[" C("") "]}",
     "hostProcess (pod must not set "
     "securityContext.windowsOptions.hostProcess=true)"},
    /* restricted */
    {CP_PSA_RESTRICTED, 0, "{}", "{\"containers\":[" C(GOOD_SC) "]}", ""},
    {CP_PSA_RESTRICTED, 0, "{}",
     "{\"containers\":[" C(",\"securityContext\":{\"privileged\":true}") "]}",
     "privileged (container \"c\" must not set "
     "securityContext.privileged=true), allowPrivilegeEscalation != false "
     "(container \"c\" must set "
     "securityContext.allowPrivilegeEscalation=false), unrestricted "
     "capabilities (container \"c\" must set "
     "securityContext.capabilities.drop=[\"ALL\"]), runAsNonRoot != true "
     "(pod or container \"c\" must set securityContext.runAsNonRoot=true), "
     "seccompProfile (pod or container \"c\" must set "
     "securityContext.seccompProfile.type to \"RuntimeDefault\" or "
     "\"Localhost\")"},
    {CP_PSA_RESTRICTED, 0, "{}",
     "{\"volumes\":[{\"name\":\"n\",\"nfs\":{}},{\"name\":\"h\","
     "\"hostPath\":{}},{\"name\":\"p\",\"projected\":{}}],"
     "\"containers\":[" C(GOOD_SC) "]}",
     "restricted volume types (volumes \"n\", \"h\" use restricted volume "
     "types \"hostPath\", \"nfs\")"},
    {CP_PSA_RESTRICTED, 0, "{}",
     "{\"securityContext\":{\"runAsUser\":0,\"runAsNonRoot\":false},"
     "\"containers\":[{\"name\":\"c\",\"securityContext\":{"
     "\"allowPrivilegeEscalation\":false,\"capabilities\":{\"drop\":[\"ALL\"],"
     "\"add\":[\"NET_BIND_SERVICE\",\"NET_RAW\"]},\"runAsUser\":0,"
     "\"seccompProfile\":{\"type\":\"Localhost\"}}}]}",
     "unrestricted capabilities (container \"c\" must not include "
     "\"NET_RAW\" in securityContext.capabilities.add), runAsNonRoot != true "
     "(pod must not set securityContext.runAsNonRoot=false), runAsUser=0 "
     "(pod and container \"c\" must not set runAsUser=0)"},
    /* Windows pods: no privilege escalation, capabilities or seccomp. */
    {CP_PSA_RESTRICTED, 0, "{}",
     "{\"os\":{\"name\":\"windows\"},\"containers\":[" C("") "]}",
     "runAsNonRoot != true (pod or container \"c\" must set "
     "securityContext.runAsNonRoot=true)"},
    /* restricted:v1.21 did not ask for drop ALL yet, nor 1.22's runAsUser */
    {CP_PSA_RESTRICTED, 21, "{}",
     "{\"securityContext\":{\"runAsUser\":0},\"containers\":[" C(
         ",\"securityContext\":{\"allowPrivilegeEscalation\":false,"
         "\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":"
         "\"RuntimeDefault\"}}") "]}",
     ""},
    {CP_PSA_PRIVILEGED, 0, "{}",
     "{\"hostPID\":true,\"containers\":[" C(",\"securityContext\":{"
                                            "\"privileged\":true}") "]}",
     ""},
};

static void test_checks(void **state) {
  size_t i;

  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_object *meta = json_tokener_parse(cases[i].meta);
    json_object *spec = json_tokener_parse(cases[i].spec);
    char *got = NULL, *brief = NULL;
    int n;

    assert_non_null(meta);
    assert_non_null(spec);
    n = cp_psa_check(meta, spec, cases[i].level, cases[i].minor, &got,
                     &brief);
    if (strcmp(got ? got : "", cases[i].want) != 0)
      fail_msg("case %zu:\n got %s\nwant %s", i, got ? got : "(allowed)",
               cases[i].want);
    assert_int_equal(n > 0, cases[i].want[0] != '\0');
    assert_int_equal(brief != NULL, n > 0);
    free(got);
    free(brief);
    json_object_put(meta);
    json_object_put(spec);
  }
}

static void test_labels(void **state) {
  static const struct {
    const char *labels, *enforce, *warn;
  } lc[] = {
      {"{}", "privileged:latest", "privileged:latest"},
      {"{\"pod-security.kubernetes.io/enforce\":\"baseline\","
       "\"pod-security.kubernetes.io/warn\":\"restricted\","
       "\"pod-security.kubernetes.io/warn-version\":\"v1.25\"}",
       "baseline:latest", "restricted:v1.25"},
      /* A level kube cannot read is restricted for enforce, privileged
       * for warn (it fails open); a version it cannot read is latest. */
      {"{\"pod-security.kubernetes.io/enforce\":\"strict\","
       "\"pod-security.kubernetes.io/warn\":\"baseline\","
       "\"pod-security.kubernetes.io/warn-version\":\"1.25\"}",
       "restricted:latest", "baseline:latest"},
      {"{\"pod-security.kubernetes.io/enforce\":\"baseline\","
       "\"pod-security.kubernetes.io/enforce-version\":\"v2\","
       "\"pod-security.kubernetes.io/warn\":\"strict\"}",
       "baseline:latest", "privileged:latest"},
      {"{\"pod-security.kubernetes.io/enforce-version\":\"v1.30\"}",
       "privileged:v1.30", "privileged:latest"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof lc / sizeof lc[0]; i++) {
    json_object *l = json_tokener_parse(lc[i].labels);
    struct cp_psa_ns_policy p;
    char e[48], w[48];

    cp_psa_policy_from_labels(l, &p);
    cp_psa_policy_string(&p.enforce, e, sizeof e);
    cp_psa_policy_string(&p.warn, w, sizeof w);
    assert_string_equal(e, lc[i].enforce);
    assert_string_equal(w, lc[i].warn);
    json_object_put(l);
  }
}

static int psa_setup(void **state) {
  struct api_fixture *f;

  api_fixture_setup(state);
  f = *state;
  f->ctx.psa_cache = cp_ns_cache_new();
  assert_non_null(f->ctx.psa_cache);
  return 0;
}

static int psa_teardown(void **state) {
  struct api_fixture *f = *state;

  cp_ns_cache_free(f->ctx.psa_cache);
  return api_fixture_teardown(state);
}

/* The response's warnings, "|"-joined, without their 299 - "..."
 * wrapping (the quotes inside stay escaped). */
static char *warnings_of(const struct cp_api_response *rs) {
  char *out = calloc(1, rs->warnings_len + 2);
  size_t off = 0;

  assert_non_null(out);
  while (off < rs->warnings_len) {
    const char *w = rs->warnings + off;

    size_t n = strlen(w);

    if (out[0] != '\0')
      strcat(out, "|");
    assert_true(n >= 8 && strncmp(w, "299 - \"", 7) == 0);
    strncat(out, w + 7, n - 8);
    off += n + 1;
  }
  return out;
}

/* Creates pod name (one plain container) in ns: 201 with a warning
 * holding want. */
static void created_with_warning(struct api_fixture *f, const char *ns,
                                 const char *name, const char *want) {
  struct cp_api_response rs;
  char path[128], body[512], *w;

  snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods", ns);
  snprintf(body, sizeof body,
           "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"containers\":["
           C("") "]}}",
           name);
  rs = api_fixture_call(f, CP_API_POST, path, API_FIXTURE_JSON, body);
  assert_int_equal(rs.code, 201);
  w = warnings_of(&rs);
  assert_non_null(strstr(w, want));
  free(w);
  free(rs.body);
}

static void test_through_the_server(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char *w;

  api_fixture_expect(
      f, CP_API_POST, "/api/v1/namespaces",
      "{\"metadata\":{\"name\":\"ps\",\"labels\":{"
      "\"pod-security.kubernetes.io/enforce\":\"baseline\","
      "\"pod-security.kubernetes.io/warn\":\"restricted\"}}}",
      201);
  rs = api_fixture_call(
      f, CP_API_POST, "/api/v1/namespaces/ps/pods", API_FIXTURE_JSON,
      "{\"metadata\":{\"name\":\"hn\"},\"spec\":{\"hostNetwork\":true,"
      "\"containers\":[" C("") "]}}");
  assert_int_equal(rs.code, 403);
  assert_non_null(strstr(rs.body, "pods \\\"hn\\\" is forbidden: violates "
                                   "PodSecurity \\\"baseline:latest\\\": "
                                   "host namespaces (hostNetwork=true)"));
  assert_int_equal(rs.warnings_len, 0); /* refused: no warnings */
  free(rs.body);
  created_with_warning(f, "ps", "ok",
                       "would violate PodSecurity \\\"restricted:latest\\\": "
                       "allowPrivilegeEscalation != false");
  /* A workload is warned for warn (and audited), never enforced: kube's
   * ValidatePodController. */
  rs = api_fixture_call(
      f, CP_API_POST, "/apis/apps/v1/namespaces/ps/deployments",
      API_FIXTURE_JSON,
      "{\"metadata\":{\"name\":\"d\"},\"spec\":{\"selector\":{\"matchLabels\":"
      "{\"a\":\"b\"}},\"template\":{\"metadata\":{\"labels\":{\"a\":\"b\"}},"
      "\"spec\":{\"hostPID\":true,\"containers\":[" C("") "]}}}}");
  assert_int_equal(rs.code, 201);
  w = warnings_of(&rs);
  assert_null(strstr(w, "baseline:latest"));
  assert_non_null(strstr(w, "would violate PodSecurity \\\"restricted:latest"
                            "\\\": host namespaces (hostPID=true), "));
  free(w);
  free(rs.body);
  /* Enforcing restricted: the pods already there are named. */
  api_fixture_expect(
      f, CP_API_POST, "/api/v1/namespaces/ps/pods",
      "{\"metadata\":{\"name\":\"ok2\"},\"spec\":{\"containers\":[" C("") "]}}",
      201);
  rs = api_fixture_call(f, CP_API_PATCH, "/api/v1/namespaces/ps",
                        "application/merge-patch+json",
                        "{\"metadata\":{\"labels\":{\"pod-security."
                        "kubernetes.io/enforce\":\"restricted\"}}}");
  assert_int_equal(rs.code, 200);
  w = warnings_of(&rs);
  assert_string_equal(
      w, "existing pods in namespace \\\"ps\\\" violate the new PodSecurity "
         "enforce level \\\"restricted:latest\\\"|ok (and 1 other pod): "
         "allowPrivilegeEscalation != false, unrestricted capabilities, "
         "runAsNonRoot != true, seccompProfile");
  free(w);
  free(rs.body);
}

/* Pod updates are evaluated only when significant (kube's
 * isSignificantPodUpdate): an image change is refused like a create, a
 * label change is not looked at. The audit mode logs kube's audit
 * annotation, on a pod and on a workload. */
static void test_updates_and_audit(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char logbuf[4096];
  FILE *log = tmpfile();
  size_t n;

  assert_non_null(log);
  api_fixture_expect(f, CP_API_POST, "/api/v1/namespaces",
                     "{\"metadata\":{\"name\":\"pu\"}}", 201);
  api_fixture_expect(
      f, CP_API_POST, "/api/v1/namespaces/pu/pods",
      "{\"metadata\":{\"name\":\"hn\"},\"spec\":{\"hostNetwork\":true,"
      "\"containers\":[" C("") "]}}",
      201);
  rs = api_fixture_call(f, CP_API_PATCH, "/api/v1/namespaces/pu",
                        "application/merge-patch+json",
                        "{\"metadata\":{\"labels\":{\"pod-security."
                        "kubernetes.io/enforce\":\"baseline\",\"pod-security."
                        "kubernetes.io/audit\":\"baseline\"}}}");
  assert_int_equal(rs.code, 200);
  free(rs.body);
  cp_log_set_fd(fileno(log));
  cp_log_set_level(CPLANE_LOG_INFO);
  /* Only a label: allowed although the pod violates enforce. */
  rs = api_fixture_call(f, CP_API_PATCH, "/api/v1/namespaces/pu/pods/hn",
                        "application/merge-patch+json",
                        "{\"metadata\":{\"labels\":{\"x\":\"y\"}}}");
  assert_int_equal(rs.code, 200);
  free(rs.body);
  /* A new image: evaluated, refused, and audited. */
  rs = api_fixture_call(f, CP_API_PATCH, "/api/v1/namespaces/pu/pods/hn",
                        "application/json-patch+json",
                        "[{\"op\":\"replace\",\"path\":"
                        "\"/spec/containers/0/image\",\"value\":\"j\"}]");
  assert_int_equal(rs.code, 403);
  assert_non_null(strstr(rs.body, "violates PodSecurity \\\"baseline:latest"
                                  "\\\": host namespaces (hostNetwork=true)"));
  free(rs.body);
  /* A workload is audited too. */
  api_fixture_expect(
      f, CP_API_POST, "/apis/apps/v1/namespaces/pu/deployments",
      "{\"metadata\":{\"name\":\"d\"},\"spec\":{\"selector\":"
      "{\"matchLabels\":{\"a\":\"b\"}},\"template\":{\"metadata\":"
      "{\"labels\":{\"a\":\"b\"}},\"spec\":{\"hostPID\":true,"
      "\"containers\":[" C("") "]}}}}",
      201);
  cp_log_set_level(CPLANE_LOG_ERROR);
  cp_log_set_fd(2);
  rewind(log);
  n = fread(logbuf, 1, sizeof logbuf - 1, log);
  logbuf[n] = '\0';
  fclose(log);
  assert_non_null(strstr(logbuf, "audit: pods pu/hn by "));
  assert_non_null(strstr(logbuf, "pod-security.kubernetes.io/audit-violations"
                                 "=would violate PodSecurity \"baseline:"
                                 "latest\": host namespaces "
                                 "(hostNetwork=true)"));
  assert_non_null(strstr(logbuf, "audit: deployments pu/d by "));
  /* The label-only update was not evaluated: one pod line. */
  assert_null(strstr(strstr(logbuf, "audit: pods pu/hn") + 1,
                     "audit: pods pu/hn"));
}

/* Warn and audit at one level share one evaluation (kube's EvaluatePod
 * reuses it): both still report it, and enforce at another level is
 * judged on its own. */
static void test_warn_and_audit_share_an_evaluation(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char logbuf[4096];
  FILE *log = tmpfile();
  size_t n;

  assert_non_null(log);
  api_fixture_expect(
      f, CP_API_POST, "/api/v1/namespaces",
      "{\"metadata\":{\"name\":\"pw\",\"labels\":{"
      "\"pod-security.kubernetes.io/enforce\":\"baseline\","
      "\"pod-security.kubernetes.io/warn\":\"restricted\","
      "\"pod-security.kubernetes.io/audit\":\"restricted\"}}}",
      201);
  cp_log_set_fd(fileno(log));
  cp_log_set_level(CPLANE_LOG_INFO);
  created_with_warning(f, "pw", "r",
                       "would violate PodSecurity \\\"restricted:latest\\\": "
                       "allowPrivilegeEscalation != false");
  /* Enforce still judged at baseline. */
  rs = api_fixture_call(
      f, CP_API_POST, "/api/v1/namespaces/pw/pods", API_FIXTURE_JSON,
      "{\"metadata\":{\"name\":\"hn\"},\"spec\":{\"hostNetwork\":true,"
      "\"containers\":[" C("") "]}}");
  assert_int_equal(rs.code, 403);
  assert_non_null(strstr(rs.body, "violates PodSecurity \\\"baseline:latest"
                                  "\\\": host namespaces (hostNetwork=true)"));
  free(rs.body);
  cp_log_set_level(CPLANE_LOG_ERROR);
  cp_log_set_fd(2);
  rewind(log);
  n = fread(logbuf, 1, sizeof logbuf - 1, log);
  logbuf[n] = '\0';
  fclose(log);
  assert_non_null(strstr(logbuf, "audit: pods pw/r by "));
  assert_non_null(strstr(logbuf, "audit-violations=would violate "
                                 "PodSecurity \"restricted:latest\": "
                                 "allowPrivilegeEscalation != false"));
  /* The refused pod is audited at restricted too. */
  assert_non_null(strstr(logbuf, "audit: pods pw/hn by "));
  assert_non_null(strstr(logbuf, "PodSecurity \"restricted:latest\": "
                                 "host namespaces (hostNetwork=true)"));
}

/* PodSecurityConfiguration's exemptions from the INI lists: an exempt
 * namespace or runtime class is not looked at; a user is matched by
 * name. */
static void test_exemptions(void **state) {
  struct api_fixture *f = *state;
  struct cp_psa_exemptions *e =
      cp_psa_exemptions_new(" system:serviceaccount:kube-system:x ,ci", "free",
                            "kata,, gvisor ");
  static const char hn_pod[] =
      "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"hostNetwork\":true,"
      "%s\"containers\":[" C("") "]}}";
  char body[512];
  const char *ns;

  assert_non_null(e);
  assert_true(cp_psa_exempt_user(e, "ci"));
  assert_true(cp_psa_exempt_user(e, "system:serviceaccount:kube-system:x"));
  assert_false(cp_psa_exempt_user(e, "c"));
  assert_false(cp_psa_exempt_user(e, ""));
  assert_true(cp_psa_exempt_runtime_class(e, "gvisor"));
  assert_false(cp_psa_exempt_namespace(e, "kata"));
  assert_false(cp_psa_exempt_namespace(NULL, "free"));
  f->ctx.psa_exempt = e;
  for (ns = "free"; ns != NULL; ns = strcmp(ns, "free") == 0 ? "held" : NULL) {
    char path[64];

    snprintf(body, sizeof body,
             "{\"metadata\":{\"name\":\"%s\",\"labels\":{\"pod-security."
             "kubernetes.io/enforce\":\"baseline\"}}}",
             ns);
    api_fixture_expect(f, CP_API_POST, "/api/v1/namespaces", body, 201);
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods", ns);
    snprintf(body, sizeof body, hn_pod, "a", "");
    api_fixture_expect(f, CP_API_POST, path, body,
                       strcmp(ns, "free") == 0 ? 201 : 403);
    snprintf(body, sizeof body, hn_pod, "b",
             "\"runtimeClassName\":\"kata\",");
    api_fixture_expect(f, CP_API_POST, path, body, 201);
  }
  f->ctx.psa_exempt = NULL;
  cp_psa_exemptions_free(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_checks),
      cmocka_unit_test(test_labels),
      cmocka_unit_test_setup_teardown(test_through_the_server, psa_setup,
                                      psa_teardown),
      cmocka_unit_test_setup_teardown(test_warn_and_audit_share_an_evaluation,
                                      psa_setup, psa_teardown),
      cmocka_unit_test_setup_teardown(test_updates_and_audit, psa_setup,
                                      psa_teardown),
      cmocka_unit_test_setup_teardown(test_exemptions, psa_setup,
                                      psa_teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
