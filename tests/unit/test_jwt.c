/*
 * Unit tests for host/apiserver/authn: JWTs (base64url, RS256 and ES256
 * round trips; a foreign signature, alg none, another algorithm, a
 * tampered payload, malformed and huge tokens are refused), the
 * ServiceAccount key (made once in a directory, kept, its kid and JWKS),
 * the claims' validation (expiry and nbf with kube's 60 s leeway,
 * audiences with kube's message, issuers, legacy claims) and
 * impersonation (the impersonate verb per header, kube's groups).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "apiserver/auth.h"
#include "apiserver/authn/impersonation.h"
#include "apiserver/authn/jwt.h"
#include "apiserver/authn/sa_claims.h"
#include "apiserver/authn/sa_key.h"
#include "apiserver/rbac/authorizer.h"
#include "apiserver/rbac/index.h"
#include "encoding/base64.h"

#define ISS "https://kubernetes.default.svc.cluster.local"

static EVP_PKEY *rsa_key(void) { return EVP_RSA_gen(2048); }

static EVP_PKEY *ec_key(void) { return EVP_EC_gen("P-256"); }

static json_object *claims_now(int64_t now) {
  char *aud[] = {ISS};
  struct cp_sa_binding pod = {"Pod", "p1", "pod-uid"};

  return cp_sa_claims_bound(ISS, aud, 1, now, 3600, 0, "default", "bob",
                            "sa-uid", &pod, "jti-1");
}

/* Parts are base64url without padding, decoded strictly: the same
 * signature spelled with stray bits in its last character, or padded,
 * is refused. */
