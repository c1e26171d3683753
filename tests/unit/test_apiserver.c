/*
 * Unit tests for host/apiserver: routing, the verbs on a real SQLite store
 * (create with server-set metadata, get, list with selectors and
 * pagination, optimistic concurrency, status and scale subresources,
 * finalizers, binding), the namespace lifecycle (Terminating, finalize,
 * no new content in a terminating namespace), CRDs (served, synced
 * between servers, refusing new custom resources while terminating,
 * deleted only once their custom resources are gone),
 * discovery documents, and
 * the HTTP server itself
 * under concurrent clients (worker pool, watch stream) so ThreadSanitizer
 * sees the threads.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "apiserver/apiserver.h"
#include "apiserver/crd.h"
#include "apiserver/crd_cleanup.h"
#include "apiserver/nscache.h"
#include "apiserver/discovery.h"
#include "apiserver/request.h"
#include "apiserver/strategy/strategy.h"
#include "api_fixture.h"
#include "log/log.h"

static int setup(void **state) { return api_fixture_setup(state); }

static int teardown(void **state) { return api_fixture_teardown(state); }

/* Runs one request; returns the response (caller frees body). */
static struct cp_api_response call(struct api_fixture *f, enum cp_api_method m,
                                   const char *path_query, const char *ctype,
                                   const char *body) {
  return api_fixture_call(f, m, path_query, ctype, body);
}

/* The string at a dotted path of a JSON text, into buf ("" if absent). */
static const char *jq(const char *text, const char *path, char *buf,
                      size_t len) {
  json_object *o = json_tokener_parse(text), *cur = o;
  char p[256], *save = NULL, *seg;

  buf[0] = '\0';
  snprintf(p, sizeof p, "%s", path);
  for (seg = strtok_r(p, ".", &save); seg && cur;
       seg = strtok_r(NULL, ".", &save)) {
    json_object *next = NULL;

    if (json_object_is_type(cur, json_type_array))
      next = json_object_array_get_idx(cur, (size_t)atoi(seg));
    else if (!json_object_object_get_ex(cur, seg, &next))
      next = NULL;
    cur = next;
  }
  if (cur != NULL)
    snprintf(buf, len, "%s", json_object_get_string(cur));
  json_object_put(o);
  return buf;
}

#define NS_CM "/api/v1/namespaces/default/configmaps"
#define CRDS "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
#define J "application/json"

static void expect_code(struct cp_api_response rs, int code) {
  if (rs.code != code)
    fail_msg("HTTP %d, want %d: %.*s", rs.code, code, (int)rs.len,
             rs.body ? rs.body : "");
  free(rs.body);
}

static void make_namespace(struct api_fixture *f, const char *name) {
  char body[128];

  snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"%s\"}}", name);
  expect_code(call(f, CP_API_POST, "/api/v1/namespaces", J, body), 201);
}

static void test_routing(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char buf[128];

  rs = call(f, CP_API_GET, "/api/v1/namespaces/default/widgets", NULL, NULL);
  assert_int_equal(rs.code, 404);
  assert_string_equal(jq(rs.body, "kind", buf, sizeof buf), "Status");
  free(rs.body);
  /* A cluster-scoped kind under a namespace does not exist. */
  expect_code(call(f, CP_API_GET, "/api/v1/namespaces/default/nodes", NULL,
                   NULL), 404);
  expect_code(call(f, CP_API_GET, "/apis/apps/v1/namespaces/default/"
                                  "deployments/x/nosuchsub", NULL, NULL),
              404);
  expect_code(call(f, CP_API_GET, "/api/v1/namespaces/nope", NULL, NULL),
              404);
  expect_code(call(f, CP_API_PUT, NS_CM, J, "{}"), 405);
}

static void test_create_get_list(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char buf[128], rv[32], path[256];
  int i;

  make_namespace(f, "default");
  rs = call(f, CP_API_POST, NS_CM, J,
            "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{"
            "\"name\":\"a\",\"labels\":{\"app\":\"web\"},\"uid\":\"mine\"},"
            "\"data\":{\"k\":\"v\"}}");
  assert_int_equal(rs.code, 201);
  assert_string_equal(jq(rs.body, "metadata.namespace", buf, sizeof buf),
                      "default");
  assert_string_not_equal(jq(rs.body, "metadata.uid", buf, sizeof buf),
                          "mine"); /* the server sets uid */
  assert_int_equal(strlen(buf), 36);
  assert_string_not_equal(jq(rs.body, "metadata.creationTimestamp", buf,
                             sizeof buf), "");
  jq(rs.body, "metadata.resourceVersion", rv, sizeof rv);
  assert_true(atoi(rv) > 0);
  free(rs.body);
  expect_code(call(f, CP_API_POST, NS_CM, J, "{\"metadata\":{\"name\":\"a\"}}"),
              409);
  rs = call(f, CP_API_GET, NS_CM "/a", NULL, NULL);
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "metadata.resourceVersion", buf,
                         sizeof buf), rv);
  assert_string_equal(jq(rs.body, "data.k", buf, sizeof buf), "v");
  free(rs.body);
  for (i = 0; i < 5; i++) {
    char body[128];

    snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"p%d\",\"labels\":"
                                "{\"app\":\"%s\"}}}", i,
             i % 2 ? "web" : "db");
    expect_code(call(f, CP_API_POST, NS_CM, J, body), 201);
  }
  rs = call(f, CP_API_GET, NS_CM "?labelSelector=app%3Dweb", NULL, NULL);
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "kind", buf, sizeof buf), "ConfigMapList");
  assert_string_equal(jq(rs.body, "items.0.metadata.name", buf, sizeof buf),
                      "a");
  assert_string_equal(jq(rs.body, "items.2.metadata.name", buf, sizeof buf),
                      "p3");
  assert_string_equal(jq(rs.body, "items.3.metadata.name", buf, sizeof buf),
                      "");
  free(rs.body);
  rs = call(f, CP_API_GET, NS_CM "?fieldSelector=metadata.name%3Dp4", NULL,
            NULL);
  assert_string_equal(jq(rs.body, "items.0.metadata.name", buf, sizeof buf),
                      "p4");
  assert_string_equal(jq(rs.body, "items.1.metadata.name", buf, sizeof buf),
                      "");
  free(rs.body);
  /* Pages of 2 share one resourceVersion and end without a token. */
  rs = call(f, CP_API_GET, NS_CM "?limit=2", NULL, NULL);
  assert_string_equal(jq(rs.body, "items.1.metadata.name", buf, sizeof buf),
                      "p0");
  jq(rs.body, "metadata.continue", buf, sizeof buf);
  assert_string_not_equal(buf, "");
  snprintf(path, sizeof path, NS_CM "?limit=2&continue=%s", buf);
  free(rs.body);
  expect_code(call(f, CP_API_POST, NS_CM, J, "{\"metadata\":{\"name\":"
                                             "\"late\"}}"), 201);
  rs = call(f, CP_API_GET, path, NULL, NULL);
  assert_string_equal(jq(rs.body, "items.0.metadata.name", buf, sizeof buf),
                      "p1");
  free(rs.body);
  expect_code(call(f, CP_API_GET, NS_CM "?continue=zzz", NULL, NULL), 400);
  expect_code(call(f, CP_API_GET, NS_CM "?labelSelector=a%20in%20(", NULL,
                   NULL), 400);
  expect_code(call(f, CP_API_GET, NS_CM "?fieldSelector=nonsense", NULL,
                   NULL), 400);
  /* Only the field labels kube knows for the kind. */
  rs = call(f, CP_API_GET, NS_CM "?fieldSelector=data.a%3Dx", NULL, NULL);
  assert_int_equal(rs.code, 400);
  assert_non_null(strstr(rs.body, "field label not supported: data.a"));
  free(rs.body);
  expect_code(call(f, CP_API_GET, NS_CM "?fieldSelector=metadata.name%3Dp1",
                   NULL, NULL),
              200);
  expect_code(call(f, CP_API_GET,
                   "/api/v1/pods?fieldSelector=spec.nodeName%3Dn1,"
                   "status.phase!%3DRunning",
                   NULL, NULL),
              200);
  /* resourceVersionMatch as kube-apiserver checks it. */
  rs = call(f, CP_API_GET, NS_CM "?resourceVersionMatch=Bogus&"
                                 "resourceVersion=1",
            NULL, NULL);
  assert_int_equal(rs.code, 422);
  assert_non_null(strstr(rs.body, "Unsupported value: \\\"Bogus\\\""));
  free(rs.body);
  expect_code(call(f, CP_API_GET, NS_CM "?resourceVersionMatch=NotOlderThan",
                   NULL, NULL),
              422);
  expect_code(call(f, CP_API_GET, NS_CM "?resourceVersionMatch=Exact&"
                                        "resourceVersion=0",
                   NULL, NULL),
              422);
  expect_code(call(f, CP_API_GET, NS_CM "?resourceVersionMatch=NotOlderThan&"
                                        "resourceVersion=1",
                   NULL, NULL),
              200);
  /* Every namespace. */
  rs = call(f, CP_API_GET, "/api/v1/configmaps", NULL, NULL);
  assert_string_equal(jq(rs.body, "items.1.metadata.name", buf, sizeof buf),
                      "late"); /* in key order */
  assert_string_equal(jq(rs.body, "items.6.metadata.name", buf, sizeof buf),
                      "p4");
  free(rs.body);
}

static void test_validation(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char buf[256];

  make_namespace(f, "default");
  rs = call(f, CP_API_POST, NS_CM, J, "{\"metadata\":{}}");
  assert_int_equal(rs.code, 422);
  assert_string_equal(jq(rs.body, "details.causes.0.field", buf, sizeof buf),
                      "metadata.name");
  assert_string_equal(jq(rs.body, "details.kind", buf, sizeof buf),
                      "ConfigMap");
  free(rs.body);
  expect_code(call(f, CP_API_POST, NS_CM, J, "{\"metadata\":{\"name\":"
                                             "\"UPPER\"}}"), 422);
  expect_code(call(f, CP_API_POST, NS_CM, J, "{\"metadata\":{\"name\":\"x\","
                                             "\"labels\":{\"-bad\":\"v\"}}}"),
              422);
  expect_code(call(f, CP_API_POST, NS_CM, J, "{\"kind\":\"Pod\",\"metadata\":"
                                             "{\"name\":\"x\"}}"), 400);
  expect_code(call(f, CP_API_POST, NS_CM, J, "[1]"), 400);
  expect_code(call(f, CP_API_POST, NS_CM, J, "{\"metadata\":"), 400);
  /* YAML is read as kube reads it (here: no name, 422); other media
   * types are 415. */
  expect_code(call(f, CP_API_POST, NS_CM, "application/yaml",
                   "metadata: {}"), 422);
  expect_code(call(f, CP_API_POST, NS_CM, "application/yaml",
                   "metadata: {name: yml}\ndata: {k: \"yes\"}"), 201);
  expect_code(call(f, CP_API_POST, NS_CM, "application/yaml",
                   "metadata: {name: [}"), 400);
  expect_code(call(f, CP_API_POST, NS_CM, "text/plain", "metadata: {}"), 415);
  expect_code(call(f, CP_API_POST, "/api/v1/namespaces/missing/configmaps",
                   J, "{\"metadata\":{\"name\":\"x\"}}"), 404);
  /* generateName gets a random suffix. */
  rs = call(f, CP_API_POST, NS_CM, J, "{\"metadata\":{\"generateName\":"
                                      "\"gen-\"}}");
  assert_int_equal(rs.code, 201);
  jq(rs.body, "metadata.name", buf, sizeof buf);
  assert_int_equal(strncmp(buf, "gen-", 4), 0);
  assert_int_equal(strlen(buf), 9);
  free(rs.body);
  /* dryRun stores nothing. */
  expect_code(call(f, CP_API_POST, NS_CM "?dryRun=All", J,
                   "{\"metadata\":{\"name\":\"dry\"}}"), 201);
  expect_code(call(f, CP_API_GET, NS_CM "/dry", NULL, NULL), 404);
}

static void test_update_conflict_and_generation(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char buf[256], body[512], rv[32];

/* What a Deployment's spec must have besides replicas (kube-apiserver
 * refuses one without a selector or a template). */
#define DSPEC                                                                \
  "\"selector\":{\"matchLabels\":{\"app\":\"d\"}},\"template\":{"           \
  "\"metadata\":{\"labels\":{\"app\":\"d\"}},\"spec\":{\"containers\":["    \
  "{\"name\":\"c\",\"image\":\"i\"}]}}"

  make_namespace(f, "default");
  rs = call(f, CP_API_POST, "/apis/apps/v1/namespaces/default/deployments",
            J, "{\"metadata\":{\"name\":\"d\"},\"spec\":{\"replicas\":1,"
               DSPEC "},\"status\":{\"replicas\":3}}");
  assert_int_equal(rs.code, 201);
  /* kube's PrepareForCreate drops the status a create sends. */
  assert_string_equal(jq(rs.body, "status.replicas", buf, sizeof buf), "");
  jq(rs.body, "metadata.resourceVersion", rv, sizeof rv);
  free(rs.body);
#define DEP "/apis/apps/v1/namespaces/default/deployments/d"
  /* A status change through the main resource is ignored. */
  snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"d\","
                              "\"resourceVersion\":\"%s\",\"labels\":{\"a\":"
                              "\"b\"}},\"spec\":{\"replicas\":1," DSPEC
                              "},\"status\":{\"replicas\":9}}", rv);
  rs = call(f, CP_API_PUT, DEP, J, body);
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "status.replicas", buf, sizeof buf), "");
  assert_string_equal(jq(rs.body, "metadata.generation", buf, sizeof buf),
                      "1"); /* spec unchanged */
  free(rs.body);
  /* The old resourceVersion is now stale. */
  rs = call(f, CP_API_PUT, DEP, J, body);
  assert_int_equal(rs.code, 409);
  assert_string_equal(jq(rs.body, "reason", buf, sizeof buf), "Conflict");
  free(rs.body);
  /* /status writes only status. */
  rs = call(f, CP_API_PUT, DEP "/status", J,
            "{\"metadata\":{\"name\":\"d\"},\"spec\":{\"replicas\":5},"
            "\"status\":{\"replicas\":3}}");
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "status.replicas", buf, sizeof buf), "3");
  assert_string_equal(jq(rs.body, "spec.replicas", buf, sizeof buf), "1");
  free(rs.body);
  /* A spec change bumps generation; the scale subresource too. */
  rs = call(f, CP_API_PATCH, DEP, "application/merge-patch+json",
            "{\"spec\":{\"replicas\":2}}");
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "metadata.generation", buf, sizeof buf),
                      "2");
  free(rs.body);
  rs = call(f, CP_API_PATCH, DEP "/scale", "application/merge-patch+json",
            "{\"spec\":{\"replicas\":7}}");
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "kind", buf, sizeof buf), "Scale");
  assert_string_equal(jq(rs.body, "spec.replicas", buf, sizeof buf), "7");
  free(rs.body);
  rs = call(f, CP_API_GET, DEP, NULL, NULL);
  assert_string_equal(jq(rs.body, "spec.replicas", buf, sizeof buf), "7");
  assert_string_equal(jq(rs.body, "metadata.generation", buf, sizeof buf),
                      "3");
  free(rs.body);
  /* An apply needs a fieldManager: kube's 422 on the PatchOptions. */
  expect_code(call(f, CP_API_PATCH, DEP, "application/apply-patch+yaml",
                   "{}"), 422);
  /* An apply on /scale (415 before): an autoscaling/v1 Scale whose
   * replicas its manager owns on the Deployment, subresource scale. */
