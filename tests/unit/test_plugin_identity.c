/*
 * test_plugin_identity - each plugin's own credential (plugin/identity.h)
 * and the confinement of its writes (plugin/confine.h): the certificate
 * the host issues (subject, groups, client auth, life, signed by the CA;
 * refusals), a plugin's request arriving at a TLS API server as its own
 * user and still so after a renewal, the fallback to the host's
 * credential, without a CA key a ServiceAccount token by TokenRequest
 * (the answer read and bounded, the user the server sees, renewal at 80 %
 * of the granted life), the role derived from a descriptor, and
 * confine_plugins: what a descriptor allows, the 403 before any request
 * for typed writes and raw requests, and the /metrics counter.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "apiserver/pki.h"
#include "client/client.h"
#include "log/log.h"
#include "plugin/confine.h"
#include "plugin/host_api_writes.h"
#include "plugin/identity.h"
#include "plugin/identity_rbac.h"
#include "plugin/identity_token.h"
#include "plugin/plugin.h"
#include "tls_api_fixture.h"

#define USER "system:serviceaccount:kube-system:widgets"

static const struct cplane_resource watched[] = {
    CPLANE_RESOURCE("apps", "v1", "deployments"),
    CPLANE_RESOURCE("", "v1", "configmaps"),
    CPLANE_RESOURCE("", "v1", "namespaces"),
};
static const struct cplane_resource declared[] = {
    CPLANE_RESOURCE("", "v1", "pods/binding"),
    CPLANE_RESOURCE("", "v1", "secrets"),
    CPLANE_RESOURCE("*", "v1", "*/scale"),
};
static const struct cplane_resource secrets =
    CPLANE_RESOURCE("", "v1", "secrets");
static const struct cplane_resource pods = CPLANE_RESOURCE("", "v1", "pods");
static const struct cplane_resource leases =
    CPLANE_RESOURCE("coordination.k8s.io", "v1", "leases");

/* A plugin record as the loader makes one: watches `watched`, declares
 * `declared`. */
static struct cplane_plugin_ctx *plugin(struct cp_client *client) {
  struct cplane_plugin_ctx *p = calloc(1, sizeof *p);

  assert_non_null(p);
  p->name = strdup("widgets");
  p->desc.name = p->name;
  p->desc.n_resources = 3;
  p->desc.resources = watched;
  p->desc.n_writes = 3;
  p->desc.writes = declared;
  p->client = client;
  cp_inflight_set_init(&p->inflight, p->name);
  return p;
}

static int setup(void **state) { return tls_api_fixture_setup(state, 0); }
static int setup_tokens(void **state) {
  return tls_api_fixture_setup(state, 1);
}

static int teardown(void **state) {
  cp_confine_set(0);
  return tls_api_fixture_teardown(state);
}

/* ---- the certificate -------------------------------------------------- */

static X509 *parse_cert(const char *pem) {
  BIO *b = BIO_new_mem_buf(pem, -1);
  X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);

  BIO_free(b);
  assert_non_null(x);
  return x;
}

static X509 *read_ca(const char *path) {
  FILE *fp = fopen(path, "r");
  X509 *x;

  assert_non_null(fp);
  x = PEM_read_X509(fp, NULL, NULL, NULL);
  fclose(fp);
  assert_non_null(x);
  return x;
}