static void test_part_encoding(void **state) {
  static const char abc[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  EVP_PKEY *k = rsa_key();
  json_object *c = claims_now(1000), *out = NULL;
  char *tok = cp_jwt_sign(k, NULL, c), *padded = NULL;
  const char *why = NULL;
  size_t len;
  int v;

  (void)state;
  assert_non_null(tok);
  assert_null(strchr(tok, '='));
  assert_int_equal(cp_jwt_verify(k, tok, &out, &why), CP_JWT_OK);
  json_object_put(out);
  out = NULL;
  /* 256 signature bytes: the last character carries 4 unused bits. */
  assert_true(asprintf(&padded, "%s==", tok) > 0);
  assert_int_not_equal(cp_jwt_verify(k, padded, &out, &why), CP_JWT_OK);
  len = strlen(tok);
  v = (int)(strchr(abc, tok[len - 1]) - abc);
  tok[len - 1] = abc[(v & 0x30) | 1];
  assert_int_not_equal(cp_jwt_verify(k, tok, &out, &why), CP_JWT_OK);
  assert_null(out);
  free(padded);
  free(tok);
  json_object_put(c);
  EVP_PKEY_free(k);
}

static void round_trip(EVP_PKEY *k, const char *alg) {
  json_object *c = claims_now(1000), *out = NULL, *v;
  char *tok = cp_jwt_sign(k, "kid-1", c), *hdr;
  const char *why = NULL;
  size_t n;

  assert_non_null(tok);
  hdr = (char *)cp_base64_decode(CP_BASE64_RAW_URL, 1, tok,
                                 (size_t)(strchr(tok, '.') - tok), &n);
  assert_non_null(hdr);
  assert_non_null(strstr(hdr, alg));
  assert_non_null(strstr(hdr, "\"kid\":\"kid-1\""));
  assert_int_equal(cp_jwt_verify(k, tok, &out, &why), CP_JWT_OK);
  assert_true(json_object_object_get_ex(out, "sub", &v));
  assert_string_equal(json_object_get_string(v),
                      "system:serviceaccount:default:bob");
  json_object_put(out);
  free(hdr);
  free(tok);
  json_object_put(c);
}

static void test_round_trips(void **state) {
  EVP_PKEY *r = rsa_key(), *e = ec_key();

  (void)state;
  assert_string_equal(cp_jwt_alg_for(r), "RS256");
  assert_string_equal(cp_jwt_alg_for(e), "ES256");
  round_trip(r, "\"RS256\"");
  round_trip(e, "\"ES256\"");
  EVP_PKEY_free(r);
  EVP_PKEY_free(e);
}

/* A token with the given header and payload JSON and signature text. */
static char *forge(const char *hdr, const char *payload, const char *sig) {
  char *h = cp_base64_encode(CP_BASE64_RAW_URL, hdr, strlen(hdr));
  char *p = cp_base64_encode(CP_BASE64_RAW_URL, payload, strlen(payload));
  char *t = NULL;

  assert_true(asprintf(&t, "%s.%s.%s", h, p, sig) > 0);
  free(h);
  free(p);
  return t;
}

static void test_refusals(void **state) {
  EVP_PKEY *k = rsa_key(), *other = rsa_key(), *ec = ec_key();
  json_object *c = claims_now(1000), *out = (json_object *)1;
  char *good = cp_jwt_sign(k, "a", c), *foreign = cp_jwt_sign(other, "a", c);
  char *ecs = cp_jwt_sign(ec, "a", c), *t, *tampered, *huge;
  const char *why = NULL;
  size_t i;

  (void)state;
  /* Another key's signature, same algorithm. */
  assert_int_equal(cp_jwt_verify(k, foreign, &out, &why), CP_JWT_SIGNATURE);
  assert_null(out);
  assert_string_equal(why, "error in cryptographic primitive");
  /* ES256 token against an RSA key: the algorithm is not the key's. */
  assert_int_equal(cp_jwt_verify(k, ecs, &out, &why), CP_JWT_ALG);
  /* alg none, with or without a signature part. */
  t = forge("{\"alg\":\"none\"}", "{\"sub\":\"x\"}", "");
  assert_int_equal(cp_jwt_verify(k, t, &out, &why), CP_JWT_ALG);
  free(t);
  t = forge("{\"alg\":\"HS256\"}", "{\"sub\":\"x\"}", "AAAA");
  assert_int_equal(cp_jwt_verify(k, t, &out, &why), CP_JWT_ALG);
  free(t);
  /* The payload changed after signing. */
  tampered = strdup(good);
  i = (size_t)(strchr(tampered, '.') - tampered) + 5;
  tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
  assert_int_equal(cp_jwt_verify(k, tampered, &out, &why),
                   CP_JWT_SIGNATURE);
  free(tampered);
  /* Malformed. */
  assert_int_equal(cp_jwt_verify(k, "abc", &out, &why), CP_JWT_MALFORMED);
  assert_int_equal(cp_jwt_verify(k, "a.b", &out, &why), CP_JWT_MALFORMED);
  assert_int_equal(cp_jwt_verify(k, "a.b.c.d", &out, &why),
                   CP_JWT_MALFORMED);
  assert_int_equal(cp_jwt_verify(k, "!!.b.c", &out, &why), CP_JWT_MALFORMED);
  t = forge("[1]", "{}", "AA");
  assert_int_equal(cp_jwt_verify(k, t, &out, &why), CP_JWT_MALFORMED);
  free(t);
  t = forge("{\"alg\":\"RS256\"", "{}", "AA");
  assert_int_equal(cp_jwt_verify(k, t, &out, &why), CP_JWT_MALFORMED);
  free(t);
  /* Huge. */
  huge = malloc(CP_JWT_MAX_BYTES + 10);
  memset(huge, 'A', CP_JWT_MAX_BYTES + 9);
  huge[3] = '.';
  huge[7] = '.';
  huge[CP_JWT_MAX_BYTES + 9] = '\0';
  assert_int_equal(cp_jwt_verify(k, huge, &out, &why), CP_JWT_TOO_LARGE);
  free(huge);
  free(good);
  free(foreign);
  free(ecs);
  json_object_put(c);
  EVP_PKEY_free(k);
  EVP_PKEY_free(other);
  EVP_PKEY_free(ec);
}

static void test_key_file(void **state) {
  char dir[] = "/tmp/test_jwt_XXXXXX", path[300], *err = NULL, *kid1, *kid2;
  char *jwks;
  EVP_PKEY *k1, *k2;

  (void)state;
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/pki", dir);
  assert_int_equal(cp_sa_key_ensure(path, &err), 0);
  snprintf(path, sizeof path, "%s/pki/sa.key", dir);
  k1 = cp_sa_key_load(path, &err);
  assert_non_null(k1);
  /* A second start keeps the key. */
  snprintf(path, sizeof path, "%s/pki", dir);
  assert_int_equal(cp_sa_key_ensure(path, &err), 0);
  snprintf(path, sizeof path, "%s/pki/sa.key", dir);
  k2 = cp_sa_key_load(path, &err);
  kid1 = cp_sa_key_id(k1);
  kid2 = cp_sa_key_id(k2);
  assert_string_equal(kid1, kid2);
  assert_int_equal(strlen(kid1), 43); /* SHA-256, base64url */
  jwks = cp_sa_key_jwks(k1, kid1);
  assert_non_null(strstr(jwks, "\"kty\":\"RSA\""));
  assert_non_null(strstr(jwks, "\"e\":\"AQAB\""));
  assert_non_null(strstr(jwks, kid1));
  /* Not a key. */
  snprintf(path, sizeof path, "%s/pki/sa.pub", dir);
  assert_null(cp_sa_key_load(path, &err));
  assert_non_null(err);
  free(err);
  free(jwks);
  free(kid1);
  free(kid2);
  EVP_PKEY_free(k1);
  EVP_PKEY_free(k2);
  snprintf(path, sizeof path, "rm -rf '%s'", dir);
  assert_int_equal(system(path), 0);
}

static int check(json_object *c, int64_t now, char *const *want,
                 size_t n_want, struct cp_sa_claims *out, char *why) {
  char *implicit[] = {ISS};

  return cp_sa_claims_check(c, now, ISS, implicit, 1, want, n_want, out,
                            why, 512);
}

static void test_claims_time(void **state) {
  json_object *c = claims_now(1000);
  struct cp_sa_claims out;
  char why[512];

  (void)state;
  assert_int_equal(check(c, 1000, NULL, 0, &out, why), 0);
  assert_string_equal(out.ns, "default");
  assert_string_equal(out.sa.name, "bob");
  assert_string_equal(out.sa.uid, "sa-uid");
  assert_string_equal(out.pod.name, "p1");
  assert_string_equal(out.pod.uid, "pod-uid");
  assert_string_equal(out.jti, "jti-1");
  assert_int_equal(out.legacy, 0);
  /* Expiry at 4600, with go-jose's minute of leeway. */
  assert_int_equal(check(c, 4600 + 60, NULL, 0, &out, why), 0);
  assert_int_equal(check(c, 4600 + 61, NULL, 0, &out, why), -1);
  assert_string_equal(why, "service account token has expired");
  /* Not before 1000, the same leeway. */
  assert_int_equal(check(c, 1000 - 60, NULL, 0, &out, why), 0);
  assert_int_equal(check(c, 1000 - 61, NULL, 0, &out, why), -1);
  assert_string_equal(why, "service account token is not valid yet");
  json_object_put(c);
}

static void test_claims_audiences(void **state) {
  char *aud[] = {"vault", "other"}, *want_vault[] = {"vault"};
  json_object *c = cp_sa_claims_bound(ISS, aud, 2, 1000, 3600, 0, "ns",
                                      "sa", "u", NULL, "j");
  struct cp_sa_claims out;
  char why[512];

  (void)state;
  assert_int_equal(check(c, 1000, NULL, 0, &out, why), -1);
  assert_string_equal(why, "token audiences [\"vault\" \"other\"] is invalid "
                           "for the target audiences [\"" ISS "\"]");
  assert_int_equal(check(c, 1000, want_vault, 1, &out, why), 0);
  assert_int_equal(out.n_audiences, 1);
  assert_string_equal(out.audiences[0], "vault");
  /* "aud" as one string is the same as a list of one. */
  json_object_object_add(c, "aud", json_object_new_string(ISS));
  assert_int_equal(check(c, 1000, NULL, 0, &out, why), 0);
  /* Of the wrong type. */
  json_object_object_add(c, "aud", json_object_new_int(5));
  assert_int_equal(check(c, 1000, NULL, 0, &out, why), -1);
  json_object_put(c);
}

static void test_claims_refused(void **state) {
  json_object *c = claims_now(1000), *k;
  struct cp_sa_claims out;
  char why[512];

  (void)state;
  /* Another issuer. */
  json_object_object_add(c, "iss", json_object_new_string("https://evil"));
  assert_int_equal(check(c, 1000, NULL, 0, &out, why), -1);
  json_object_object_add(c, "iss", json_object_new_string(ISS));
  /* A private claim of the wrong type, or none. */
  json_object_object_add(c, "exp", json_object_new_string("soon"));
  assert_int_equal(check(c, 1000, NULL, 0, &out, why), -1);
  /* A date no int64 holds (was converted anyway: undefined behaviour,
   * UBSan's abort), or none at all. */
  json_object_object_add(c, "exp", json_object_new_double(1e300));
  assert_int_equal(check(c, 1000, NULL, 0, &out, why), -1);
  json_object_object_add(c, "nbf", json_object_new_double(-1e300));
  json_object_object_add(c, "exp", json_object_new_int64(5000));
  assert_int_equal(check(c, 1000, NULL, 0, &out, why), -1);
  json_object_object_add(c, "nbf", json_object_new_double(1000.5));
  assert_int_equal(check(c, 1000, NULL, 0, &out, why), 0);
  assert_true(json_object_object_get_ex(c, "kubernetes.io", &k));
  json_object_object_add(k, "serviceaccount", json_object_new_int(1));
  assert_int_equal(check(c, 1000, NULL, 0, &out, why), -1);
  json_object_object_del(c, "kubernetes.io");
  assert_int_equal(check(c, 1000, NULL, 0, &out, why), -1);
  json_object_put(c);
}

static void test_claims_legacy(void **state) {
  json_object *c = cp_sa_claims_legacy("ns", "sa", "uid-1", "sa-token");
  struct cp_sa_claims out;
  char why[512];

  (void)state;
  /* No expiry, the server's own audience implied. */
  assert_int_equal(check(c, INT32_MAX, NULL, 0, &out, why), 0);
  assert_int_equal(out.legacy, 1);
  assert_string_equal(out.secret.name, "sa-token");
  assert_string_equal(out.sa.uid, "uid-1");
  json_object_object_del(c, "kubernetes.io/serviceaccount/secret.name");
  assert_int_equal(check(c, 1000, NULL, 0, &out, why), -1);
  assert_string_equal(why, "secretName claim is missing");
  json_object_put(c);
}

/* ------------------------------------------------------------ impersonation */

/* alice may impersonate users and groups: RBAC decides, as in the
 * server (a ClusterRole and its binding in the index). */
struct imp_auth {
  struct cp_auth *auth;
  struct cp_rbac_index *index;
  struct cp_rbac *rbac;
};

static void put_rbac(struct cp_rbac_index *x, enum cp_rbac_kind k,
                     const char *text) {
  json_object *o = json_tokener_parse(text);

  assert_non_null(o);
  assert_int_equal(cp_rbac_index_put(x, k, o), 0);
  json_object_put(o);
}

static void auth_with_rule(struct imp_auth *ia) {
  char *err = NULL;

  ia->auth = cp_auth_new(NULL, NULL, 0, &err);
  ia->index = cp_rbac_index_new();
  assert_non_null(ia->auth);
  assert_non_null(ia->index);
  put_rbac(ia->index, CP_RBAC_CLUSTER_ROLE,
           "{\"metadata\":{\"name\":\"imp\"},\"rules\":[{\"apiGroups\":"
           "[\"\"],\"resources\":[\"users\",\"groups\"],\"verbs\":"
           "[\"impersonate\"]}]}");
  put_rbac(ia->index, CP_RBAC_CLUSTER_ROLE_BINDING,
           "{\"metadata\":{\"name\":\"imp\"},\"roleRef\":{\"kind\":"
           "\"ClusterRole\",\"name\":\"imp\"},\"subjects\":[{\"kind\":"
           "\"User\",\"name\":\"alice\"}]}");
  ia->rbac = cp_rbac_over(ia->index);
  assert_non_null(ia->rbac);
  cp_auth_set_rbac(ia->auth, ia->rbac);
}

static void test_impersonation(void **state) {
  struct imp_auth ia;
  struct cp_auth *a;
  struct evkeyvalq h;
  struct cp_api_user u = {0};
  struct cp_request_info d;
  char *groups[] = {"system:authenticated"}, *status = NULL;

  (void)state;
  auth_with_rule(&ia);
  a = ia.auth;
  TAILQ_INIT(&h);
  /* No headers: nothing changes. */
  assert_int_equal(cp_api_user_set(&u, "alice", NULL, groups, 1), 0);
  assert_int_equal(cp_impersonate(a, &h, &u, &d, &status), 0);
  assert_string_equal(u.name, "alice");
  /* Allowed: the user and the groups; system:authenticated is added. */
  evhttp_add_header(&h, "Impersonate-User", "bob");
  evhttp_add_header(&h, "Impersonate-Group", "devs");
  evhttp_add_header(&h, "Impersonate-Group", "ops");
  assert_int_equal(cp_impersonate(a, &h, &u, &d, &status), 0);
  assert_string_equal(u.name, "bob");
  assert_int_equal(u.n_groups, 3);
  assert_string_equal(u.groups[0], "devs");
  assert_string_equal(u.groups[1], "ops");
  assert_string_equal(u.groups[2], "system:authenticated");
  /* bob may not impersonate. */
  assert_int_equal(cp_impersonate(a, &h, &u, &d, &status), 403);
  assert_string_equal(d.verb, "impersonate");
  assert_string_equal(d.resource, "users");
  assert_string_equal(d.name, "bob");
  /* alice may not impersonate a uid, nor extras. */
  assert_int_equal(cp_api_user_set(&u, "alice", NULL, groups, 1), 0);
  evhttp_add_header(&h, "Impersonate-Uid", "1234");
  assert_int_equal(cp_impersonate(a, &h, &u, &d, &status), 403);
  assert_string_equal(d.resource, "uids");
  assert_string_equal(d.group, "authentication.k8s.io");
  evhttp_remove_header(&h, "Impersonate-Uid");
  evhttp_add_header(&h, "Impersonate-Extra-Scopes", "view");
  assert_int_equal(cp_impersonate(a, &h, &u, &d, &status), 403);
  assert_string_equal(d.resource, "userextras");
  assert_string_equal(d.subresource, "Scopes");
  evhttp_clear_headers(&h);
  /* A group without a user is refused. */
  evhttp_add_header(&h, "Impersonate-Group", "devs");
  assert_int_equal(cp_impersonate(a, &h, &u, &d, &status), 500);
  assert_non_null(strstr(status, "without impersonating a user"));
  free(status);
  evhttp_clear_headers(&h);
  /* A ServiceAccount: checked on serviceaccounts, which alice lacks. */
  evhttp_add_header(&h, "Impersonate-User", "system:serviceaccount:ns1:sa1");
  assert_int_equal(cp_impersonate(a, &h, &u, &d, &status), 403);
  assert_string_equal(d.resource, "serviceaccounts");
  assert_string_equal(d.ns, "ns1");
  assert_string_equal(d.name, "sa1");
  evhttp_clear_headers(&h);
  cp_api_user_clear(&u);
  cp_auth_free(a);
  cp_rbac_stop(ia.rbac);
  cp_rbac_index_free(ia.index);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_part_encoding),
      cmocka_unit_test(test_round_trips),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_key_file),
      cmocka_unit_test(test_claims_time),
      cmocka_unit_test(test_claims_audiences),
      cmocka_unit_test(test_claims_refused),
      cmocka_unit_test(test_claims_legacy),
      cmocka_unit_test(test_impersonation),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