#define SCALE4                                                               \
  "{\"apiVersion\":\"autoscaling/v1\",\"kind\":\"Scale\","                 \
  "\"metadata\":{\"name\":\"d\"},\"spec\":{\"replicas\":4}}"
  /* The scale writes above own replicas (Update): a conflict. */
  rs = call(f, CP_API_PATCH, DEP "/scale?fieldManager=hpa",
            "application/apply-patch+yaml", SCALE4);
  assert_int_equal(rs.code, 409);
  assert_string_equal(jq(rs.body, "details.causes.0.field", buf, sizeof buf),
                      ".spec.replicas");
  free(rs.body);
  rs = call(f, CP_API_PATCH, DEP "/scale?fieldManager=hpa&force=true",
            "application/apply-patch+yaml", SCALE4);
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "kind", buf, sizeof buf), "Scale");
  assert_string_equal(jq(rs.body, "spec.replicas", buf, sizeof buf), "4");
  free(rs.body);
  rs = call(f, CP_API_GET, DEP, NULL, NULL);
  assert_string_equal(jq(rs.body, "spec.replicas", buf, sizeof buf), "4");
  assert_string_equal(
      jq(rs.body, "metadata.managedFields.0.manager", buf, sizeof buf), "hpa");
  assert_string_equal(
      jq(rs.body, "metadata.managedFields.0.subresource", buf, sizeof buf),
      "scale");
  free(rs.body);
  expect_code(call(f, CP_API_PATCH, DEP, "application/json-patch+json",
                   "[{\"op\":\"test\",\"path\":\"/spec/replicas\","
                   "\"value\":1}]"), 422);
  expect_code(call(f, CP_API_PUT, DEP, J, "{\"metadata\":{\"name\":"
                                          "\"other\"}}"), 400);
  /* A value of the wrong type in a create or update body of a built-in
   * kind is a decoding error, 400, as Go's decoding into the typed
   * object answers in kube-apiserver; in a patch it stays 422. */
  rs = call(f, CP_API_POST, "/apis/apps/v1/namespaces/default/deployments",
            J, "{\"metadata\":{\"name\":\"t\"},\"spec\":{\"replicas\":"
               "\"three\"," DSPEC "}}");
  assert_int_equal(rs.code, 400);
  assert_string_equal(jq(rs.body, "reason", buf, sizeof buf), "BadRequest");
  assert_string_equal(jq(rs.body, "message", buf, sizeof buf),
                      "Deployment in version \"v1\" cannot be handled as a "
                      "Deployment: json: cannot unmarshal string into Go "
                      "struct field DeploymentSpec.spec.replicas of type "
                      "int32");
  free(rs.body);
  expect_code(call(f, CP_API_GET,
                   "/apis/apps/v1/namespaces/default/deployments/t", NULL,
                   NULL),
              404);
  rs = call(f, CP_API_POST, NS_CM, J,
            "{\"metadata\":{\"name\":\"tc\"},\"data\":{\"k\":1}}");
  assert_int_equal(rs.code, 400);
  assert_string_equal(jq(rs.body, "message", buf, sizeof buf),
                      "ConfigMap in version \"v1\" cannot be handled as a "
                      "ConfigMap: json: cannot unmarshal number into Go "
                      "struct field ConfigMap.data.k of type string");
  free(rs.body);
  /* metadata is decoded before anything reads it: a name of the wrong
   * type is that 400 (not "name or generateName is required"), on
   * update too (not a name mismatch); Go names ObjectMeta and the
   * field's own type. */
  rs = call(f, CP_API_POST, NS_CM, J, "{\"metadata\":{\"name\":5}}");
  assert_int_equal(rs.code, 400);
  assert_string_equal(jq(rs.body, "message", buf, sizeof buf),
                      "ConfigMap in version \"v1\" cannot be handled as a "
                      "ConfigMap: json: cannot unmarshal number into Go "
                      "struct field ObjectMeta.metadata.name of type string");
  free(rs.body);
  rs = call(f, CP_API_POST, NS_CM, J,
            "{\"metadata\":{\"name\":\"tl\",\"labels\":\"a=b\"}}");
  assert_int_equal(rs.code, 400);
  assert_non_null(strstr(rs.body, "into Go struct field "
                                  "ObjectMeta.metadata.labels of type "
                                  "map[string]string"));
  free(rs.body);
  rs = call(f, CP_API_POST, NS_CM, J, "{\"metadata\":[]}");
  assert_int_equal(rs.code, 400);
  assert_non_null(strstr(rs.body, "cannot unmarshal array into Go struct "
                                  "field ConfigMap.metadata of type "
                                  "v1.ObjectMeta"));
  free(rs.body);
  rs = call(f, CP_API_PUT, DEP, J,
            "{\"metadata\":{\"name\":\"d\",\"finalizers\":\"x\"},"
            "\"spec\":{\"replicas\":1," DSPEC "}}");
  assert_int_equal(rs.code, 400);
  assert_non_null(strstr(rs.body, "into Go struct field "
                                  "ObjectMeta.metadata.finalizers of type "
                                  "[]string"));
  free(rs.body);
  rs = call(f, CP_API_PUT, DEP, J,
            "{\"metadata\":{\"name\":7},\"spec\":{\"replicas\":1,"
            DSPEC "}}");
  assert_int_equal(rs.code, 400);
  assert_non_null(strstr(rs.body, "into Go struct field "
                                  "ObjectMeta.metadata.name of type string"));
  free(rs.body);
  rs = call(f, CP_API_PUT, DEP, J,
            "{\"metadata\":{\"name\":\"d\"},\"spec\":{\"replicas\":1,"
            "\"paused\":\"yes\"," DSPEC "}}");
  assert_int_equal(rs.code, 400);
  assert_non_null(strstr(rs.body, "cannot unmarshal string into Go struct "
                                  "field DeploymentSpec.spec.paused of type "
                                  "bool"));
  free(rs.body);
  /* Go names the innermost struct, through the template to a container
   * (list indices dropped); a field that is itself a struct is named
   * in its parent, with its own type. */
  rs = call(f, CP_API_PUT, DEP, J,
            "{\"metadata\":{\"name\":\"d\"},\"spec\":{\"replicas\":1,"
            "\"selector\":{\"matchLabels\":{\"app\":\"x\"}},\"template\":{"
            "\"metadata\":{\"labels\":{\"app\":\"x\"}},\"spec\":{"
            "\"containers\":[{\"name\":\"c\",\"image\":\"i\","
            "\"tty\":\"yes\"}]}}}}");
  assert_int_equal(rs.code, 400);
  assert_non_null(strstr(rs.body, "cannot unmarshal string into Go struct "
                                  "field Container.spec.template.spec."
                                  "containers.tty of type bool"));
  free(rs.body);
  rs = call(f, CP_API_PUT, DEP, J,
            "{\"metadata\":{\"name\":\"d\"},\"spec\":5}");
  assert_int_equal(rs.code, 400);
  assert_non_null(strstr(rs.body, "cannot unmarshal number into Go struct "
                                  "field Deployment.spec of type "));
  free(rs.body);
  rs = call(f, CP_API_PATCH, DEP, "application/merge-patch+json",
            "{\"spec\":{\"replicas\":\"x\"}}");
  assert_int_equal(rs.code, 422);
  assert_string_equal(jq(rs.body, "reason", buf, sizeof buf), "Invalid");
  free(rs.body);
}

static void test_delete_and_finalizers(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char buf[128];

  make_namespace(f, "default");
  expect_code(call(f, CP_API_POST, NS_CM, J, "{\"metadata\":{\"name\":\"f\","
                                             "\"finalizers\":[\"x/y\"]}}"),
              201);
  rs = call(f, CP_API_DELETE, NS_CM "/f", J,
            "{\"propagationPolicy\":\"Background\"}");
  assert_int_equal(rs.code, 200);
  assert_string_not_equal(jq(rs.body, "metadata.deletionTimestamp", buf,
                             sizeof buf), "");
  {
    char rv[32], rv2[32];

    snprintf(rv, sizeof rv, "%s",
             jq(rs.body, "metadata.resourceVersion", buf, sizeof buf));
    free(rs.body);
    /* Deleting it again changes nothing: no new version, no event. */
    rs = call(f, CP_API_DELETE, NS_CM "/f", NULL, NULL);
    assert_int_equal(rs.code, 200);
    snprintf(rv2, sizeof rv2, "%s",
             jq(rs.body, "metadata.resourceVersion", buf, sizeof buf));
    assert_string_equal(rv, rv2);
    free(rs.body);
    /* Foreground on top adds its finalizer: that is a write. */
    rs = call(f, CP_API_DELETE, NS_CM "/f", J,
              "{\"propagationPolicy\":\"Foreground\"}");
    assert_int_equal(rs.code, 200);
    assert_string_not_equal(jq(rs.body, "metadata.resourceVersion", buf,
                               sizeof buf), rv);
    free(rs.body);
    expect_code(call(f, CP_API_PATCH, NS_CM "/f",
                     "application/merge-patch+json",
                     "{\"metadata\":{\"finalizers\":[\"x/y\"]}}"), 200);
  }
  expect_code(call(f, CP_API_GET, NS_CM "/f", NULL, NULL), 200);
  expect_code(call(f, CP_API_PATCH, NS_CM "/f", "application/merge-patch+json",
                   "{\"metadata\":{\"finalizers\":[]}}"), 200);
  expect_code(call(f, CP_API_GET, NS_CM "/f", NULL, NULL), 404);
  /* Plain delete, preconditions, dry run, bad policy. */
  expect_code(call(f, CP_API_POST, NS_CM, J, "{\"metadata\":{\"name\":"
                                             "\"g\"}}"), 201);
  expect_code(call(f, CP_API_DELETE, NS_CM "/g", J,
                   "{\"preconditions\":{\"uid\":\"wrong\"}}"), 409);
  expect_code(call(f, CP_API_DELETE, NS_CM "/g", J,
                   "{\"dryRun\":[\"All\"]}"), 200);
  expect_code(call(f, CP_API_DELETE, NS_CM "/g", J,
                   "{\"propagationPolicy\":\"Sideways\"}"), 400);
  expect_code(call(f, CP_API_DELETE, NS_CM "/g", NULL, NULL), 200);
  expect_code(call(f, CP_API_DELETE, NS_CM "/g", NULL, NULL), 404);
  /* deletecollection with a selector. */
  expect_code(call(f, CP_API_POST, NS_CM, J, "{\"metadata\":{\"name\":"
                                             "\"k1\",\"labels\":{\"x\":"
                                             "\"1\"}}}"), 201);
  expect_code(call(f, CP_API_POST, NS_CM, J, "{\"metadata\":{\"name\":"
                                             "\"k2\"}}"), 201);
  rs = call(f, CP_API_DELETE, NS_CM "?labelSelector=x%3D1", NULL, NULL);
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "items.0.metadata.name", buf, sizeof buf),
                      "k1");
  assert_string_equal(jq(rs.body, "items.1.metadata.name", buf, sizeof buf),
                      "");
  free(rs.body);
  expect_code(call(f, CP_API_GET, NS_CM "/k1", NULL, NULL), 404);
  expect_code(call(f, CP_API_GET, NS_CM "/k2", NULL, NULL), 200);
}

#define NSS "/api/v1/namespaces"

/* Asserts the response's code and that its body has `path` = want. */
static void expect_at(struct cp_api_response rs, int code, const char *path,
                      const char *want) {
  char buf[512];

  if (rs.code != code)
    fail_msg("HTTP %d, want %d: %.*s", rs.code, code, (int)rs.len,
             rs.body ? rs.body : "");
  assert_string_equal(jq(rs.body, path, buf, sizeof buf), want);
  free(rs.body);
}

static void test_namespace_lifecycle(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char buf[256];

  /* Created Active, with the "kubernetes" finalizer added to any others. */
  make_namespace(f, "default");
  rs = call(f, CP_API_POST, NSS, J, "{\"metadata\":{\"name\":\"x\"},"
                                    "\"status\":{\"phase\":\"Terminating\"}}");
  assert_int_equal(rs.code, 201);
  assert_string_equal(jq(rs.body, "spec.finalizers", buf, sizeof buf),
                      "[ \"kubernetes\" ]");
  assert_string_equal(jq(rs.body, "status.phase", buf, sizeof buf),
                      "Active");
  free(rs.body);
  expect_at(call(f, CP_API_POST, NSS, J,
                 "{\"metadata\":{\"name\":\"y\"},\"spec\":{"
                 "\"finalizers\":[\"example.com/z\"]}}"),
            201, "spec.finalizers.1", "kubernetes");
  expect_code(call(f, CP_API_POST, NSS "/x/configmaps", J,
                   "{\"metadata\":{\"name\":\"c1\"}}"), 201);
  /* Content needs an existing namespace. */
  expect_at(call(f, CP_API_POST, NSS "/nope/configmaps", J,
                 "{\"metadata\":{\"name\":\"c1\"}}"),
            404, "message", "namespaces \"nope\" not found");
  /* A main-resource write leaves spec.finalizers alone. */
  expect_at(call(f, CP_API_PUT, NSS "/x", J,
                 "{\"metadata\":{\"name\":\"x\",\"labels\":{\"a\":"
                 "\"b\"}},\"spec\":{\"finalizers\":[]}}"),
            200, "spec.finalizers.0", "kubernetes");
  expect_at(call(f, CP_API_PATCH, NSS "/x", "application/merge-patch+json",
                 "{\"spec\":{\"finalizers\":null}}"),
            200, "spec.finalizers.0", "kubernetes");

  /* DELETE marks it Terminating and answers with it; it stays. */
  rs = call(f, CP_API_DELETE, NSS "/x", J,
            "{\"propagationPolicy\":\"Background\"}");
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "kind", buf, sizeof buf), "Namespace");
  assert_string_equal(jq(rs.body, "status.phase", buf, sizeof buf),
                      "Terminating");
  assert_string_not_equal(jq(rs.body, "metadata.deletionTimestamp", buf,
                             sizeof buf), "");
  free(rs.body);
  expect_at(call(f, CP_API_GET, NSS "/x", NULL, NULL), 200, "status.phase",
            "Terminating");
  /* A status write keeps the finalizers and cannot delete it. */
  expect_at(call(f, CP_API_PUT, NSS "/x/status", J,
                 "{\"metadata\":{\"name\":\"x\"},\"status\":{\"phase\":"
                 "\"Terminating\"}}"),
            200, "spec.finalizers.0", "kubernetes");
  /* A second DELETE changes nothing: 409, as kube-apiserver answers. */
  rs = call(f, CP_API_DELETE, NSS "/x", NULL, NULL);
  assert_int_equal(rs.code, 409);
  assert_non_null(strstr(rs.body, "ensuring all content is removed"));
  free(rs.body);
  expect_at(call(f, CP_API_GET, NSS "/x", NULL, NULL), 200, "status.phase",
            "Terminating");

  /* Nothing new in a terminating namespace, whatever the body. */
  rs = call(f, CP_API_POST, NSS "/x/configmaps", J,
            "{\"metadata\":{\"name\":\"c2\"}}");
  assert_int_equal(rs.code, 403);
  assert_string_equal(jq(rs.body, "reason", buf, sizeof buf), "Forbidden");
  assert_string_equal(jq(rs.body, "message", buf, sizeof buf),
                      "configmaps \"c2\" is forbidden: unable to create new "
                      "content in namespace x because it is being "
                      "terminated");
  assert_string_equal(jq(rs.body, "details.causes.0.reason", buf,
                         sizeof buf), "NamespaceTerminating");
  free(rs.body);
  expect_at(call(f, CP_API_POST, NSS "/x/configmaps",
                 "application/vnd.kubernetes.protobuf", "k8s\x01"),
            403, "message",
            "configmaps is forbidden: unable to create new content in "
            "namespace x because it is being terminated");
  expect_code(call(f, CP_API_POST, "/apis/apps/v1/namespaces/x/replicasets",
                   J, "{\"metadata\":{\"generateName\":\"r-\"}}"), 403);
  /* Updates and deletes of what is there still work. */
  expect_code(call(f, CP_API_PUT, NSS "/x/configmaps/c1", J,
                   "{\"metadata\":{\"name\":\"c1\"},\"data\":{\"k\":"
                   "\"v\"}}"), 200);

  /* finalize: PUT only, and only spec.finalizers changes. */
  expect_code(call(f, CP_API_GET, NSS "/x/finalize", NULL, NULL), 405);
  expect_code(call(f, CP_API_PATCH, NSS "/x/finalize",
                   "application/merge-patch+json", "{}"), 405);
  expect_code(call(f, CP_API_PUT, "/api/v1/nodes/n/finalize", J, "{}"), 404);
  expect_code(call(f, CP_API_PUT, NSS "/x/finalize", J,
                   "{\"metadata\":{\"name\":\"other\"}}"), 400);
  /* Another finalizer left: the namespace stays. */
  expect_at(call(f, CP_API_PUT, NSS "/x/finalize", J,
                 "{\"metadata\":{\"name\":\"x\",\"labels\":{\"l\":"
                 "\"1\"}},\"spec\":{\"finalizers\":[\"example.com/"
                 "z\"]}}"),
            200, "spec.finalizers", "[ \"example.com\\/z\" ]");
  expect_at(call(f, CP_API_GET, NSS "/x", NULL, NULL), 200,
            "metadata.labels.l", "");
  /* The last one gone: the namespace goes. */
  expect_code(call(f, CP_API_PUT, NSS "/x/finalize", J,
                   "{\"metadata\":{\"name\":\"x\"},\"spec\":{"
                   "\"finalizers\":[]}}"), 200);
  expect_code(call(f, CP_API_GET, NSS "/x", NULL, NULL), 404);
  /* Finalized before deletion: a DELETE removes it at once. */
  expect_code(call(f, CP_API_PUT, NSS "/y/finalize", J,
                   "{\"metadata\":{\"name\":\"y\"},\"spec\":{}}"), 200);
  expect_at(call(f, CP_API_GET, NSS "/y", NULL, NULL), 200,
            "status.phase", "Active");
  expect_code(call(f, CP_API_DELETE, NSS "/y", NULL, NULL), 200);
  expect_code(call(f, CP_API_GET, NSS "/y", NULL, NULL), 404);
  /* metadata.finalizers hold it as for any object. */
  expect_code(call(f, CP_API_POST, NSS, J,
                   "{\"metadata\":{\"name\":\"m\",\"finalizers\":["
                   "\"example.com/m\"]}}"), 201);
  expect_code(call(f, CP_API_DELETE, NSS "/m", NULL, NULL), 200);
  expect_code(call(f, CP_API_PUT, NSS "/m/finalize", J,
                   "{\"metadata\":{\"name\":\"m\"}}"), 200);
  expect_at(call(f, CP_API_GET, NSS "/m", NULL, NULL), 200,
            "status.phase", "Terminating");
  expect_code(call(f, CP_API_PATCH, NSS "/m", "application/merge-patch+json",
                   "{\"metadata\":{\"finalizers\":null}}"), 200);
  expect_code(call(f, CP_API_GET, NSS "/m", NULL, NULL), 404);

  /* The namespaces every cluster needs cannot be deleted. */
  expect_at(call(f, CP_API_DELETE, NSS "/default", NULL, NULL), 403,
            "message",
            "namespaces \"default\" is forbidden: this namespace may not be "
            "deleted");
  expect_code(call(f, CP_API_GET, NSS "/default", NULL, NULL), 200);
}