static void test_issue(void **state) {
  struct tls_api_fixture *f = *state;
  char *cert = NULL, *key = NULL, *err = NULL, buf[256];
  X509 *x, *ca;
  X509_NAME *subj;
  int i = -1, n = 0, day = 0, sec = 0;

  assert_int_equal(cp_identity_issue(f->ca_crt, f->ca_key, "widgets", 3600,
                                     &cert, &key, &err),
                   0);
  assert_null(err);
  assert_non_null(strstr(key, "PRIVATE KEY"));
  x = parse_cert(cert);
  subj = X509_get_subject_name(x);
  assert_true(X509_NAME_get_text_by_NID(subj, NID_commonName, buf,
                                        sizeof buf) > 0);
  assert_string_equal(buf, USER);
  while ((i = X509_NAME_get_index_by_NID(subj, NID_organizationName, i)) >=
         0) {
    ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));

    snprintf(buf, sizeof buf, "%.*s", ASN1_STRING_length(d),
             (const char *)ASN1_STRING_get0_data(d));
    assert_true(strcmp(buf, "system:serviceaccounts") == 0 ||
                strcmp(buf, "system:serviceaccounts:kube-system") == 0);
    n++;
  }
  assert_int_equal(n, 2);
  /* Client auth only, and the life asked for (no backdating under 8 h). */
  assert_true(X509_get_extended_key_usage(x) & XKU_SSL_CLIENT);
  assert_false(X509_get_extended_key_usage(x) & XKU_SSL_SERVER);
  assert_int_equal(ASN1_TIME_diff(&day, &sec, X509_get0_notBefore(x),
                                  X509_get0_notAfter(x)),
                   1);
  assert_int_equal(day * 86400 + sec, 3600);
  ca = read_ca(f->ca_crt);
  assert_int_equal(X509_verify(x, X509_get0_pubkey(ca)), 1);
  X509_free(ca);
  X509_free(x);
  free(cert);
  free(key);

  /* Refusals: a clear sentence, nothing half made. */
  assert_int_equal(cp_identity_issue(f->ca_crt, f->ca_key, "", 3600, &cert,
                                     &key, &err),
                   -1);
  assert_null(cert);
  assert_null(key);
  assert_non_null(strstr(err, "name is empty"));
  free(err);
  assert_int_equal(cp_identity_issue("/nonexistent", f->ca_key, "w", 3600,
                                     &cert, &key, &err),
                   -1);
  assert_null(cert);
  assert_null(key);
  assert_non_null(strstr(err, "cannot issue a certificate for plugin w: "
                              "error reading the signing CA"));
  free(err);
}

/* ---- the plugin's calls ------------------------------------------------ */

/* Who the server says the caller is (SelfSubjectReview), through the
 * plugin's raw request(). */
static char *whoami(struct cplane_plugin_ctx *p) {
  char *resp = NULL;
  size_t len = 0;
  int code = cp_api_request(
      p, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
      "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":"
      "\"SelfSubjectReview\"}",
      &resp, &len);
  json_object *o = resp ? json_tokener_parse(resp) : NULL, *v = NULL;
  char *user = NULL;

  if (code != 201)
    fail_msg("selfsubjectreview: %d %s", code, resp ? resp : "");
  if (json_object_object_get_ex(o, "status", &v) &&
      json_object_object_get_ex(v, "userInfo", &v) &&
      json_object_object_get_ex(v, "username", &v))
    user = strdup(json_object_get_string(v));
  json_object_put(o);
  free(resp);
  return user;
}

static void test_own_user_and_renewal(void **state) {
  struct tls_api_fixture *f = *state;
  struct cp_identity_issuer is;
  struct cplane_plugin_ctx *p = plugin(f->host);
  struct cp_plugin_identity *id;
  struct cp_client *first;
  char *user;

  /* The host's own credential first: the admin. */
  user = whoami(p);
  assert_string_equal(user, "admin");
  free(user);

  assert_int_equal(cp_identity_issuer_init(&is, f->url, f->ca_crt,
                                           f->ca_crt, f->ca_key, f->host),
                   0);
  is.lifetime_s = 3600;
  cp_plugin_identity_attach(&is, p);
  id = atomic_load(&p->identity);
  assert_non_null(id);
  first = cp_plugin_client(p);
  assert_ptr_not_equal(first, f->host);
  user = whoami(p);
  assert_string_equal(user, USER);
  free(user);
  /* A second attach (a reload) keeps the identity it has. */
  cp_plugin_identity_attach(&is, p);
  assert_ptr_equal(atomic_load(&p->identity), id);

  /* Due for renewal: a new certificate, the same user. */
  id->renew_at_ms = 0;
  assert_ptr_not_equal(cp_plugin_client(p), first);
  assert_int_equal(atomic_load(&id->renewals), 1);
  assert_ptr_equal(id->retired, first);
  user = whoami(p);
  assert_string_equal(user, USER);
  free(user);
  /* Not due: the same client. */
  first = cp_plugin_client(p);
  assert_ptr_equal(cp_plugin_client(p), first);
  assert_int_equal(atomic_load(&id->renewals), 1);
  cp_plugin_free(p);
  cp_identity_issuer_free(&is);
}

/* ---- without a CA key: a ServiceAccount token ---------------------------- */