/* Custom resources go with their namespace, removed by the server. */
static void test_namespace_purges_custom_resources(void **state) {
  struct api_fixture *f = *state;
  static const char crd[] =
      "{\"metadata\":{\"name\":\"gadgets.example.com\"},\"spec\":{"
      "\"group\":\"example.com\",\"scope\":\"Namespaced\",\"names\":{"
      "\"plural\":\"gadgets\",\"kind\":\"Gadget\"},\"versions\":[{"
      "\"name\":\"v1\",\"served\":true,\"storage\":true}]}}";
#define GADGETS(ns) "/apis/example.com/v1/namespaces/" ns "/gadgets"

  make_namespace(f, "w");
  make_namespace(f, "w2");
  expect_code(call(f, CP_API_POST, CRDS, J, crd), 201);
  expect_code(call(f, CP_API_POST, GADGETS("w"), J,
                   "{\"metadata\":{\"name\":\"g1\",\"finalizers\":["
                   "\"example.com/keep\"]}}"), 201);
  expect_code(call(f, CP_API_POST, GADGETS("w"), J,
                   "{\"metadata\":{\"name\":\"g2\"}}"), 201);
  expect_code(call(f, CP_API_POST, GADGETS("w2"), J,
                   "{\"metadata\":{\"name\":\"g1\"}}"), 201);
  expect_code(call(f, CP_API_DELETE, NSS "/w", NULL, NULL), 200);
  expect_code(call(f, CP_API_GET, GADGETS("w") "/g2", NULL, NULL), 200);
  expect_code(call(f, CP_API_PUT, NSS "/w/finalize", J,
                   "{\"metadata\":{\"name\":\"w\"},\"spec\":{"
                   "\"finalizers\":[]}}"), 200);
  expect_code(call(f, CP_API_GET, NSS "/w", NULL, NULL), 404);
  expect_code(call(f, CP_API_GET, GADGETS("w") "/g1", NULL, NULL), 404);
  expect_code(call(f, CP_API_GET, GADGETS("w") "/g2", NULL, NULL), 404);
  expect_code(call(f, CP_API_GET, GADGETS("w2") "/g1", NULL, NULL), 200);
}

static void test_binding(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char buf[128];

  make_namespace(f, "default");
  expect_code(call(f, CP_API_POST, "/api/v1/namespaces/default/pods", J,
                   "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":"
                   "[{\"name\":\"c\",\"image\":\"i\"}]}}"), 201);
  expect_code(call(f, CP_API_POST, "/api/v1/namespaces/default/pods/p/binding",
                   J, "{\"target\":{\"kind\":\"Node\",\"name\":\"n1\"}}"),
              201);
  rs = call(f, CP_API_GET, "/api/v1/namespaces/default/pods/p", NULL, NULL);
  assert_string_equal(jq(rs.body, "spec.nodeName", buf, sizeof buf), "n1");
  free(rs.body);
  expect_code(call(f, CP_API_POST, "/api/v1/namespaces/default/pods/p/binding",
                   J, "{\"target\":{\"kind\":\"Node\",\"name\":\"n2\"}}"),
              409);
}

static int wait_code(struct api_fixture *f, const char *path, int code);

static void test_crd(void **state) {
  struct api_fixture *f = *state;
  struct cp_crd_cleanup *cleanup;
  struct cp_api_response rs;
  char buf[128];
  static const char crd[] =
      "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":"
      "\"CustomResourceDefinition\",\"metadata\":{\"name\":"
      "\"widgets.example.com\"},\"spec\":{\"group\":\"example.com\","
      "\"scope\":\"Namespaced\",\"names\":{\"plural\":\"widgets\","
      "\"kind\":\"Widget\"},\"versions\":[{\"name\":\"v1\","
      "\"served\":true,\"storage\":true,\"subresources\":{\"status\":"
      "{}}}]}}";
#define WIDGETS "/apis/example.com/v1/namespaces/default/widgets"

  make_namespace(f, "default");
  expect_code(call(f, CP_API_GET, WIDGETS, NULL, NULL), 404);
  /* The name must be plural.group. */
  rs = call(f, CP_API_POST, CRDS, J,
            "{\"metadata\":{\"name\":\"wrong\"},\"spec\":{\"group\":"
            "\"example.com\",\"scope\":\"Namespaced\",\"names\":{"
            "\"plural\":\"widgets\",\"kind\":\"Widget\"},\"versions\":"
            "[{\"name\":\"v1\",\"served\":true}]}}");
  assert_int_equal(rs.code, 422);
  assert_string_equal(jq(rs.body, "details.causes.0.field", buf, sizeof buf),
                      "metadata.name");
  free(rs.body);
  rs = call(f, CP_API_POST, CRDS, J, crd);
  assert_int_equal(rs.code, 201);
  assert_string_equal(jq(rs.body, "status.conditions.1.type", buf,
                         sizeof buf), "Established");
  /* Its deletion will wait for its custom resources. */
  assert_string_equal(jq(rs.body, "metadata.finalizers.0", buf, sizeof buf),
                      CP_CRD_CLEANUP_FINALIZER);
  free(rs.body);
  rs = call(f, CP_API_POST, WIDGETS, J, "{\"apiVersion\":\"example.com/v1\","
                                        "\"kind\":\"Widget\",\"metadata\":"
                                        "{\"name\":\"w1\"},\"spec\":{"
                                        "\"size\":3}}");
  assert_int_equal(rs.code, 201);
  free(rs.body);
  expect_code(call(f, CP_API_PATCH, WIDGETS "/w1",
                   "application/strategic-merge-patch+json", "{}"), 415);
  rs = call(f, CP_API_GET, WIDGETS, NULL, NULL);
  assert_string_equal(jq(rs.body, "kind", buf, sizeof buf), "WidgetList");
  assert_string_equal(jq(rs.body, "items.0.spec.size", buf, sizeof buf),
                      "3");
  free(rs.body);
  /* A server started later reads the definition back from the store. */
  cp_resources_free(f->ctx.resources);
  f->ctx.resources = cp_resources_new();
  expect_code(call(f, CP_API_GET, WIDGETS "/w1", NULL, NULL), 404);
  assert_int_equal(cp_crd_load_all(&f->ctx, NULL), 1);
  expect_code(call(f, CP_API_GET, WIDGETS "/w1", NULL, NULL), 200);
  /* Deleting the definition (its cleanup deletes its resources) stops
   * serving the type (404, out of discovery); defining it again serves
   * an empty type, as cluster-scoped now. */
  cleanup = cp_crd_cleanup_start(&f->ctx);
  assert_non_null(cleanup);
  expect_code(call(f, CP_API_DELETE, CRDS "/widgets.example.com", NULL, NULL),
              200);
  assert_int_equal(wait_code(f, CRDS "/widgets.example.com", 404), 0);
  expect_code(call(f, CP_API_GET, WIDGETS, NULL, NULL), 404);
  assert_null(cp_discovery_resource_list(f->ctx.resources, "example.com",
                                         "v1"));
  rs = call(f, CP_API_POST, CRDS, J,
            "{\"metadata\":{\"name\":\"widgets.example.com\"},\"spec\":{"
            "\"group\":\"example.com\",\"scope\":\"Cluster\",\"names\":{"
            "\"plural\":\"widgets\",\"kind\":\"Widget\"},\"versions\":[{"
            "\"name\":\"v1\",\"served\":true,\"storage\":true}]}}");
  assert_int_equal(rs.code, 201);
  free(rs.body);
  rs = call(f, CP_API_GET, "/apis/example.com/v1/widgets", NULL, NULL);
  assert_int_equal(rs.code, 200);
  assert_null(strstr(rs.body, "\"w1\""));
  free(rs.body);
  expect_code(call(f, CP_API_GET, WIDGETS, NULL, NULL), 404);
  cp_crd_cleanup_stop(cleanup);
}

/* A definition with two served versions, for the tests below. */
static const char two_versions_crd[] =
    "{\"metadata\":{\"name\":\"widgets.example.com\"},\"spec\":{"
    "\"group\":\"example.com\",\"scope\":\"Namespaced\",\"names\":{"
    "\"plural\":\"widgets\",\"kind\":\"Widget\"},\"versions\":["
    "{\"name\":\"v1\",\"served\":true,\"storage\":true},"
    "{\"name\":\"v2\",\"served\":true}]}}";

/* cp_crd_unregister takes every version out of routing and names one type
 * it removed; an unknown definition is a no-op. cp_crd_load_all also
 * stops serving types whose definition left the store. */
static void test_crd_unregister(void **state) {
  struct api_fixture *f = *state;
  json_object *crd = json_tokener_parse(two_versions_crd);
  json_object *other = json_tokener_parse(
      "{\"metadata\":{\"name\":\"gizmos.example.org\"},\"spec\":{"
      "\"group\":\"example.org\",\"scope\":\"Cluster\",\"names\":{"
      "\"plural\":\"gizmos\",\"kind\":\"Gizmo\"},\"versions\":[{"
      "\"name\":\"v1\",\"served\":true,\"storage\":true}]}}");
  const struct cp_resource_type *t;

  assert_non_null(crd);
  assert_non_null(other);
  make_namespace(f, "default");
  assert_null(cp_crd_unregister(f->ctx.resources, crd));
  assert_int_equal(cp_crd_register(f->ctx.resources, crd), 2);
  assert_int_equal(cp_crd_register(f->ctx.resources, crd), 0);
  expect_code(call(f, CP_API_GET, WIDGETS, NULL, NULL), 200);
  t = cp_crd_unregister(f->ctx.resources, crd);
  assert_non_null(t);
  assert_string_equal(t->group, "example.com");
  assert_string_equal(t->resource, "widgets");
  expect_code(call(f, CP_API_GET, WIDGETS, NULL, NULL), 404);
  expect_code(call(f, CP_API_GET, "/apis/example.com/v2/namespaces/default/"
                                  "widgets", NULL, NULL), 404);
  assert_null(cp_crd_unregister(f->ctx.resources, crd));
  assert_null(cp_crd_unregister(f->ctx.resources, other));
  /* Registering again serves it again. */
  assert_int_equal(cp_crd_register(f->ctx.resources, crd), 2);
  expect_code(call(f, CP_API_GET, WIDGETS, NULL, NULL), 200);
  /* Only gizmos is in the store: a load serves it and drops widgets. */
  expect_code(call(f, CP_API_POST, CRDS, J,
                   json_object_to_json_string(other)), 201);
  assert_int_equal(cp_crd_load_all(&f->ctx, NULL), 1);
  expect_code(call(f, CP_API_GET, WIDGETS, NULL, NULL), 404);
  expect_code(call(f, CP_API_GET, "/apis/example.org/v1/gizmos", NULL, NULL),
              200);
  json_object_put(crd);
  json_object_put(other);
}

extern const struct cp_strategy cp_strategy_customresourcedefinitions;

/* The DELETE handler's stored hook for the mark it wrote can run after
 * the definition was released and removed, its types unregistered (by a
 * cleanup pass kicked by the watch, on a loaded machine): it must not
 * serve them again, for no event would take them out (crd_two_servers
 * failed so under load). A written definition that is not terminating
 * is served at once, as before; a terminating one flags what is served. */
static void test_crd_late_mark(void **state) {
  struct api_fixture *f = *state;
  const struct cp_strategy *st = &cp_strategy_customresourcedefinitions;
  json_object *crd = json_tokener_parse(two_versions_crd);
  json_object *marked = json_tokener_parse(two_versions_crd);
  json_object *md = NULL;

  assert_non_null(crd);
  assert_non_null(marked);
  assert_non_null(st->stored);
  make_namespace(f, "default");
  assert_true(json_object_object_get_ex(marked, "metadata", &md));
  json_object_object_add(md, "deletionTimestamp",
                         json_object_new_string("2026-01-01T00:00:00Z"));
  json_object_object_add(md, "resourceVersion", json_object_new_string("7"));
  st->stored(&f->ctx, marked); /* late: nothing is served */
  expect_code(call(f, CP_API_GET, WIDGETS, NULL, NULL), 404);
  expect_code(call(f, CP_API_GET, "/apis/example.com/v2/namespaces/default/"
                                  "widgets", NULL, NULL), 404);
  st->stored(&f->ctx, crd); /* created: served at once */
  expect_code(call(f, CP_API_GET, WIDGETS, NULL, NULL), 200);
  expect_code(call(f, CP_API_POST, WIDGETS, J,
                   "{\"metadata\":{\"name\":\"w1\"}}"), 201);
  st->stored(&f->ctx, marked); /* marked in time: creates refused */
  expect_code(call(f, CP_API_GET, WIDGETS, NULL, NULL), 200);
  expect_code(call(f, CP_API_POST, WIDGETS, J,
                   "{\"metadata\":{\"name\":\"w2\"}}"), 405);
  json_object_put(crd);
  json_object_put(marked);
}

/* An update of a definition that stops serving a version (served: false,
 * or taken out of its list) stops serving it at once, as kube-apiserver
 * does; serving it again brings it back with its objects. */
static void test_crd_versions_change(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char buf[128];
#define V2_WIDGETS "/apis/example.com/v2/namespaces/default/widgets"
#define WIDGETS_CRD CRDS "/widgets.example.com"
#define MERGE "application/merge-patch+json"

  make_namespace(f, "default");
  expect_code(call(f, CP_API_POST, CRDS, J, two_versions_crd), 201);
  expect_code(call(f, CP_API_POST, V2_WIDGETS, J,
                   "{\"metadata\":{\"name\":\"w\"}}"), 201);
  /* Each version serves the object as its own (no conversion: kube's
   * "None" strategy), in a get, a list and a patch alike. */
  rs = call(f, CP_API_GET, WIDGETS, NULL, NULL);
  assert_string_equal(jq(rs.body, "items.0.apiVersion", buf, sizeof buf),
                      "example.com/v1");
  free(rs.body);
  rs = call(f, CP_API_PATCH, WIDGETS "/w", MERGE,
            "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}");
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "apiVersion", buf, sizeof buf),
                      "example.com/v1");
  free(rs.body);
  rs = call(f, CP_API_GET, V2_WIDGETS "/w", NULL, NULL);
  assert_string_equal(jq(rs.body, "apiVersion", buf, sizeof buf),
                      "example.com/v2");
  assert_string_equal(jq(rs.body, "metadata.labels.a", buf, sizeof buf), "b");
  free(rs.body);
  expect_code(call(f, CP_API_PATCH, WIDGETS_CRD, MERGE,
                   "{\"spec\":{\"versions\":[{\"name\":\"v1\",\"served\":"
                   "true,\"storage\":true},{\"name\":\"v2\",\"served\":"
                   "false}]}}"),
              200);
  expect_code(call(f, CP_API_GET, V2_WIDGETS, NULL, NULL), 404);
  assert_null(cp_discovery_resource_list(f->ctx.resources, "example.com",
                                         "v2"));
  /* The other version still serves the object. */
  rs = call(f, CP_API_GET, WIDGETS "/w", NULL, NULL);
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "apiVersion", buf, sizeof buf),
                      "example.com/v1");
  free(rs.body);
  expect_code(call(f, CP_API_PATCH, WIDGETS_CRD, MERGE,
                   "{\"spec\":{\"versions\":[{\"name\":\"v1\",\"served\":"
                   "true,\"storage\":true},{\"name\":\"v2\",\"served\":"
                   "true}]}}"),
              200);
  expect_code(call(f, CP_API_GET, V2_WIDGETS "/w", NULL, NULL), 200);
  /* An update that adds a subresource serves it at once, through a new
   * type: a reader holding the old one still sees the old shape. */
  {
    const struct cp_resource_type *old =
        cp_resources_find(f->ctx.resources, "example.com", "v1", "widgets"),
                                  *now;

    assert_non_null(old);
    expect_code(call(f, CP_API_GET, WIDGETS "/w/status", NULL, NULL), 404);
    expect_code(call(f, CP_API_PATCH, WIDGETS_CRD, MERGE,
                     "{\"spec\":{\"versions\":[{\"name\":\"v1\",\"served\":"
                     "true,\"storage\":true,\"subresources\":{\"status\":{}}},"
                     "{\"name\":\"v2\",\"served\":true}]}}"),
                200);
    expect_code(call(f, CP_API_GET, WIDGETS "/w/status", NULL, NULL), 200);
    now = cp_resources_find(f->ctx.resources, "example.com", "v1", "widgets");
    assert_ptr_not_equal(now, old);
    assert_true(now->subresources & CP_SUB_STATUS);
    assert_false(old->subresources & CP_SUB_STATUS);
    /* The same definition again changes nothing. */
    expect_code(call(f, CP_API_PATCH, WIDGETS_CRD, MERGE,
                     "{\"metadata\":{\"labels\":{\"x\":\"y\"}}}"),
                200);
    assert_ptr_equal(cp_resources_find(f->ctx.resources, "example.com", "v1",
                                       "widgets"),
                     now);
  }
  /* Taken out of the list: the same. */
  expect_code(call(f, CP_API_PATCH, WIDGETS_CRD, MERGE,
                   "{\"spec\":{\"versions\":[{\"name\":\"v1\",\"served\":"
                   "true,\"storage\":true}]}}"),
              200);
  expect_code(call(f, CP_API_GET, V2_WIDGETS, NULL, NULL), 404);
  expect_code(call(f, CP_API_GET, WIDGETS "/w", NULL, NULL), 200);
#undef MERGE
#undef WIDGETS_CRD
#undef V2_WIDGETS
}

/* Polls GET path until it answers code; 0 when it did within 30 s. */
static int wait_code(struct api_fixture *f, const char *path, int code) {
  int i;

  for (i = 0; i < 600; i++) {
    struct cp_api_response rs = call(f, CP_API_GET, path, NULL, NULL);

    free(rs.body);
    if (rs.code == code)
      return 0;
    usleep(50 * 1000);
  }
  return -1;
}

/* The sync applies definitions written to the store by anyone (here
 * straight to the store, as another API server would), and a watch that
 * cannot start (history compacted) ends in a full reload. */
static void test_crd_sync(void **state) {
  struct api_fixture *f = *state;
  static const char key[] = "customresourcedefinitions/widgets.example.com";
  json_object *stale = json_tokener_parse(
      "{\"metadata\":{\"name\":\"gizmos.example.org\"},\"spec\":{"
      "\"group\":\"example.org\",\"scope\":\"Cluster\",\"names\":{"
      "\"plural\":\"gizmos\",\"kind\":\"Gizmo\"},\"versions\":[{"
      "\"name\":\"v1\",\"served\":true,\"storage\":true}]}}");
  struct cp_crd_sync *sync;
  int64_t rev = 0;

  make_namespace(f, "default");
  /* Served here, but not in the store: gone after the reload. */
  assert_int_equal(cp_crd_register(f->ctx.resources, stale), 1);
  assert_int_equal(cp_store_create(f->store, key, strlen(key),
                                   two_versions_crd, strlen(two_versions_crd),
                                   &rev), 0);
  assert_int_equal(cp_store_compact(f->store, rev), 0);
  expect_code(call(f, CP_API_GET, WIDGETS, NULL, NULL), 404);
  sync = cp_crd_sync_start(&f->ctx, 1);
  assert_non_null(sync);
  assert_int_equal(wait_code(f, WIDGETS, 200), 0);
  assert_int_equal(wait_code(f, "/apis/example.org/v1/gizmos", 404), 0);
  /* Then the watch: a delete, and a definition written again. */
  assert_int_equal(cp_store_delete(f->store, key, strlen(key), 0, &rev, NULL),
                   0);
  assert_int_equal(wait_code(f, WIDGETS, 404), 0);
  assert_int_equal(cp_store_create(f->store, key, strlen(key),
                                   two_versions_crd, strlen(two_versions_crd),
                                   &rev), 0);
  assert_int_equal(wait_code(f, "/apis/example.com/v2/namespaces/default/"
                                "widgets", 200), 0);
  cp_crd_sync_stop(sync);
  json_object_put(stale);
}

/* Polls GET path until the string at jpath is non-empty; 0 when it was
 * within 30 s. */
static int wait_set(struct api_fixture *f, const char *path, const char *jpath) {
  char buf[128];
  int i;

  for (i = 0; i < 600; i++) {
    struct cp_api_response rs = call(f, CP_API_GET, path, NULL, NULL);
    int set = rs.code == 200 && jq(rs.body, jpath, buf, sizeof buf)[0] != '\0';

    free(rs.body);
    if (set)
      return 0;
    usleep(50 * 1000);
  }
  return -1;
}

/* 1 when key is in the store. */
static int stored(struct api_fixture *f, const char *key) {
  cp_store_kv kv;
  int rc;

  memset(&kv, 0, sizeof kv);
  rc = cp_store_get(f->store, key, strlen(key), 0, &kv, NULL);
  cp_store_kv_free(&kv);
  return rc == 0;
}

/* Expects the 405 kube answers a create of a custom resource while its
 * definition terminates. */
static void expect_terminating(struct cp_api_response rs) {
  char buf[256];

  if (rs.code != 405)
    fail_msg("HTTP %d, want 405: %.*s", rs.code, (int)rs.len,
             rs.body ? rs.body : "");
  assert_string_equal(jq(rs.body, "message", buf, sizeof buf),
                      "create not allowed while custom resource definition "
                      "is terminating");
  assert_string_equal(jq(rs.body, "reason", buf, sizeof buf),
                      "MethodNotAllowed");
  assert_string_equal(jq(rs.body, "details.group", buf, sizeof buf),
                      "example.com");
  assert_string_equal(jq(rs.body, "details.kind", buf, sizeof buf),
                      "widgets");
  free(rs.body);
}

/* Deleting a definition waits for its custom resources, as kube's
 * customresourcecleanup finalizer does: it stays (terminating) while a
 * resource's finalizer holds that resource, new resources are refused,
 * and it goes once the last one is gone. */
static void test_crd_cleanup(void **state) {
  struct api_fixture *f = *state;
  struct cp_crd_cleanup *cleanup = cp_crd_cleanup_start(&f->ctx);
  struct cp_api_response rs;
  char buf[256];

  assert_non_null(cleanup);
  make_namespace(f, "default");
  expect_code(call(f, CP_API_POST, CRDS, J, two_versions_crd), 201);
  expect_code(call(f, CP_API_POST, WIDGETS, J,
                   "{\"metadata\":{\"name\":\"w1\"}}"), 201);
  expect_code(call(f, CP_API_POST, WIDGETS, J,
                   "{\"metadata\":{\"name\":\"w2\",\"finalizers\":["
                   "\"example.com/hold\"]}}"), 201);
  expect_code(call(f, CP_API_DELETE, CRDS "/widgets.example.com", NULL, NULL),
              200);
  rs = call(f, CP_API_GET, CRDS "/widgets.example.com", NULL, NULL);
  assert_int_equal(rs.code, 200);
  assert_string_not_equal(jq(rs.body, "metadata.deletionTimestamp", buf,
                             sizeof buf), "");
  assert_string_equal(jq(rs.body, "status.conditions.2.type", buf,
                         sizeof buf), "Terminating");
  assert_string_equal(jq(rs.body, "status.conditions.2.reason", buf,
                         sizeof buf), "InstanceDeletionInProgress");
  free(rs.body);
  expect_terminating(call(f, CP_API_POST, "/apis/example.com/v2/namespaces/"
                                          "default/widgets", J,
                          "{\"metadata\":{\"name\":\"w3\"}}"));
  /* w1 goes; w2 is held, and the definition with it. */
  assert_int_equal(wait_code(f, WIDGETS "/w1", 404), 0);
  assert_int_equal(wait_set(f, WIDGETS "/w2", "metadata.deletionTimestamp"),
                   0);
  usleep(1500 * 1000); /* a pass or more */
  expect_code(call(f, CP_API_GET, CRDS "/widgets.example.com", NULL, NULL),
              200);
  expect_code(call(f, CP_API_GET, WIDGETS "/w2", NULL, NULL), 200);
  /* Its controller lets go: both go. */
  expect_code(call(f, CP_API_PATCH, WIDGETS "/w2",
                   "application/merge-patch+json",
                   "{\"metadata\":{\"finalizers\":null}}"), 200);
  assert_int_equal(wait_code(f, CRDS "/widgets.example.com", 404), 0);
  expect_code(call(f, CP_API_GET, WIDGETS "/w2", NULL, NULL), 404);
  assert_false(stored(f, "example.com/widgets/default/w2"));
  /* Defined again, its types are not terminating any more. */
  expect_code(call(f, CP_API_POST, CRDS, J, two_versions_crd), 201);
  expect_code(call(f, CP_API_POST, WIDGETS, J,
                   "{\"metadata\":{\"name\":\"w4\"}}"), 201);
  expect_code(call(f, CP_API_POST, "/apis/example.com/v2/namespaces/default/"
                                   "widgets", J,
                   "{\"metadata\":{\"name\":\"w5\"}}"), 201);
  cp_crd_cleanup_stop(cleanup);
}

/* Creates are refused from the registry's terminating flag, not from a
 * store read: set by the DELETE handler and by a load of a definition
 * already terminating, kept through a late (older) event of the
 * definition, cleared when the definition is created again. No cleanup
 * loop runs, so the definition stays terminating. */
static void test_crd_terminating_flag(void **state) {
  struct api_fixture *f = *state;
  static const char key[] = "customresourcedefinitions/widgets.example.com";
  const struct cp_resource_type *t;
  struct cp_api_response rs;
  json_object *before;
  int64_t rev = 0;

  make_namespace(f, "default");
  rs = call(f, CP_API_POST, CRDS, J, two_versions_crd);
  assert_int_equal(rs.code, 201);
  before = json_tokener_parse(rs.body); /* as stored, at its create */
  free(rs.body);
  assert_non_null(before);
  expect_code(call(f, CP_API_POST, WIDGETS, J,
                   "{\"metadata\":{\"name\":\"w1\",\"finalizers\":["
                   "\"example.com/hold\"]}}"), 201);
  t = cp_resources_find(f->ctx.resources, "example.com", "v1", "widgets");
  assert_non_null(t);
  assert_false(cp_resources_terminating(f->ctx.resources, t));
  expect_code(call(f, CP_API_DELETE, CRDS "/widgets.example.com", NULL, NULL),
              200);
  assert_true(cp_resources_terminating(f->ctx.resources, t));
  expect_terminating(call(f, CP_API_POST, WIDGETS, J,
                          "{\"metadata\":{\"name\":\"w2\"}}"));
  expect_terminating(call(f, CP_API_POST, "/apis/example.com/v2/namespaces/"
                                          "default/widgets", J,
                          "{\"metadata\":{\"name\":\"w2\"}}"));
  /* Reads go on. */
  expect_code(call(f, CP_API_GET, WIDGETS "/w1", NULL, NULL), 200);
  /* A server started now learns it from its load. */
  cp_resources_free(f->ctx.resources);
  f->ctx.resources = cp_resources_new();
  assert_int_equal(cp_crd_load_all(&f->ctx, NULL), 1);
  expect_terminating(call(f, CP_API_POST, WIDGETS, J,
                          "{\"metadata\":{\"name\":\"w2\"}}"));
  /* An event of the definition as it was before its deletion, late from
   * the watch, does not clear the flag. */
  assert_int_equal(cp_crd_register(f->ctx.resources, before), 0);
  expect_terminating(call(f, CP_API_POST, WIDGETS, J,
                          "{\"metadata\":{\"name\":\"w2\"}}"));
  /* The store is not asked: with the definition gone from it (and no
   * sync here to stop serving the type) the flag still refuses. */
  assert_int_equal(cp_store_delete(f->store, key, strlen(key), 0, &rev, NULL),
                   0);
  expect_terminating(call(f, CP_API_POST, WIDGETS, J,
                          "{\"metadata\":{\"name\":\"w2\"}}"));
  /* Its deletion seen (as the sync would), then created again: served
   * and admitting. */
  assert_non_null(cp_crd_unregister(f->ctx.resources, before));
  expect_code(call(f, CP_API_GET, WIDGETS, NULL, NULL), 404);
  expect_code(call(f, CP_API_POST, CRDS, J, two_versions_crd), 201);
  expect_code(call(f, CP_API_POST, WIDGETS, J,
                   "{\"metadata\":{\"name\":\"w2\"}}"), 201);
  expect_code(call(f, CP_API_POST, "/apis/example.com/v2/namespaces/default/"
                                   "widgets", J,
                   "{\"metadata\":{\"name\":\"w3\"}}"), 201);
  json_object_put(before);
}

/* A definition stored before the cleanup finalizer existed goes at once,
 * its custom resources with it, their finalizers notwithstanding. */
static void test_crd_without_finalizer(void **state) {
  struct api_fixture *f = *state;
  static const char key[] = "customresourcedefinitions/widgets.example.com";
  int64_t rev = 0;

  make_namespace(f, "default");
  assert_int_equal(cp_store_create(f->store, key, strlen(key),
                                   two_versions_crd, strlen(two_versions_crd),
                                   &rev), 0);
  assert_int_equal(cp_crd_load_all(&f->ctx, NULL), 1);
  expect_code(call(f, CP_API_POST, WIDGETS, J,
                   "{\"metadata\":{\"name\":\"w1\",\"finalizers\":["
                   "\"example.com/hold\"]}}"), 201);
  expect_code(call(f, CP_API_DELETE, CRDS "/widgets.example.com", NULL, NULL),
              200);
  expect_code(call(f, CP_API_GET, CRDS "/widgets.example.com", NULL, NULL),
              404);
  expect_code(call(f, CP_API_GET, WIDGETS, NULL, NULL), 404);
  assert_false(stored(f, "example.com/widgets/default/w1"));
}

/* Every answer of a scale subresource is an autoscaling/v1 Scale (a dry
 * run too), its status.selector kube's selector string: requirements
 * sorted by key, set values sorted; an RC's plain map as key=value. */