static void test_token_parse(void **state) {
  char *tok = NULL, *err = NULL, big[CP_IDENTITY_TOKEN_MAX_BYTES + 200];
  int64_t life = -1;
  /* 2026-12-07T06:00:00Z */
  const int64_t at = 1796623200;
  const char *good = "{\"kind\":\"TokenRequest\",\"status\":{\"token\":"
                     "\"eyJ.a.b\",\"expirationTimestamp\":"
                     "\"2026-12-07T06:00:00Z\"}}";

  (void)state;
  /* A short life is the server's to grant: renew at 80 % of it. */
  assert_int_equal(cp_identity_token_parse(good, strlen(good), at - 10, 3600,
                                           &tok, &life, &err),
                   0);
  assert_string_equal(tok, "eyJ.a.b");
  assert_int_equal(life, 10);
  free(tok);
  /* Never longer than asked, whatever our clock says. */
  assert_int_equal(cp_identity_token_parse(good, strlen(good), at - 7200,
                                           3600, &tok, &life, &err),
                   0);
  assert_int_equal(life, 3600);
  free(tok);
  /* Already past by our clock: what we asked for. */
  assert_int_equal(cp_identity_token_parse(good, strlen(good), at + 5, 600,
                                           &tok, &life, &err),
                   0);
  assert_int_equal(life, 600);
  free(tok);

  /* Broken answers: a clear sentence, no token. */
  static const struct {
    const char *body, *says;
  } bad[] = {
      {"", "is empty"},
      {"[1]", "is not a JSON object"},
      {"{\"status\":", "is not a JSON object"},
      {"{\"status\":{}}", "has no status.token"},
      {"{\"status\":{\"token\":7}}", "has no status.token"},
      {"{\"status\":{\"token\":\"\"}}", "has no status.token"},
      {"{\"status\":{\"token\":\"a b\"}}", "has no status.token"},
      {"{\"status\":\"x\"}", "has no status.token"},
      {"{\"status\":{\"token\":\"t\"}}", "has no status.expirationTimestamp"},
      {"{\"status\":{\"token\":\"t\",\"expirationTimestamp\":5}}",
       "has no status.expirationTimestamp"},
      {"{\"status\":{\"token\":\"t\",\"expirationTimestamp\":"
       "\"2026-12-07T06:00:00+01:00\"}}",
       "has no status.expirationTimestamp"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    tok = NULL;
    assert_int_equal(cp_identity_token_parse(bad[i].body, strlen(bad[i].body),
                                             at, 600, &tok, &life, &err),
                     -1);
    assert_null(tok);
    if (strstr(err, bad[i].says) == NULL)
      fail_msg("%s: %s", bad[i].body, err);
    free(err);
  }
  /* A token past the bound. */
  memset(big, 'a', sizeof big);
  memcpy(big, "{\"status\":{\"token\":\"", 20);
  strcpy(big + sizeof big - 60, "\",\"expirationTimestamp\":"
                                "\"2026-12-07T06:00:00Z\"}}");
  assert_int_equal(cp_identity_token_parse(big, strlen(big), at, 600, &tok,
                                           &life, &err),
                   -1);
  assert_non_null(strstr(err, "at most 16384 bytes"));
  free(err);
  assert_int_equal(cp_identity_token_parse(NULL, 0, at, 600, &tok, &life,
                                           &err),
                   -1);
  free(err);
}

static int64_t now_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The host as it is against an external server: a kubeconfig's URL and
 * CA, no CA key. */
static void remote_issuer(struct tls_api_fixture *f,
                          struct cp_identity_issuer *is) {
  struct cp_client_config cc = {0};

  cc.server = f->url;
  cc.ca_file = f->ca_crt;
  assert_int_equal(cp_identity_issuer_init_remote(is, &cc, f->host), 0);
  assert_null(is->ca_key);
  is->manage_rbac = 1; /* makes the ServiceAccount a token needs */
}

/* A worker: many calls for the plugin's client. */
static void *call_many(void *arg) {
  int i;

  for (i = 0; i < 50; i++)
    assert_non_null(cp_plugin_client(arg));
  return NULL;
}

static void test_token_user_and_renewal(void **state) {
  struct tls_api_fixture *f = *state;
  struct cp_identity_issuer is;
  struct cplane_plugin_ctx *p = plugin(f->host);
  struct cp_plugin_identity *id;
  struct cp_client *first;
  int64_t before = now_ms();
  char *user, *tok = NULL, *err = NULL;
  int64_t life = 0;

  remote_issuer(f, &is);
  /* TokenRequest's shortest: renewed after 8 minutes. */
  is.lifetime_s = CP_IDENTITY_TOKEN_MIN_SECONDS;
  cp_plugin_identity_attach(&is, p);
  id = atomic_load(&p->identity);
  assert_non_null(id);
  assert_int_equal(id->token, 1);
  assert_true(id->renew_at_ms >= before + 470 * 1000);
  assert_true(id->renew_at_ms <= now_ms() + 480 * 1000);
  first = cp_plugin_client(p);
  assert_ptr_not_equal(first, f->host);
  user = whoami(p);
  assert_string_equal(user, USER);
  free(user);

  /* Due: a new token, the same user; the old client stays for calls in
   * flight. */
  id->renew_at_ms = 0;
  assert_ptr_not_equal(cp_plugin_client(p), first);
  assert_int_equal(atomic_load(&id->renewals), 1);
  assert_ptr_equal(id->retired, first);
  assert_true(id->renew_at_ms >= now_ms() + 470 * 1000);
  user = whoami(p);
  assert_string_equal(user, USER);
  free(user);

  /* Due while several workers call: one of them renews, the others go
   * on with the current token meanwhile. */
  {
    pthread_t t[4];
    int i;

    id->renew_at_ms = 0;
    for (i = 0; i < 4; i++)
      assert_int_equal(pthread_create(&t[i], NULL, call_many, p), 0);
    for (i = 0; i < 4; i++)
      pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&id->renewals), 2);
    assert_int_equal(id->renewing, 0);
  }

  /* A plugin whose ServiceAccount is not there and may not be made keeps
   * the host's credential, and the reason is the server's. */
  assert_int_equal(cp_identity_token_request(f->host, "nobody", 600, &tok,
                                             &life, &err),
                   -1);
  assert_null(tok);
  assert_non_null(strstr(err, "TokenRequest for ServiceAccount "
                              "kube-system/nobody: 404"));
  free(err);
  cp_plugin_free(p);
  cp_identity_issuer_free(&is);
}