static void test_scale_answers(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char buf[256];

  make_namespace(f, "default");
#define RS "/apis/apps/v1/namespaces/default/replicasets"
  rs = call(f, CP_API_POST, RS, J,
            "{\"metadata\":{\"name\":\"r\"},\"spec\":{\"replicas\":2,"
            "\"selector\":{\"matchLabels\":{\"tier\":\"fe\",\"app\":\"web\"},"
            "\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"In\","
            "\"values\":[\"prod\",\"dev\"]},{\"key\":\"canary\",\"operator\":"
            "\"DoesNotExist\"}]},\"template\":{\"metadata\":{\"labels\":{"
            "\"tier\":\"fe\",\"app\":\"web\",\"env\":\"prod\"}},\"spec\":{"
            "\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}}}");
  assert_int_equal(rs.code, 201);
  free(rs.body);
  rs = call(f, CP_API_GET, RS "/r/scale", NULL, NULL);
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "status.selector", buf, sizeof buf),
                      "app=web,!canary,env in (dev,prod),tier=fe");
  free(rs.body);
  rs = call(f, CP_API_PUT, RS "/r/scale?dryRun=All", J,
            "{\"metadata\":{\"name\":\"r\"},\"spec\":{\"replicas\":5}}");
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "kind", buf, sizeof buf), "Scale");
  assert_string_equal(jq(rs.body, "spec.replicas", buf, sizeof buf), "5");
  free(rs.body);
  rs = call(f, CP_API_PATCH, RS "/r/scale?dryRun=All",
            "application/merge-patch+json", "{\"spec\":{\"replicas\":6}}");
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "apiVersion", buf, sizeof buf),
                      "autoscaling/v1");
  assert_string_equal(jq(rs.body, "spec.replicas", buf, sizeof buf), "6");
  free(rs.body);
  rs = call(f, CP_API_GET, RS "/r", NULL, NULL);
  assert_string_equal(jq(rs.body, "spec.replicas", buf, sizeof buf), "2");
  free(rs.body);
#undef RS
  rs = call(f, CP_API_POST, "/api/v1/namespaces/default/replicationcontrollers",
            J, "{\"metadata\":{\"name\":\"rc\"},\"spec\":{\"replicas\":1,"
               "\"selector\":{\"b\":\"2\",\"app\":\"web\"},\"template\":{"
               "\"metadata\":{\"labels\":{\"b\":\"2\",\"app\":\"web\"}},"
               "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}}}");
  assert_int_equal(rs.code, 201);
  free(rs.body);
  rs = call(f, CP_API_GET,
            "/api/v1/namespaces/default/replicationcontrollers/rc/scale", NULL,
            NULL);
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "status.selector", buf, sizeof buf),
                      "app=web,b=2");
  free(rs.body);
}

/* A new pod carries kube's defaults: status Pending with its QoS class
 * (whatever status was sent), requests from limits, the not-ready and
 * unreachable tolerations, enableServiceLinks, securityContext {}. */
static void test_pod_create_defaults(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char buf[256];

  make_namespace(f, "default");
  rs = call(f, CP_API_POST, "/api/v1/namespaces/default/pods", J,
            "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{"
            "\"name\":\"c\",\"image\":\"nginx:1.27\",\"resources\":{"
            "\"limits\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}}]},"
            "\"status\":{\"phase\":\"Running\"}}");
  assert_int_equal(rs.code, 201);
  assert_string_equal(jq(rs.body, "status.phase", buf, sizeof buf), "Pending");
  assert_string_equal(jq(rs.body, "status.qosClass", buf, sizeof buf),
                      "Guaranteed");
  assert_string_equal(jq(rs.body, "spec.containers.0.resources.requests.cpu",
                         buf, sizeof buf),
                      "1");
  assert_string_equal(jq(rs.body, "spec.tolerations.1.key", buf, sizeof buf),
                      "node.kubernetes.io/unreachable");
  assert_string_equal(jq(rs.body, "spec.enableServiceLinks", buf, sizeof buf),
                      "true");
  assert_string_equal(jq(rs.body, "spec.securityContext", buf, sizeof buf),
                      "{ }");
  free(rs.body);
}

/* A custom resource's Scale is read and written at its definition's
 * paths (kube's scaleFromCustomResource / scaleUpdatedObjectInfo): the
 * selector is the string at labelSelectorPath; a write creates the
 * objects on the way to specReplicasPath; no value there is kube's 500
 * on GET and 400 on a patch leaving it empty. */
static void test_crd_scale_paths(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char buf[256];
#define GADGET_CRS "/apis/example.com/v1/namespaces/default/gadgets"

  make_namespace(f, "default");
  expect_code(
      call(f, CP_API_POST, CRDS, J,
           "{\"metadata\":{\"name\":\"gadgets.example.com\"},\"spec\":{"
           "\"group\":\"example.com\",\"scope\":\"Namespaced\",\"names\":{"
           "\"plural\":\"gadgets\",\"kind\":\"Gadget\"},\"versions\":[{"
           "\"name\":\"v1\",\"served\":true,\"storage\":true,"
           "\"subresources\":{\"scale\":{\"specReplicasPath\":"
           "\".spec.size.count\",\"statusReplicasPath\":"
           "\".status.readyReplicas\",\"labelSelectorPath\":"
           "\".status.selector\"}}}]}}"),
      201);
  expect_code(call(f, CP_API_POST, GADGET_CRS, J,
                   "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Gadget\","
                   "\"metadata\":{\"name\":\"g\"},\"spec\":{\"size\":{"
                   "\"count\":3}},\"status\":{\"readyReplicas\":2,"
                   "\"replicas\":9,\"selector\":\"app=g\"}}"),
              201);
  rs = call(f, CP_API_GET, GADGET_CRS "/g/scale", NULL, NULL);
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "spec.replicas", buf, sizeof buf), "3");
  assert_string_equal(jq(rs.body, "status.replicas", buf, sizeof buf), "2");
  assert_string_equal(jq(rs.body, "status.selector", buf, sizeof buf),
                      "app=g");
  free(rs.body);
  rs = call(f, CP_API_PATCH, GADGET_CRS "/g/scale",
            "application/merge-patch+json", "{\"spec\":{\"replicas\":5}}");
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "spec.replicas", buf, sizeof buf), "5");
  free(rs.body);
  rs = call(f, CP_API_GET, GADGET_CRS "/g", NULL, NULL);
  assert_string_equal(jq(rs.body, "spec.size.count", buf, sizeof buf), "5");
  assert_string_equal(jq(rs.body, "spec.replicas", buf, sizeof buf), "");
  assert_string_equal(jq(rs.body, "metadata.generation", buf, sizeof buf),
                      "2");
  free(rs.body);
  /* No value at the path: GET is kube's 500, an empty patch its 400, a
   * PUT creates the objects on the way. */
  expect_code(call(f, CP_API_POST, GADGET_CRS, J,
                   "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Gadget\","
                   "\"metadata\":{\"name\":\"empty\"}}"),
              201);
  rs = call(f, CP_API_GET, GADGET_CRS "/empty/scale", NULL, NULL);
  assert_int_equal(rs.code, 500);
  assert_string_equal(jq(rs.body, "message", buf, sizeof buf),
                      "Internal error occurred: the spec replicas field "
                      "\".spec.size.count\" does not exist");
  assert_string_equal(jq(rs.body, "reason", buf, sizeof buf),
                      "InternalError");
  free(rs.body);
  rs = call(f, CP_API_PATCH, GADGET_CRS "/empty/scale",
            "application/merge-patch+json", "{\"metadata\":{}}");
  assert_int_equal(rs.code, 400);
  assert_string_equal(jq(rs.body, "message", buf, sizeof buf),
                      "the spec replicas field \".spec.size.count\" cannot "
                      "be empty");
  free(rs.body);
  rs = call(f, CP_API_PUT, GADGET_CRS "/empty/scale", J,
            "{\"metadata\":{\"name\":\"empty\"},\"spec\":{\"replicas\":4}}");
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "spec.replicas", buf, sizeof buf), "4");
  assert_string_equal(jq(rs.body, "status.replicas", buf, sizeof buf), "0");
  assert_string_equal(jq(rs.body, "status.selector", buf, sizeof buf), "");
  free(rs.body);
  rs = call(f, CP_API_GET, GADGET_CRS "/empty", NULL, NULL);
  assert_string_equal(jq(rs.body, "spec.size.count", buf, sizeof buf), "4");
  free(rs.body);
  /* A value of the wrong type is kube's accessor error. */
  expect_code(call(f, CP_API_POST, GADGET_CRS, J,
                   "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Gadget\","
                   "\"metadata\":{\"name\":\"odd\"},\"spec\":{\"size\":{"
                   "\"count\":\"three\"}}}"),
              201);
  rs = call(f, CP_API_GET, GADGET_CRS "/odd/scale", NULL, NULL);
  assert_int_equal(rs.code, 500);
  /* Not an API status in kube: reason Unknown, the bare text. */
  assert_string_equal(jq(rs.body, "reason", buf, sizeof buf), "Unknown");
  assert_string_equal(jq(rs.body, "message", buf, sizeof buf),
                      ".spec.size.count accessor error: three is of the "
                      "type string, expected int64");
  free(rs.body);
  /* A write stops where a non-object is on the way (kube reads the
   * current Scale first): nothing is stored. */
  expect_code(call(f, CP_API_POST, GADGET_CRS, J,
                   "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Gadget\","
                   "\"metadata\":{\"name\":\"flat\"},\"spec\":{\"size\":"
                   "\"big\"}}"),
              201);
  rs = call(f, CP_API_PUT, GADGET_CRS "/flat/scale", J,
            "{\"metadata\":{\"name\":\"flat\"},\"spec\":{\"replicas\":1}}");
  assert_int_equal(rs.code, 500);
  assert_string_equal(jq(rs.body, "message", buf, sizeof buf),
                      ".spec.size.count accessor error: big is of the type "
                      "string, expected map[string]interface{}");
  free(rs.body);
  rs = call(f, CP_API_GET, GADGET_CRS "/flat", NULL, NULL);
  assert_string_equal(jq(rs.body, "spec.size", buf, sizeof buf), "big");
  free(rs.body);
#undef GADGET_CRS
}

/* A scale write creates no object deeper than the server reads back:
 * a path of more than 32 fields is refused, nothing stored. */
static void test_crd_scale_path_depth(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char buf[256], crd[1024], path[128] = ".spec";
  int i;

  for (i = 0; i < 32; i++)
    strcat(path, ".a");
  snprintf(crd, sizeof crd,
           "{\"metadata\":{\"name\":\"gadgets.example.com\"},\"spec\":{"
           "\"group\":\"example.com\",\"scope\":\"Cluster\",\"names\":{"
           "\"plural\":\"gadgets\",\"kind\":\"Gadget\"},\"versions\":[{"
           "\"name\":\"v1\",\"served\":true,\"storage\":true,"
           "\"subresources\":{\"scale\":{\"specReplicasPath\":\"%s\","
           "\"statusReplicasPath\":\".status.replicas\"}}}]}}",
           path);
  expect_code(call(f, CP_API_POST, CRDS, J, crd), 201);
  expect_code(call(f, CP_API_POST, "/apis/example.com/v1/gadgets", J,
                   "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Gadget\","
                   "\"metadata\":{\"name\":\"g\"}}"),
              201);
  rs = call(f, CP_API_PUT, "/apis/example.com/v1/gadgets/g/scale", J,
            "{\"metadata\":{\"name\":\"g\"},\"spec\":{\"replicas\":1}}");
  assert_int_equal(rs.code, 500);
  assert_non_null(strstr(jq(rs.body, "message", buf, sizeof buf),
                         "is deeper than 32 fields"));
  free(rs.body);
  rs = call(f, CP_API_GET, "/apis/example.com/v1/gadgets/g", NULL, NULL);
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "spec", buf, sizeof buf), "");
  free(rs.body);
}

/* A definition's scale paths are checked as kube's
 * ValidateCustomResourceDefinitionSubresources does. */
static void test_crd_scale_paths_refused(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char buf[256], body[1024];
  static const struct {
    const char *scale, *field, *message;
  } cases[] = {
      {"{\"statusReplicasPath\":\".status.replicas\"}",
       "spec.versions[0].subresources.scale.specReplicasPath",
       "spec.versions[0].subresources.scale.specReplicasPath: Required "
       "value"},
      {"{\"specReplicasPath\":\".status.replicas\",\"statusReplicasPath\":"
       "\".status.replicas\"}",
       "spec.versions[0].subresources.scale.specReplicasPath",
       "spec.versions[0].subresources.scale.specReplicasPath: Invalid value: "
       "\".status.replicas\": should be a json path under .spec"},
      {"{\"specReplicasPath\":\".spec.replicas\"}",
       "spec.versions[0].subresources.scale.statusReplicasPath",
       "spec.versions[0].subresources.scale.statusReplicasPath: Required "
       "value"},
      {"{\"specReplicasPath\":\".spec.replicas\",\"statusReplicasPath\":"
       "\"status.replicas\"}",
       "spec.versions[0].subresources.scale.statusReplicasPath",
       "spec.versions[0].subresources.scale.statusReplicasPath: Invalid "
       "value: \"status.replicas\": must be a simple json path starting "
       "with ."},
      {"{\"specReplicasPath\":\".spec.replicas\",\"statusReplicasPath\":"
       "\".status.replicas\",\"labelSelectorPath\":\".metadata.name\"}",
       "spec.versions[0].subresources.scale.labelSelectorPath",
       "spec.versions[0].subresources.scale.labelSelectorPath: Invalid "
       "value: \".metadata.name\": should be a json path under either "
       ".spec or .status"},
  };
  size_t i;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    snprintf(body, sizeof body,
             "{\"metadata\":{\"name\":\"gadgets.example.com\"},\"spec\":{"
             "\"group\":\"example.com\",\"scope\":\"Namespaced\",\"names\":{"
             "\"plural\":\"gadgets\",\"kind\":\"Gadget\"},\"versions\":[{"
             "\"name\":\"v1\",\"served\":true,\"storage\":true,"
             "\"subresources\":{\"scale\":%s}}]}}",
             cases[i].scale);
    rs = call(f, CP_API_POST, CRDS, J, body);
    assert_int_equal(rs.code, 422);
    assert_string_equal(jq(rs.body, "details.causes.0.field", buf,
                           sizeof buf),
                        cases[i].field);
    assert_non_null(
        strstr(jq(rs.body, "message", buf, sizeof buf), cases[i].message));
    free(rs.body);
  }
  expect_code(call(f, CP_API_GET, CRDS "/gadgets.example.com", NULL, NULL),
              404);
}

/* A custom kind's storageVersionHash is its storage version's, the same
 * in every version it is served in. */
static void test_crd_storage_version_hash(void **state) {
  struct api_fixture *f = *state;
  char *s;

  /* "example.com/v1/Widget": v1 has storage: true. */
  expect_code(call(f, CP_API_POST, CRDS, J, two_versions_crd), 201);
  s = cp_discovery_resource_list(f->ctx.resources, "example.com", "v2");
  assert_non_null(s);
  assert_non_null(strstr(s, "\"storageVersionHash\":\"gIwvi5rymmg=\""));
  free(s);
  s = cp_discovery_resource_list(f->ctx.resources, "example.com", "v1");
  assert_non_null(strstr(s, "\"storageVersionHash\":\"gIwvi5rymmg=\""));
  free(s);
}

/* Each resource's storageVersionHash is kube's, computed from the
 * version it is stored in; subresources have none. */
static void test_discovery_storage_version_hash(void **state) {
  struct api_fixture *f = *state;
  char *s;

  s = cp_discovery_resource_list(f->ctx.resources, "", "v1");
  assert_non_null(strstr(s, "\"storageVersionHash\":\"xPOwRZ+Yhw8=\""));
  assert_null(strstr(s, "\"name\":\"pods/status\",\"singularName\":\"\","
                        "\"namespaced\":true,\"kind\":\"Pod\",\"verbs\":["
                        "\"get\",\"patch\",\"update\"],\"storageVersionHash"));
  free(s);
  s = cp_discovery_resource_list(f->ctx.resources, "apps", "v1");
  assert_non_null(strstr(s, "\"storageVersionHash\":\"8aSe+NMegvE=\""));
  free(s);
  /* Stored as core/v1 Event, as kube's events.k8s.io events are. */
  s = cp_discovery_resource_list(f->ctx.resources, "events.k8s.io", "v1");
  assert_non_null(strstr(s, "\"storageVersionHash\":\"r2yiGXH7wu8=\""));
  free(s);
  /* Never stored: no hash, as kube's reviews. */
  s = cp_discovery_resource_list(f->ctx.resources, "authentication.k8s.io",
                                 "v1");
  assert_null(strstr(s, "storageVersionHash"));
  free(s);
  /* Both HPA versions are stored as autoscaling/v2. */
  s = cp_discovery_resource_list(f->ctx.resources, "autoscaling", "v1");
  assert_non_null(strstr(s, "\"storageVersionHash\":\"qwQve8ut294=\""));
  free(s);
}

static void test_discovery(void **state) {
  struct api_fixture *f = *state;
  char *s, buf[256];

  s = cp_discovery_resource_list(f->ctx.resources, "apps", "v1");
  assert_non_null(s);
  assert_string_equal(jq(s, "groupVersion", buf, sizeof buf), "apps/v1");
  assert_non_null(strstr(s, "\"name\":\"deployments/scale\",\"singularName\":"
                            "\"\",\"namespaced\":true,\"kind\":\"Scale\""));
  free(s);
  s = cp_discovery_resource_list(f->ctx.resources, "", "v1");
  assert_non_null(strstr(s, "\"name\":\"namespaces/finalize\",\"singularName\":"
                            "\"\",\"namespaced\":false,\"kind\":"
                            "\"Namespace\",\"verbs\":[\"update\"]"));
  free(s);
  assert_null(cp_discovery_resource_list(f->ctx.resources, "nope", "v1"));
  s = cp_discovery_aggregated(f->ctx.resources, 1);
  assert_string_equal(jq(s, "items.0.metadata.name", buf, sizeof buf), "");
  assert_non_null(strstr(s, "\"resource\":\"pods\""));
  assert_null(strstr(s, "\"deployments\""));
  free(s);
  s = cp_discovery_aggregated(f->ctx.resources, 0);
  assert_non_null(strstr(s, "\"resource\":\"deployments\""));
  free(s);
  s = cp_discovery_group_list(f->ctx.resources);
  assert_string_equal(jq(s, "groups.0.name", buf, sizeof buf), "apps");
  free(s);
  /* Token and self reviews are served: their group is discovered, in
   * both forms, with the one verb create. */
  s = cp_discovery_group_list(f->ctx.resources);
  assert_non_null(strstr(s, "\"name\":\"authentication.k8s.io\""));
  free(s);
  s = cp_discovery_resource_list(f->ctx.resources, "authentication.k8s.io",
                                 "v1");
  assert_non_null(s);
  assert_non_null(strstr(s, "{\"name\":\"selfsubjectreviews\",\"singularName\":"
                            "\"selfsubjectreview\",\"namespaced\":false,"
                            "\"kind\":\"SelfSubjectReview\",\"verbs\":["
                            "\"create\"]}"));
  assert_non_null(strstr(s, "\"name\":\"tokenreviews\""));
  free(s);
  s = cp_discovery_aggregated(f->ctx.resources, 0);
  assert_non_null(strstr(s, "\"resource\":\"tokenreviews\""));
  assert_non_null(strstr(s, "\"resource\":\"selfsubjectreviews\""));
  free(s);
  s = cp_openapi_group_version(f->ctx.resources, "", "v1");
  assert_non_null(strstr(s, "/api/v1/namespaces/{namespace}/configmaps/"
                            "{name}"));
  free(s);
  assert_true(cp_discovery_wants_v2(
      "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
      "application/json"));
  assert_false(cp_discovery_wants_v2("application/json, */*"));
}

/* A group with several versions is one group, its versions in kube's
 * priority order (GA, beta, alpha; highest first), the first preferred,
 * in every discovery document; each version lists only its own types. */
static void test_discovery_versions(void **state) {
  struct api_fixture *f = *state;
  json_object *crd = json_tokener_parse(
      "{\"metadata\":{\"name\":\"widgets.example.com\"},\"spec\":{"
      "\"group\":\"example.com\",\"scope\":\"Namespaced\",\"names\":{"
      "\"plural\":\"widgets\",\"kind\":\"Widget\"},\"versions\":["
      "{\"name\":\"v1beta1\",\"served\":true},"
      "{\"name\":\"v1\",\"served\":true,\"storage\":true},"
      "{\"name\":\"v2alpha1\",\"served\":true},"
      "{\"name\":\"v2\",\"served\":true}]}}");
  char *s, buf[256];
  size_t i;
  static const char *const order[] = {"v2", "v1", "v1beta1", "v2alpha1"};

  assert_non_null(crd);
  assert_int_equal(cp_crd_register(f->ctx.resources, crd), 4);
  s = cp_discovery_group_list(f->ctx.resources);
  assert_null(strstr(strstr(s, "\"name\":\"example.com\"") + 1,
                     "\"name\":\"example.com\"")); /* once */
  free(s);
  s = cp_discovery_group(f->ctx.resources, "example.com");
  assert_non_null(s);
  assert_string_equal(jq(s, "kind", buf, sizeof buf), "APIGroup");
  assert_string_equal(jq(s, "preferredVersion.groupVersion", buf, sizeof buf),
                      "example.com/v2");
  for (i = 0; i < 4; i++) {
    char path[32];

    snprintf(path, sizeof path, "versions.%zu.version", i);
    assert_string_equal(jq(s, path, buf, sizeof buf), order[i]);
  }
  free(s);
  assert_null(cp_discovery_group(f->ctx.resources, "nope.example.com"));
  s = cp_discovery_aggregated(f->ctx.resources, 0);
  {
    json_object *o = json_tokener_parse(s), *items, *it = NULL, *vs;

    assert_non_null(o);
    assert_true(json_object_object_get_ex(o, "items", &items));
    for (i = 0; i < json_object_array_length(items); i++) {
      json_object *x = json_object_array_get_idx(items, i), *md, *nm;

      if (json_object_object_get_ex(x, "metadata", &md) &&
          json_object_object_get_ex(md, "name", &nm) &&
          strcmp(json_object_get_string(nm), "example.com") == 0) {
        assert_null(it); /* one item for the group */
        it = x;
      }
    }
    assert_non_null(it);
    assert_true(json_object_object_get_ex(it, "versions", &vs));
    assert_int_equal(json_object_array_length(vs), 4);
    for (i = 0; i < 4; i++) {
      json_object *v = json_object_array_get_idx(vs, i), *name, *res;

      assert_true(json_object_object_get_ex(v, "version", &name));
      assert_string_equal(json_object_get_string(name), order[i]);
      assert_true(json_object_object_get_ex(v, "resources", &res));
      assert_int_equal(json_object_array_length(res), 1);
    }
    json_object_put(o);
  }
  free(s);
  s = cp_openapi_root(f->ctx.resources);
  assert_non_null(strstr(s, "\"apis/example.com/v2alpha1\""));
  assert_non_null(strstr(s, "\"apis/example.com/v1\""));
  free(s);
  json_object_put(crd);
}

/* ---- the HTTP server, with real sockets ---- */

/* Sends one HTTP/1.0 request; returns the whole response (malloc'd). */
static char *http(int port, const char *req) {
  struct sockaddr_in a = {0};
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  size_t len = 0, cap = 4096;
  char *out = malloc(cap);
  ssize_t n;

  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || out == NULL ||
      connect(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
    if (fd >= 0)
      close(fd);
    free(out);
    return NULL;
  }
  while ((n = read(fd, out + len, cap - len - 1)) > 0) {
    len += (size_t)n;
    if (cap - len < 1024)
      out = realloc(out, cap *= 2);
  }
  out[len] = '\0';
  close(fd);
  return out;
}

struct client {
  int port, id, ok;
};

static void *client_main(void *arg) {
  struct client *c = arg;
  char req[512], body[128];
  int i;

  for (i = 0; i < 20; i++) {
    char *r;

    snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"c%d-%d\"}}",
             c->id, i);
    snprintf(req, sizeof req,
             "POST " NS_CM " HTTP/1.0\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
    r = http(c->port, req);
    if (r != NULL && strncmp(r + 8, " 201 ", 5) == 0)
      __atomic_add_fetch(&c->ok, 1, __ATOMIC_RELEASE);
    free(r);
  }
  return NULL;
}

/* Waits (30 s at most) until one of the n clients has created one. */
static void wait_one_created(struct client *cl, int n) {
  int i, t;

  for (t = 0; t < 3000; t++) {
    for (i = 0; i < n; i++)
      if (__atomic_load_n(&cl[i].ok, __ATOMIC_ACQUIRE) > 0)
        return;
    usleep(10000);
  }
  fail_msg("no client created a ConfigMap in 30 s");
}

static void test_http_server(void **state) {
  struct api_fixture *f = *state;
  struct cp_apiserver_config cfg = {0};
  struct cp_apiserver *srv;
  struct client cl[4];
  pthread_t th[4];
  char *err = NULL, *r, kc[128];
  int i, port;

  snprintf(kc, sizeof kc, "%s/kubeconfig", f->dir);
  cfg.store = f->store;
  cfg.workers = 4;
  cfg.kubeconfig_path = kc;
  cfg.disable_admission_plugins = "ServiceAccount"; /* no SA controller */
  if (cp_apiserver_start(&cfg, &srv, &err) != 0)
    fail_msg("%s", err);
  port = cp_apiserver_port(srv);
  assert_true(port > 0);
  assert_int_equal(access(kc, R_OK), 0);
  r = http(port, "GET /version HTTP/1.0\r\n\r\n");
  assert_non_null(strstr(r, "\"minor\":\"32\""));
  free(r);
  r = http(port, "GET /api HTTP/1.0\r\nAccept: application/json;g="
                 "apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList\r\n\r\n");
  assert_non_null(strstr(r, "Content-Type: application/json;g=apidiscovery."
                            "k8s.io;v=v2;as=APIGroupDiscoveryList"));
  free(r);
  r = http(port, "GET /readyz?verbose HTTP/1.0\r\n\r\n");
  assert_non_null(strstr(r, "[+]ping ok"));
  free(r);
  for (i = 0; i < 4; i++) {
    cl[i].port = port;
    cl[i].id = i;
    cl[i].ok = 0;
    pthread_create(&th[i], NULL, client_main, &cl[i]);
  }
  /* A watch from the current state: ends at its timeout with the events
   * of the writes made meanwhile, and at least one ADDED, of the initial
   * state, once a create is done (on a loaded machine the clients may
   * make none within the watch's second). */
  wait_one_created(cl, 4);
  r = http(port, "GET " NS_CM "?watch=1&timeoutSeconds=1 HTTP/1.0\r\n\r\n");
  for (i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    assert_int_equal(cl[i].ok, 20);
  }
  assert_non_null(r);
  assert_non_null(strstr(r, " 200 OK"));
  assert_non_null(strstr(r, "{\"type\":\"ADDED\",\"object\":{"));
  free(r);
  r = http(port, "GET " NS_CM "?limit=1000 HTTP/1.0\r\n\r\n");
  assert_non_null(strstr(r, "\"c3-19\""));
  free(r);
  /* A client that takes bookmarks gets one as the timeout ends the
   * stream, at the revision it has everything up to; one that does not
   * take them gets none. */
  {
    int64_t rev = 0;
    const char *b, *v;

    /* The server's own writes (kube-system's
     * extension-apiserver-authentication ConfigMap) may move the
     * revision on while the stream runs: the bookmark is at least here. */
    assert_int_equal(cp_store_current_revision(f->store, &rev), 0);
    r = http(port, "GET " NS_CM "?watch=1&allowWatchBookmarks=true&"
                   "timeoutSeconds=1 HTTP/1.0\r\n\r\n");
    assert_non_null(b = strstr(r, "{\"type\":\"BOOKMARK\""));
    assert_non_null(v = strstr(b, "\"resourceVersion\":\""));
    assert_true(strtoll(v + strlen("\"resourceVersion\":\""), NULL, 10) >=
                rev);
    free(r);
    r = http(port, "GET " NS_CM "?watch=1&timeoutSeconds=1 HTTP/1.0\r\n\r\n");
    assert_null(strstr(r, "BOOKMARK"));
    free(r);
  }
  r = http(port, "GET /metrics HTTP/1.0\r\n\r\n");
  assert_non_null(strstr(r, "apiserver_request_total{code=\"201\","
                            "resource=\"configmaps\",verb=\"create\"} 80\n"));
  assert_non_null(strstr(r, "# TYPE apiserver_request_duration_seconds "
                            "histogram"));
  free(r);
  /* An old revision after compaction: a 410 ERROR event. */
  {
    int64_t rev = 0;

    assert_int_equal(cp_store_current_revision(f->store, &rev), 0);
    assert_int_equal(cp_store_compact(f->store, rev), 0);
  }
  r = http(port, "GET " NS_CM "?watch=true&resourceVersion=2 HTTP/1.0\r\n\r\n");
  assert_non_null(strstr(r, "{\"type\":\"ERROR\",\"object\":{\"kind\":"
                            "\"Status\""));
  assert_non_null(strstr(r, "\"code\":410"));
  free(r);
  r = http(port, "GET " NS_CM "?watch=true&sendInitialEvents=true HTTP/1.0"
                 "\r\n\r\n");
  assert_non_null(strstr(r, " 422 Invalid"));
  free(r);
  cp_apiserver_stop(srv);
}

/* GET path from the server on port until the status line says code;
 * 0 when it did within 30 s (a loaded machine under TSan needs more than
 * 10 s at times). */
static int http_wait(int port, const char *path, int code) {
  char req[512], want[16];
  int i;

  snprintf(req, sizeof req, "GET %s HTTP/1.0\r\n\r\n", path);
  snprintf(want, sizeof want, " %d ", code);
  for (i = 0; i < 600; i++) {
    char *r = http(port, req);
    int ok = r != NULL && strlen(r) > 13 && strncmp(r + 8, want, 5) == 0;

    free(r);
    if (ok)
      return 0;
    usleep(50 * 1000);
  }
  return -1;
}

/* Sends a request with a body of content type ctype; returns the HTTP
 * status. */
static int http_send_as(int port, const char *method, const char *path,
                        const char *ctype, const char *body) {
  char req[2048];
  char *r;
  int code = -1;

  snprintf(req, sizeof req,
           "%s %s HTTP/1.0\r\nContent-Type: %s\r\n"
           "Content-Length: %zu\r\n\r\n%s", method, path, ctype,
           body ? strlen(body) : 0, body ? body : "");
  r = http(port, req);
  if (r != NULL && strlen(r) > 12)
    code = atoi(r + 9);
  free(r);
  return code;
}

/* Sends a request with a JSON body; returns the HTTP status. */
static int http_send(int port, const char *method, const char *path,
                     const char *body) {
  return http_send_as(port, method, path, J, body);
}

/* Starts two API servers on f's store (owned: cp_apiserver_stop);
 * *p1 and *p2 receive their ports. */
static void start_two(struct api_fixture *f, struct cp_apiserver **s1, int *p1,
                      struct cp_apiserver **s2, int *p2) {
  struct cp_apiserver_config cfg = {0};
  char *err = NULL;

  cfg.store = f->store;
  cfg.workers = 2;
  cfg.disable_admission_plugins = "ServiceAccount"; /* no SA controller */
  if (cp_apiserver_start(&cfg, s1, &err) != 0)
    fail_msg("%s", err);
  if (cp_apiserver_start(&cfg, s2, &err) != 0)
    fail_msg("%s", err);
  *p1 = cp_apiserver_port(*s1);
  *p2 = cp_apiserver_port(*s2);
}

/* Two API servers on one store: a CRD created through the first is
 * served by the second within moments, and its deletion through the
 * first ends it there too. */
static void test_crd_two_servers(void **state) {
  struct api_fixture *f = *state;
  struct cp_apiserver *s1, *s2;
  int p1, p2;

  start_two(f, &s1, &p1, &s2, &p2);
  assert_int_equal(http_send(p2, "GET", WIDGETS, NULL), 404);
  assert_int_equal(http_send(p1, "POST", CRDS, two_versions_crd), 201);
  assert_int_equal(http_wait(p2, WIDGETS, 200), 0);
  assert_int_equal(http_send(p2, "POST", WIDGETS,
                             "{\"apiVersion\":\"example.com/v1\",\"kind\":"
                             "\"Widget\",\"metadata\":{\"name\":\"w1\"}}"),
                   201);
  assert_int_equal(http_send(p1, "GET", WIDGETS "/w1", NULL), 200);
  assert_int_equal(http_send(p1, "DELETE", CRDS "/widgets.example.com", NULL),
                   200);
  /* Once its cleanup (either server's) has deleted w1. */
  assert_int_equal(http_wait(p1, WIDGETS, 404), 0);
  /* A list answers 200 (empty) for as long as the type is served. */
  assert_int_equal(http_wait(p2, WIDGETS, 404), 0);
  assert_int_equal(http_wait(p2, "/apis/example.com/v2/namespaces/default/"
                                 "widgets", 404), 0);
  cp_apiserver_stop(s2);
  cp_apiserver_stop(s1);
}

/* POSTs custom resources through port (a new name each time) until one
 * is refused with 405; 0 when that happened within 30 s. */