static void test_no_credential_falls_back(void **state) {
  struct tls_api_fixture *f = *state;
  struct cp_identity_issuer is;
  struct cplane_plugin_ctx *p = plugin(f->host);
  char *user;

  /* No CA key, and a server that answers no TokenRequest. */
  assert_int_equal(cp_identity_issuer_init(&is, f->url, f->ca_crt, f->ca_crt,
                                           NULL, f->host),
                   0);
  assert_null(is.ca_crt); /* a certificate without its key signs nothing */
  cp_plugin_identity_attach(&is, p);
  assert_null(atomic_load(&p->identity));
  assert_ptr_equal(cp_plugin_client(p), f->host);
  user = whoami(p);
  assert_string_equal(user, "admin");
  free(user);
  cp_identity_issuer_free(&is);
  /* No server to ask at all: logged once. */
  assert_int_equal(cp_identity_issuer_init(&is, NULL, NULL, NULL, NULL,
                                           f->host),
                   0);
  cp_plugin_identity_attach(&is, p);
  assert_null(atomic_load(&p->identity));
  assert_int_equal(atomic_load(&is.fallback_logged), 1);
  /* No issuer at all (plugin_credentials = host): the same. */
  cp_plugin_identity_attach(NULL, p);
  assert_null(atomic_load(&p->identity));
  cp_plugin_free(p);
  cp_identity_issuer_free(&is);
}

/* ---- the role from a descriptor ----------------------------------------- */

static int has_rule(json_object *rules, const char *group,
                    const char *resource, const char *verbs) {
  size_t i;

  for (i = 0; i < json_object_array_length(rules); i++) {
    json_object *r = json_object_array_get_idx(rules, i), *g, *res, *v;

    if (json_object_object_get_ex(r, "apiGroups", &g) &&
        json_object_object_get_ex(r, "resources", &res) &&
        json_object_object_get_ex(r, "verbs", &v) &&
        strcmp(json_object_get_string(json_object_array_get_idx(g, 0)),
               group) == 0 &&
        strcmp(json_object_get_string(json_object_array_get_idx(res, 0)),
               resource) == 0 &&
        strcmp(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
               verbs) == 0)
      return 1;
  }
  return 0;
}

static void test_role(void **state) {
  struct cplane_plugin_ctx *p = plugin(NULL);
  char *json = cp_identity_rbac_role(p);
  json_object *o = json_tokener_parse(json), *rules, *v;

  (void)state;
  assert_non_null(o);
  assert_true(json_object_object_get_ex(o, "metadata", &v));
  assert_true(json_object_object_get_ex(v, "name", &v));
  assert_string_equal(json_object_get_string(v), "cplane:plugin:widgets");
  assert_true(json_object_object_get_ex(o, "rules", &rules));
  /* Watched: what confinement allows, the resource and its status. */
  assert_true(has_rule(rules, "apps", "deployments",
                       "[\"get\",\"list\",\"watch\",\"create\",\"update\","
                       "\"patch\",\"delete\",\"deletecollection\"]"));
  assert_true(has_rule(rules, "apps", "deployments/status",
                       "[\"get\",\"update\",\"patch\"]"));
  assert_true(has_rule(rules, "", "configmaps",
                       "[\"get\",\"list\",\"watch\",\"create\",\"update\","
                       "\"patch\",\"delete\",\"deletecollection\"]"));
  assert_true(has_rule(rules, "", "secrets",
                       "[\"get\",\"list\",\"watch\",\"create\",\"update\","
                       "\"patch\",\"delete\",\"deletecollection\"]"));
  assert_true(has_rule(rules, "*", "*/scale",
                       "[\"get\",\"list\",\"watch\",\"create\",\"update\","
                       "\"patch\",\"delete\",\"deletecollection\"]"));
  assert_true(has_rule(rules, "", "events",
                       "[\"create\",\"update\",\"patch\"]"));
  assert_int_equal(json_object_array_length(rules), 3 * 2 + 3 + 1);
  json_object_put(o);
  free(json);
  cp_plugin_free(p);
}

/* ---- confinement ------------------------------------------------------- */

static void test_confine_allows(void **state) {
  struct cplane_plugin_ctx *p = plugin(NULL);

  (void)state;
  /* Watched: the resource and every subresource. */
  assert_true(cp_confine_allows(p, "apps", "deployments", NULL));
  assert_true(cp_confine_allows(p, "apps", "deployments", "status"));
  assert_true(cp_confine_allows(p, "", "namespaces", "finalize"));
  /* The group counts. */
  assert_false(cp_confine_allows(p, "", "deployments", NULL));
  assert_false(cp_confine_allows(p, "extensions", "configmaps", NULL));
  /* Declared by name: it and its subresources. */
  assert_true(cp_confine_allows(p, "", "secrets", NULL));
  assert_true(cp_confine_allows(p, "", "secrets", "status"));
  /* Declared "pods/binding": that subresource only. */
  assert_true(cp_confine_allows(p, "", "pods", "binding"));
  assert_false(cp_confine_allows(p, "", "pods", NULL));
  assert_false(cp_confine_allows(p, "", "pods", "status"));
  assert_false(cp_confine_allows(p, "", "podsx", "binding"));
  /* "*" "/scale" in any group: any resource's scale, nothing else. */
  assert_true(cp_confine_allows(p, "apps", "statefulsets", "scale"));
  assert_true(cp_confine_allows(p, "example.com", "widgets", "scale"));
  assert_false(cp_confine_allows(p, "apps", "statefulsets", NULL));
  assert_false(cp_confine_allows(p, "apps", "statefulsets", "status"));
  /* Events, in either group, as every controller's role has them (the
   * scheduler creates its own). */
  assert_true(cp_confine_allows(p, "", "events", NULL));
  assert_true(cp_confine_allows(p, "events.k8s.io", "events", NULL));
  assert_false(cp_confine_allows(p, "example.com", "events", NULL));
  /* Neither. */
  assert_false(cp_confine_allows(p, "coordination.k8s.io", "leases", NULL));
  assert_false(cp_confine_allows(p, "", "", NULL));
  assert_false(cp_confine_allows(p, "", NULL, NULL));
  cp_plugin_free(p);
}