static int http_wait_refused(int port, const char *path) {
  char body[128];
  int i, code;

  for (i = 0; i < 600; i++) {
    snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"try-%d\"}}", i);
    if ((code = http_send(port, "POST", path, body)) == 405)
      return 0;
    if (code != 201)
      fail_msg("HTTP %d, want 201 or 405", code);
    usleep(50 * 1000);
  }
  return -1;
}

/* Two API servers on one store: a definition deleted through the first
 * refuses creates through the second once its watch brings the news (no
 * store read per create there either), and defined again after its
 * deletion it admits them again on both. */
static void test_crd_two_servers_terminating(void **state) {
  struct api_fixture *f = *state;
  struct cp_apiserver *s1, *s2;
  int p1, p2;

  start_two(f, &s1, &p1, &s2, &p2);
  assert_int_equal(http_send(p1, "POST", CRDS, two_versions_crd), 201);
  assert_int_equal(http_wait(p2, WIDGETS, 200), 0);
  assert_int_equal(http_send(p2, "POST", WIDGETS,
                             "{\"metadata\":{\"name\":\"w1\",\"finalizers\""
                             ":[\"example.com/hold\"]}}"), 201);
  assert_int_equal(http_send(p1, "DELETE", CRDS "/widgets.example.com", NULL),
                   200);
  /* The server that took the DELETE refuses at once. */
  assert_int_equal(http_send(p1, "POST", WIDGETS,
                             "{\"metadata\":{\"name\":\"w2\"}}"), 405);
  assert_int_equal(http_wait_refused(p2, WIDGETS), 0);
  assert_int_equal(http_wait_refused(p2, "/apis/example.com/v2/namespaces/"
                                         "default/widgets"), 0);
  /* w1's controller lets go: the definition goes, then comes back. */
  assert_int_equal(http_send_as(p2, "PATCH", WIDGETS "/w1",
                                "application/merge-patch+json",
                                "{\"metadata\":{\"finalizers\":null}}"),
                   200);
  assert_int_equal(http_wait(p1, CRDS "/widgets.example.com", 404), 0);
  assert_int_equal(http_wait(p2, WIDGETS, 404), 0);
  assert_int_equal(http_send(p1, "POST", CRDS, two_versions_crd), 201);
  assert_int_equal(http_wait(p2, WIDGETS, 200), 0);
  assert_int_equal(http_send(p2, "POST", WIDGETS,
                             "{\"metadata\":{\"name\":\"w3\"}}"), 201);
  assert_int_equal(http_send(p1, "POST", WIDGETS,
                             "{\"metadata\":{\"name\":\"w4\"}}"), 201);
  cp_apiserver_stop(s2);
  cp_apiserver_stop(s1);
}

/* issue #12: one request must never crash the server or poison what
 * later readers get. Each case failed (crash, abort or wrong answer)
 * before its fix. */
static void expect_message(struct cp_api_response rs, int code,
                           const char *part) {
  if (rs.code != code || rs.body == NULL || strstr(rs.body, part) == NULL)
    fail_msg("HTTP %d, want %d with \"%s\": %.*s", rs.code, code, part,
             (int)rs.len, rs.body ? rs.body : "");
  free(rs.body);
}

static void test_hardening_requests(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char buf[256];

  make_namespace(f, "default");
  expect_code(call(f, CP_API_POST, NS_CM, J,
                   "{\"metadata\":{\"name\":\"a\"}}"), 201);
  expect_code(call(f, CP_API_POST, NS_CM, J,
                   "{\"metadata\":{\"name\":\"b\"}}"), 201);
  /* Malformed continue tokens: 400, no double free. */
  expect_message(call(f, CP_API_GET, NS_CM "?continue=1.zz", NULL, NULL),
                 400, "invalid continue token");
  expect_code(call(f, CP_API_GET, NS_CM "?continue=1.z", NULL, NULL), 400);
  expect_code(call(f, CP_API_GET, NS_CM "?continue=-3.61", NULL, NULL), 400);
  /* A page token round-trips. */
  rs = call(f, CP_API_GET, NS_CM "?limit=1", NULL, NULL);
  assert_int_equal(rs.code, 200);
  jq(rs.body, "metadata.continue", buf, sizeof buf);
  free(rs.body);
  assert_true(buf[0] != '\0');
  {
    char path[400];

    snprintf(path, sizeof path, NS_CM "?limit=1&continue=%s", buf);
    rs = call(f, CP_API_GET, path, NULL, NULL);
    assert_int_equal(rs.code, 200);
    assert_string_equal(jq(rs.body, "items.0.metadata.name", buf, sizeof buf),
                        "b");
    free(rs.body);
  }
  /* limit at the top of int64: no overflow, everything. */
  rs = call(f, CP_API_GET, NS_CM "?limit=9223372036854775807", NULL, NULL);
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "items.1.metadata.name", buf, sizeof buf),
                      "b");
  free(rs.body);
  /* A resourceVersion the store has not reached: 504 Timeout. */
  rs = call(f, CP_API_GET, NS_CM "?resourceVersion=99999999", NULL, NULL);
  assert_int_equal(rs.code, 504);
  assert_string_equal(jq(rs.body, "reason", buf, sizeof buf), "Timeout");
  assert_string_equal(jq(rs.body, "details.causes.0.reason", buf, sizeof buf),
                      "ResourceVersionTooLarge");
  assert_non_null(strstr(rs.body, "Timeout: Too large resource version: "
                                  "99999999, current: "));
  free(rs.body);
  expect_code(call(f, CP_API_GET,
                   NS_CM "?resourceVersion=99999999&resourceVersionMatch=Exact",
                   NULL, NULL), 504);
  /* DeleteOptions decoded with types checked. */
  expect_message(call(f, CP_API_DELETE, NS_CM "/a", J, "{\"dryRun\":\"All\"}"),
                 400, "cannot unmarshal string into Go struct field "
                      "DeleteOptions.dryRun of type []string");
  expect_code(call(f, CP_API_DELETE, NS_CM "/a", J, "{\"dryRun\":[1]}"), 400);
  expect_code(call(f, CP_API_DELETE, NS_CM "/a", J,
                   "{\"preconditions\":\"x\"}"), 400);
  expect_code(call(f, CP_API_DELETE, NS_CM "/a", J,
                   "{\"preconditions\":{\"uid\":5}}"), 400);
  expect_code(call(f, CP_API_DELETE, NS_CM "/a", J,
                   "{\"gracePeriodSeconds\":\"5\"}"), 400);
  expect_code(call(f, CP_API_DELETE, NS_CM "/a", J, "{\"dryRun\":null}"),
              200);
  /* DELETE on the collection without selectors (kubectl delete --all). */
  rs = call(f, CP_API_DELETE, NS_CM, NULL, NULL);
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "items.0.metadata.name", buf, sizeof buf),
                      "b");
  free(rs.body);
  rs = call(f, CP_API_GET, NS_CM, NULL, NULL);
  assert_string_equal(jq(rs.body, "items.0.metadata.name", buf, sizeof buf),
                      "");
  free(rs.body);
}

/* Kind-specific validation the fuzzer found missing: a pod without any
 * spec, and kube's legacyValidateEvent rules for core/v1 Events. */
static void test_validate_kinds(void **state) {
  struct api_fixture *f = *state;
  const char *ev = "/api/v1/namespaces/team/events";

  make_namespace(f, "default");
  make_namespace(f, "team");
  expect_message(call(f, CP_API_POST, "/api/v1/namespaces/default/pods", J,
                      "{\"metadata\":{\"name\":\"p\"}}"),
                 422, "Pod \\\"p\\\" is invalid: spec.containers: "
                      "Required value");
  expect_message(call(f, CP_API_POST, "/api/v1/namespaces/default/pods", J,
                      "{\"metadata\":{\"name\":\"p\"},\"spec\":null}"),
                 422, "spec.containers: Required value");
  /* About a cluster-scoped object: only in "default". */
  expect_message(call(f, CP_API_POST, ev, J,
                      "{\"metadata\":{\"name\":\"e1\"},"
                      "\"involvedObject\":{}}"),
                 422, "Event \\\"e1\\\" is invalid: "
                      "involvedObject.namespace: Invalid value: \\\"\\\": "
                      "does not match event.namespace");
  expect_message(call(f, CP_API_POST, ev, J, "{\"metadata\":{\"name\":\"e2\"}}"),
                 422, "involvedObject.namespace");
  expect_code(call(f, CP_API_POST, "/api/v1/namespaces/default/events", J,
                   "{\"metadata\":{\"name\":\"e3\"}}"), 201);
  /* About a namespaced object: in its namespace. */
  expect_message(call(f, CP_API_POST, ev, J,
                      "{\"metadata\":{\"name\":\"e4\"},\"involvedObject\":"
                      "{\"kind\":\"Pod\",\"name\":\"p\",\"namespace\":"
                      "\"default\"}}"),
                 422, "Invalid value: \\\"default\\\": does not match "
                      "event.namespace");
  expect_code(call(f, CP_API_POST, ev, J,
                   "{\"metadata\":{\"name\":\"e5\"},\"involvedObject\":"
                   "{\"kind\":\"Pod\",\"name\":\"p\",\"namespace\":"
                   "\"team\"}}"), 201);
  /* A new-style event (eventTime) names who reported it and why. */
  expect_message(call(f, CP_API_POST, ev, J,
                      "{\"metadata\":{\"name\":\"e6\"},\"involvedObject\":"
                      "{\"namespace\":\"team\"},\"eventTime\":"
                      "\"2026-01-01T00:00:00.000000Z\"}"),
                 422, "reportingComponent: Required value");
  expect_message(call(f, CP_API_POST, ev, J,
                      "{\"metadata\":{\"name\":\"e8\"},\"involvedObject\":"
                      "{\"namespace\":\"team\"},\"eventTime\":"
                      "\"2026-01-01T00:00:00.000000Z\",\"reportingComponent\":"
                      "\"a b\",\"reportingInstance\":\"i\",\"action\":\"A\","
                      "\"reason\":\"R\"}"),
                 422, "reportingComponent: Invalid value: \\\"a b\\\"");
  expect_message(call(f, CP_API_POST, ev, J,
                      "{\"metadata\":{\"name\":\"e9\"},\"involvedObject\":"
                      "{\"namespace\":\"team\"},\"eventTime\":"
                      "\"2026-01-01T00:00:00.000000Z\",\"reportingComponent\":"
                      "\"c\",\"reportingInstance\":\"i\",\"action\":\"A\","
                      "\"reason\":\"RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
                      "RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR"
                      "RRRRRRRRRRRRRRRRRRRRRRRRRR\"}"),
                 422, "reason: Invalid value: \\\"\\\": can have at most 128 "
                      "characters");
  expect_code(call(f, CP_API_POST, ev, J,
                   "{\"metadata\":{\"name\":\"e7\"},\"involvedObject\":"
                   "{\"namespace\":\"team\"},\"eventTime\":"
                   "\"2026-01-01T00:00:00.000000Z\",\"reportingComponent\":"
                   "\"c\",\"reportingInstance\":\"i\",\"action\":\"A\","
                   "\"reason\":\"R\"}"), 201);
  /* An update is held to the same rules. */
  expect_message(call(f, CP_API_PUT, "/api/v1/namespaces/team/events/e5", J,
                      "{\"metadata\":{\"name\":\"e5\"},\"involvedObject\":"
                      "{}}"),
                 422, "does not match event.namespace");
}

static void test_hardening_bodies(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char *bomb, *w;
  int i;

  make_namespace(f, "default");
  /* Non-JSON never reaches the store. */
  expect_message(call(f, CP_API_POST, NS_CM, J,
                      "{\"metadata\":{\"name\":\"n\"},\"data\":{\"x\":NaN}}"),
                 400, "invalid character 'N'");
  expect_message(call(f, CP_API_POST, NS_CM, J,
                      "{\"metadata\":{\"name\":\"n\"},\"binaryData\":null,"
                      "\"x\":1e400}"),
                 400, "cannot unmarshal number 1e400");
  expect_code(call(f, CP_API_POST, NS_CM, J,
                   "{\"metadata\":{\"name\":\"n\"},}"), 400);
  expect_code(call(f, CP_API_POST, NS_CM, J,
                   "{\"metadata\":{\"name\":\"n\"}}/**/"), 400);
  expect_code(call(f, CP_API_POST, NS_CM, J,
                   "{'metadata':{'name':'n'}}"), 400);
  expect_message(call(f, CP_API_POST, NS_CM, J,
                      "{\"metadata\":{\"name\":\"n\"},\"data\":{"
                      "\"a\\u0000b\":\"x\"}}"),
                 400, "U+0000");
  expect_code(call(f, CP_API_GET, NS_CM "/n", NULL, NULL), 404);
  /* Duplicate fields follow fieldValidation. */
  expect_message(call(f, CP_API_POST, NS_CM "?fieldValidation=Strict", J,
                      "{\"metadata\":{\"name\":\"n\",\"name\":\"m\"}}"),
                 400, "strict decoding error: duplicate field "
                      "\\\"metadata.name\\\"");
  rs = call(f, CP_API_POST, NS_CM, J,
            "{\"metadata\":{\"name\":\"n\",\"name\":\"m\"}}");
  assert_int_equal(rs.code, 201);
  assert_non_null(strstr(rs.warnings, "duplicate field \\\"metadata.name\\\""));
  assert_non_null(strstr(rs.body, "\"name\":\"m\""));
  free(rs.body);
  rs = call(f, CP_API_PUT, NS_CM "/m?fieldValidation=Ignore", J,
            "{\"metadata\":{\"name\":\"m\"},\"data\":{\"k\":\"1\",\"k\":\"2\"}}");
  assert_int_equal(rs.code, 200);
  assert_int_equal(rs.warnings_len, 0);
  assert_non_null(strstr(rs.body, "\"k\":\"2\""));
  free(rs.body);
  /* A pod needs containers; finalizers are names. */
  expect_message(call(f, CP_API_POST, "/api/v1/namespaces/default/pods", J,
                      "{\"metadata\":{\"name\":\"p\"},\"spec\":{}}"),
                 422, "Pod \\\"p\\\" is invalid: spec.containers: "
                      "Required value");
  expect_code(call(f, CP_API_POST, "/api/v1/namespaces/default/pods", J,
                   "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":"
                   "[]}}"), 422);
  expect_code(call(f, CP_API_POST, "/api/v1/namespaces/default/pods", J,
                   "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":"
                   "null}}"), 422);
  expect_code(call(f, CP_API_POST, "/api/v1/namespaces/default/pods", J,
                   "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":"
                   "[{\"name\":\"c\",\"image\":\"i\"}]}}"), 201);
  expect_message(call(f, CP_API_POST, NS_CM, J,
                      "{\"metadata\":{\"name\":\"f\",\"finalizers\":[null]}}"),
                 422, "metadata.finalizers[0]");
  expect_code(call(f, CP_API_POST, NS_CM, J,
                   "{\"metadata\":{\"name\":\"f\",\"finalizers\":[3]}}"), 400);
  /* JSON patch: 10,000 operations at most, copies bounded. */
  bomb = malloc(64 * 100 + 16);
  assert_non_null(bomb);
  w = bomb + sprintf(bomb, "[");
  for (i = 0; i < 40; i++)
    w += sprintf(w, "%s{\"op\":\"copy\",\"from\":\"/metadata\",\"path\":"
                 "\"/metadata/annotations/x%d\"}", i ? "," : "", i);
  sprintf(w, "]");
  expect_code(call(f, CP_API_PATCH, NS_CM "/m", J,
                   "{\"metadata\":{\"annotations\":{\"a\":\"b\"}}}"), 415);
  expect_message(call(f, CP_API_PATCH, NS_CM "/m",
                      "application/json-patch+json", "[{\"op\":\"add\","
                      "\"path\":\"/metadata/annotations\",\"value\":{}}]"),
                 200, "annotations");
  expect_message(call(f, CP_API_PATCH, NS_CM "/m",
                      "application/json-patch+json", bomb),
                 422, "Unable to complete the copy");
  free(bomb);
}

static void test_hardening_crd_names(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char buf[256];
  static const char crd_fmt[] =
      "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":"
      "\"CustomResourceDefinition\",\"metadata\":{\"name\":"
      "\"%s.example.com\"},\"spec\":{\"group\":\"example.com\","
      "\"scope\":\"Namespaced\",\"names\":{\"plural\":\"%s\","
      "\"kind\":\"Widget\"},\"versions\":[{\"name\":\"v1\","
      "\"served\":true,\"storage\":true}]}}";
  char body[600];

  make_namespace(f, "default");
  snprintf(body, sizeof body, crd_fmt, "widgets", "widgets");
  rs = call(f, CP_API_POST, CRDS, J, body);
  assert_int_equal(rs.code, 201);
  assert_string_equal(jq(rs.body, "status.conditions.0.status", buf,
                         sizeof buf), "True");
  assert_string_equal(jq(rs.body, "status.conditions.0.message", buf,
                         sizeof buf), "no conflicts found");
  free(rs.body);
  /* A second definition of kind Widget in the group: not accepted, not
   * served, as kube's naming controller decides. */
  snprintf(body, sizeof body, crd_fmt, "gadgets", "gadgets");
  rs = call(f, CP_API_POST, CRDS, J, body);
  assert_int_equal(rs.code, 201);
  assert_string_equal(jq(rs.body, "status.conditions.0.type", buf,
                         sizeof buf), "NamesAccepted");
  assert_string_equal(jq(rs.body, "status.conditions.0.status", buf,
                         sizeof buf), "False");
  assert_string_equal(jq(rs.body, "status.conditions.0.reason", buf,
                         sizeof buf), "KindConflict");
  assert_string_equal(jq(rs.body, "status.conditions.0.message", buf,
                         sizeof buf), "\"Widget\" is already in use");
  assert_string_equal(jq(rs.body, "status.conditions.1.status", buf,
                         sizeof buf), "False");
  assert_string_equal(jq(rs.body, "status.conditions.1.reason", buf,
                         sizeof buf), "NotAccepted");
  free(rs.body);
  expect_code(call(f, CP_API_GET,
                   "/apis/example.com/v1/namespaces/default/widgets", NULL,
                   NULL), 200);
  expect_code(call(f, CP_API_GET,
                   "/apis/example.com/v1/namespaces/default/gadgets", NULL,
                   NULL), 404);
  /* A restart does not serve it either. */
  cp_resources_free(f->ctx.resources);
  f->ctx.resources = cp_resources_new();
  assert_int_equal(cp_crd_load_all(&f->ctx, NULL), 2);
  expect_code(call(f, CP_API_GET,
                   "/apis/example.com/v1/namespaces/default/gadgets", NULL,
                   NULL), 404);
}

/* An object stored before bodies were decoded strictly (json-c took NaN
 * and comments) is still listed, read and deleted, with what JSON cannot
 * say nulled: no response carries non-JSON. */
static void test_hardening_legacy_stored(void **state) {
  struct api_fixture *f = *state;
  static const char key[] = "configmaps/default/old";
  static const char val[] = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
                            "\"metadata\":{\"name\":\"old\",\"namespace\":"
                            "\"default\"},/*c*/\"x\":[NaN,1],\"y\":Infinity}";
  struct cp_api_response rs;
  char buf[64];
  int64_t rev = 0;

  make_namespace(f, "default");
  assert_int_equal(cp_store_create(f->store, key, strlen(key), val,
                                   strlen(val), &rev),
                   CPLANE_OK);
  rs = call(f, CP_API_GET, NS_CM, NULL, NULL);
  assert_int_equal(rs.code, 200);
  if (strstr(rs.body, "\"x\":[null,1],\"y\":null") == NULL)
    fail_msg("list: %s", rs.body);
  assert_null(strstr(rs.body, "NaN"));
  free(rs.body);
  rs = call(f, CP_API_GET, NS_CM "/old", NULL, NULL);
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "metadata.name", buf, sizeof buf), "old");
  assert_null(strstr(rs.body, "Infinity"));
  free(rs.body);
  expect_code(call(f, CP_API_DELETE, NS_CM "/old", NULL, NULL), 200);
  expect_code(call(f, CP_API_GET, NS_CM "/old", NULL, NULL), 404);
}

/* The kind's strategy decides metadata.generation, as kube's strategies
 * do: a ConfigMap has no spec and never gets one (not on create, update
 * or when a delete marks it); a Deployment starts at 1. */
static void test_strategy_generation(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char buf[256];
  const char *cm = "/api/v1/namespaces/default/configmaps";

  make_namespace(f, "default");
  rs = call(f, CP_API_POST, cm, J,
            "{\"metadata\":{\"name\":\"c\",\"generation\":5,"
            "\"finalizers\":[\"example.com/hold\"]},"
            "\"data\":{\"a\":\"b\"}}");
  assert_int_equal(rs.code, 201);
  assert_string_equal(jq(rs.body, "metadata.generation", buf, sizeof buf),
                      "");
  free(rs.body);
  rs = call(f, CP_API_PATCH, "/api/v1/namespaces/default/configmaps/c",
            "application/merge-patch+json", "{\"data\":{\"a\":\"c\"}}");
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "metadata.generation", buf, sizeof buf),
                      "");
  free(rs.body);
  rs = call(f, CP_API_DELETE, "/api/v1/namespaces/default/configmaps/c", NULL,
            NULL);
  assert_int_equal(rs.code, 200);
  assert_string_not_equal(jq(rs.body, "metadata.deletionTimestamp", buf,
                             sizeof buf), "");
  assert_string_equal(jq(rs.body, "metadata.generation", buf, sizeof buf),
                      "");
  free(rs.body);
  rs = call(f, CP_API_POST, "/apis/apps/v1/namespaces/default/deployments", J,
            "{\"metadata\":{\"name\":\"d\"},\"spec\":{\"replicas\":1,"
            "\"selector\":{\"matchLabels\":{\"app\":\"d\"}},"
            "\"template\":{\"metadata\":{\"labels\":{\"app\":\"d\"}},"
            "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":"
            "\"i\"}]}}}}");
  assert_int_equal(rs.code, 201);
  assert_string_equal(jq(rs.body, "metadata.generation", buf, sizeof buf),
                      "1");
  free(rs.body);
}

/* Discovery says which kinds are in "all" (kube: pods, deployments and
 * replicasets among ours), so that kubectl get all lists them. */
static void test_strategy_categories(void **state) {
  struct api_fixture *f = *state;
  char *s;

  s = cp_discovery_resource_list(f->ctx.resources, "", "v1");
  assert_non_null(strstr(s, "\"kind\":\"Pod\",\"verbs\":["));
  assert_non_null(strstr(s, "\"shortNames\":[\"po\"],\"categories\":"
                            "[\"all\"]"));
  assert_null(strstr(s, "\"shortNames\":[\"cm\"],\"categories\""));
  free(s);
  s = cp_discovery_resource_list(f->ctx.resources, "apps", "v1");
  assert_non_null(strstr(s, "\"shortNames\":[\"deploy\"],\"categories\":"
                            "[\"all\"]"));
  assert_non_null(strstr(s, "\"shortNames\":[\"rs\"],\"categories\":"
                            "[\"all\"]"));
  free(s);
  s = cp_discovery_aggregated(f->ctx.resources, 0);
  assert_non_null(strstr(s, "\"categories\":[\"all\"]"));
  free(s);
}

/* A kind's validation reports every error at once, as kube's
 * field.ErrorList: a new-style Event in the wrong namespace without
 * action or reason hears of all three. */
static void test_strategy_every_error(void **state) {
  struct api_fixture *f = *state;

  make_namespace(f, "team");
  expect_message(
      call(f, CP_API_POST, "/api/v1/namespaces/team/events", J,
           "{\"metadata\":{\"name\":\"e\"},\"eventTime\":"
           "\"2024-01-01T00:00:00.000000Z\",\"reportingComponent\":\"c\","
           "\"reportingInstance\":\"i\"}"),
      422, "Event \\\"e\\\" is invalid: [involvedObject.namespace: "
           "Invalid value: \\\"\\\": does not match event.namespace, "
           "action: Required value, reason: Required value]");
}

/* A write that changes nothing is not made (kube's GuaranteedUpdate):
 * same resourceVersion, no new store revision, so no watch event. An
 * update's resourceVersion "0" is unconditional. */
static void test_no_op_write(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char rv[32], buf[128];
  int64_t before = 0, after = 0;
  const char *cm = "/api/v1/namespaces/default/configmaps/c";

  make_namespace(f, "default");
  rs = call(f, CP_API_POST, "/api/v1/namespaces/default/configmaps", J,
            "{\"metadata\":{\"name\":\"c\"},\"data\":{\"a\":\"b\"}}");
  assert_int_equal(rs.code, 201);
  jq(rs.body, "metadata.resourceVersion", rv, sizeof rv);
  free(rs.body);
  assert_int_equal(cp_store_current_revision(f->store, &before), 0);
  rs = call(f, CP_API_PATCH, cm, "application/merge-patch+json",
            "{\"data\":{\"a\":\"b\"}}");
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "metadata.resourceVersion", buf,
                         sizeof buf), rv);
  free(rs.body);
  rs = call(f, CP_API_PUT, cm, J,
            "{\"metadata\":{\"name\":\"c\"},\"data\":{\"a\":\"b\"}}");
  assert_int_equal(rs.code, 200);
  assert_string_equal(jq(rs.body, "metadata.resourceVersion", buf,
                         sizeof buf), rv);
  free(rs.body);
  assert_int_equal(cp_store_current_revision(f->store, &after), 0);
  assert_true(after == before);
  /* A real change with resourceVersion "0": unconditional. */
  rs = call(f, CP_API_PUT, cm, J,
            "{\"metadata\":{\"name\":\"c\",\"resourceVersion\":\"0\"},"
            "\"data\":{\"a\":\"z\"}}");
  assert_int_equal(rs.code, 200);
  assert_string_not_equal(jq(rs.body, "metadata.resourceVersion", buf,
                             sizeof buf), rv);
  free(rs.body);
  /* Any other stale one still conflicts. */
  snprintf(buf, sizeof buf, "{\"metadata\":{\"name\":\"c\","
                            "\"resourceVersion\":\"%s\"},\"data\":{}}", rv);
  expect_code(call(f, CP_API_PUT, cm, J, buf), 409);
}

/* A Deployment or ReplicaSet whose selector does not select its
 * template's labels is refused, worded as kube's ValidateDeploymentSpec;
 * its status updates are not held to it. */
static void test_selector_matches_template(void **state) {
  struct api_fixture *f = *state;

  make_namespace(f, "default");
  expect_message(
      call(f, CP_API_POST, "/apis/apps/v1/namespaces/default/deployments", J,
           "{\"metadata\":{\"name\":\"d\"},\"spec\":{\"selector\":{"
           "\"matchLabels\":{\"app\":\"d\"}},\"template\":{\"metadata\":{"
           "\"labels\":{\"tier\":\"x\",\"app\":\"e\"}},\"spec\":{"
           "\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}}}"),
      422, "Deployment.apps \\\"d\\\" is invalid: spec.template.metadata.labels: "
           "Invalid value: map[string]string{\\\"app\\\":\\\"e\\\", "
           "\\\"tier\\\":\\\"x\\\"}: `selector` does not match template "
           "`labels`");
  expect_message(
      call(f, CP_API_POST, "/apis/apps/v1/namespaces/default/replicasets", J,
           "{\"metadata\":{\"name\":\"r\"},\"spec\":{\"selector\":{"
           "\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"In\","
           "\"values\":[\"r\"]}]},\"template\":{\"spec\":{"
           "\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}}}"),
      422, "map[string]string(nil): `selector` does not match template");
  expect_code(
      call(f, CP_API_POST, "/apis/apps/v1/namespaces/default/replicasets", J,
           "{\"metadata\":{\"name\":\"r\"},\"spec\":{\"selector\":{"
           "\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"In\","
           "\"values\":[\"r\"]}]},\"template\":{\"metadata\":{\"labels\":"
           "{\"app\":\"r\"}},\"spec\":{"
           "\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}}}"),
      201);
}

/* Errors kube words its own way: a body that is not JSON, and a path
 * or subresource not served (404 with details, which kubectl debug
 * reads). */
static void test_error_wording(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;

  expect_message(call(f, CP_API_POST, "/api/v1/namespaces", J, "not json"),
                 400, "the object provided is unrecognized (must be of type "
                      "Namespace): couldn't get version/kind; json parse "
                      "error: ");
  make_namespace(f, "default");
  expect_code(call(f, CP_API_POST, "/api/v1/namespaces/default/configmaps", J,
                   "{\"metadata\":{\"name\":\"c\"}}"), 201);
  rs = call(f, CP_API_GET, "/api/v1/namespaces/default/configmaps/c/status",
            NULL, NULL);
  expect_message(rs, 404, "\"reason\":\"NotFound\",\"details\":{}");
  rs = call(f, CP_API_GET, "/api/v1/namespaces/default/nothings", NULL, NULL);
  expect_message(rs, 404, "\"details\":{}");
}

/* The system namespaces come back once deleted, as kube-apiserver's
 * system namespaces controller makes them (kube-node-lease is the one
 * that can be deleted). */
static void test_system_namespace_recreated(void **state) {
  struct api_fixture *f = *state;
  struct cp_api_response rs;
  char uid[64], buf[64];

  make_namespace(f, "kube-node-lease");
  rs = call(f, CP_API_GET, "/api/v1/namespaces/kube-node-lease", NULL, NULL);
  jq(rs.body, "metadata.uid", uid, sizeof uid);
  free(rs.body);
  expect_code(call(f, CP_API_DELETE, "/api/v1/namespaces/kube-node-lease",
                   NULL, NULL), 200);
  expect_code(call(f, CP_API_PUT,
                   "/api/v1/namespaces/kube-node-lease/finalize", J,
                   "{\"metadata\":{\"name\":\"kube-node-lease\"},"
                   "\"spec\":{\"finalizers\":[]}}"), 200);
  rs = call(f, CP_API_GET, "/api/v1/namespaces/kube-node-lease", NULL, NULL);
  assert_int_equal(rs.code, 200);
  assert_string_not_equal(jq(rs.body, "metadata.uid", buf, sizeof buf), uid);
  assert_string_equal(jq(rs.body, "status.phase", buf, sizeof buf), "Active");
  assert_string_equal(jq(rs.body, "metadata.deletionTimestamp", buf,
                         sizeof buf), "");
  free(rs.body);
  /* Any other namespace stays gone. */
  make_namespace(f, "team");
  expect_code(call(f, CP_API_DELETE, "/api/v1/namespaces/team", NULL, NULL),
              200);
  expect_code(call(f, CP_API_PUT, "/api/v1/namespaces/team/finalize", J,
                   "{\"metadata\":{\"name\":\"team\"},"
                   "\"spec\":{\"finalizers\":[]}}"), 200);
  expect_code(call(f, CP_API_GET, "/api/v1/namespaces/team", NULL, NULL),
              404);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_routing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_strategy_generation, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_strategy_categories, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_strategy_every_error, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_no_op_write, setup, teardown),
      cmocka_unit_test_setup_teardown(test_selector_matches_template, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_error_wording, setup, teardown),
      cmocka_unit_test_setup_teardown(test_system_namespace_recreated, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_hardening_requests, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_validate_kinds, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hardening_bodies, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hardening_legacy_stored, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_hardening_crd_names, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_create_get_list, setup, teardown),
      cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
      cmocka_unit_test_setup_teardown(test_discovery_versions, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_crd_versions_change, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_update_conflict_and_generation,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_delete_and_finalizers, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_namespace_lifecycle, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_namespace_purges_custom_resources,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_binding, setup, teardown),
      cmocka_unit_test_setup_teardown(test_crd, setup, teardown),
      cmocka_unit_test_setup_teardown(test_crd_unregister, setup, teardown),
      cmocka_unit_test_setup_teardown(test_crd_late_mark, setup, teardown),
      cmocka_unit_test_setup_teardown(test_crd_sync, setup, teardown),
      cmocka_unit_test_setup_teardown(test_crd_cleanup, setup, teardown),
      cmocka_unit_test_setup_teardown(test_crd_without_finalizer, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_crd_terminating_flag, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_discovery, setup, teardown),
      cmocka_unit_test_setup_teardown(test_scale_answers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_crd_scale_paths, setup, teardown),
      cmocka_unit_test_setup_teardown(test_crd_scale_path_depth, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_crd_scale_paths_refused, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_crd_storage_version_hash, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_pod_create_defaults, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_discovery_storage_version_hash,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_http_server, setup, teardown),
      cmocka_unit_test_setup_teardown(test_crd_two_servers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_crd_two_servers_terminating, setup,
                                      teardown),
  };

  signal(SIGPIPE, SIG_IGN); /* as cplane's main does */
  return cmocka_run_group_tests(tests, NULL, NULL);
}