static void test_confine_refuses_before_any_request(void **state) {
  struct tls_api_fixture *f = *state;
  struct cplane_plugin_ctx *p = plugin(f->host);
  char *msg = NULL, *out = NULL, *resp = NULL;
  size_t len = 0;
  FILE *m;

  /* Off (the default): the server judges, and says 404 or 201. */
  assert_int_equal(cp_api_create(p, &leases, "default",
                                 "{\"apiVersion\":\"coordination.k8s.io/v1\","
                                 "\"kind\":\"Lease\",\"metadata\":{\"name\":"
                                 "\"l\"}}",
                                 NULL, &msg),
                   201);
  assert_null(msg);

  cp_confine_set(1);
  assert_int_equal(cp_api_create(p, &leases, "default",
                                 "{\"metadata\":{\"name\":\"l2\"}}", NULL,
                                 &msg),
                   403);
  assert_string_equal(msg, "plugin widgets may not create "
                           "leases.coordination.k8s.io: not declared in its "
                           "descriptor's writes (confine_plugins = true)");
  free(msg);
  assert_int_equal(cp_api_delete(p, &leases, "default", "l", NULL, &msg),
                   403);
  free(msg);
  assert_int_equal(cp_api_patch_subresource(p, &pods, "default", "x",
                                            "status", CPLANE_PATCH_MERGE,
                                            "{}", NULL, &msg),
                   403);
  assert_non_null(strstr(msg, "may not patch pods/status"));
  free(msg);
  /* Nothing reached the server: the lease l2 does not exist, l does. */
  assert_int_equal(cp_api_request(p, "GET",
                                  "/apis/coordination.k8s.io/v1/namespaces/"
                                  "default/leases/l2",
                                  NULL, &resp, &len),
                   404);
  free(resp);
  assert_int_equal(cp_api_get(p, &leases, "default", "l", NULL, NULL), 200);
  /* Allowed writes go on to the server. */
  assert_int_equal(cp_api_create(p, &secrets, "default",
                                 "{\"apiVersion\":\"v1\",\"kind\":\"Secret\","
                                 "\"metadata\":{\"name\":\"s\"}}",
                                 NULL, &msg),
                   201);
  /* A pods binding is declared; the pod is not there. */
  assert_int_equal(cp_api_write_subresource(
                       p, &pods, CPLANE_WRITE_CREATE, "default", "nope",
                       "binding",
                       "{\"apiVersion\":\"v1\",\"kind\":\"Binding\","
                       "\"metadata\":{\"name\":\"nope\"},\"target\":{"
                       "\"kind\":\"Node\",\"name\":\"n\"}}",
                       NULL, &msg),
                   404);
  free(msg);

  /* Raw requests: read as kube's RequestInfo. */
  assert_int_equal(cp_api_request(p, "POST",
                                  "/api/v1/namespaces/default/pods", "{}",
                                  &resp, NULL),
                   403);
  free(resp);
  assert_int_equal(cp_api_request(p, "DELETE",
                                  "/apis/coordination.k8s.io/v1/namespaces/"
                                  "default/leases?labelSelector=a",
                                  NULL, NULL, NULL),
                   403);
  assert_int_equal(cp_api_request(p, "POST", "/version", "{}", NULL, NULL),
                   403);
  assert_int_equal(cp_api_request(p, "POST", "/", "{}", NULL, NULL), 403);
  assert_int_equal(cp_confine_request(p, "PUT",
                                      "/api/v1/namespaces/kube-system/"
                                      "finalize",
                                      NULL),
                   0);
  assert_int_equal(cp_confine_request(p, "PUT",
                                      "/apis/apps/v1/namespaces/a/"
                                      "statefulsets/s/scale",
                                      NULL),
                   0);
  assert_int_equal(cp_confine_request(p, "DELETE",
                                      "/api/v1/namespaces/a/configmaps",
                                      NULL),
                   0);
  assert_int_equal(cp_confine_request(p, "DELETE", "/api/v1/namespaces/a",
                                      NULL),
                   0);
  assert_int_equal(cp_confine_request(p, "GET", "/anything", NULL), 0);

  /* Counted per plugin, for /metrics. */
  assert_int_equal(atomic_load(&p->confined_writes), 7);
  out = NULL;
  len = 0;
  assert_non_null(m = open_memstream(&out, &len));
  cp_confine_metrics_write(&p, 1, m);
  fclose(m);
  assert_non_null(
      strstr(out, "cplane_plugin_confined_writes_total{plugin=\"widgets\"} 7\n"));
  free(out);

  cp_confine_set(0);
  assert_int_equal(cp_confine_write(p, &leases, NULL, "create", &msg), 0);
  cp_plugin_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_issue, setup, teardown),
      cmocka_unit_test_setup_teardown(test_own_user_and_renewal, setup,
                                      teardown),
      cmocka_unit_test(test_token_parse),
      cmocka_unit_test_setup_teardown(test_token_user_and_renewal,
                                      setup_tokens, teardown),
      cmocka_unit_test_setup_teardown(test_no_credential_falls_back, setup,
                                      teardown),
      cmocka_unit_test(test_role),
      cmocka_unit_test(test_confine_allows),
      cmocka_unit_test_setup_teardown(test_confine_refuses_before_any_request,
                                      setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
