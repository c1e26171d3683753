/*
 * csr_signer - see csr_signer.h. The rules are kube's
 * pkg/controller/certificates/signer (isKubeAPIServerClient,
 * isKubeletClient, isKubeletServing) and pkg/apis/certificates/v1's
 * ValidateKubeletClientCSR / ValidateKubeletServingCSR.
 */
#include "apiserver/csr_signer.h"

#include <json-c/json.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "apiserver/internal_request.h"
#include "apiserver/pki_sign.h"
#include "apiserver/strategy/platform_fields.h"
#include "apiserver/verbs.h"
#include "apiserver/watched_set.h"
#include "encoding/base64.h"
#include "log/log.h"

#define CSR_PREFIX "certificatesigningrequests/"
#define PASS_MS 1000
/* kube's lower bound on a requested duration (2x the backdate). */
#define MIN_SECONDS 600
#define MAX_USAGES 32

#define SIGNER_CLIENT "kubernetes.io/kube-apiserver-client"
#define SIGNER_KUBELET_CLIENT "kubernetes.io/kube-apiserver-client-kubelet"
#define SIGNER_KUBELET_SERVING "kubernetes.io/kubelet-serving"

struct cp_csr_signer {
  struct cp_api_ctx *ctx; /* borrowed */
  char *ca_crt, *ca_key;  /* owned */
  int64_t max_seconds;
  /* The loop (watched_set.h, without watches); atomic: the loop's own
   * writes may kick it before its start has returned. */
  _Atomic(struct cp_watched_set *) set;
};

/* --- the signers' rules --------------------------------------------- */

static int has_usage(const char *const *u, size_t n, const char *name) {
  size_t i;

  for (i = 0; i < n; i++)
    if (strcmp(u[i], name) == 0)
      return 1;
  return 0;
}

/* usages, as a set, is exactly a (or exactly b). */
static int usages_are(const char *const *u, size_t n, const char *const *a) {
  size_t i, k = 0;

  while (a[k] != NULL)
    k++;
  if (n != k)
    return 0;
  for (i = 0; i < k; i++)
    if (!has_usage(u, n, a[i]))
      return 0;
  return 1;
}

/* validAPIServerClientUsages. Its messages name the usage, so they are
 * built in a static buffer per thread. */
static const char *client_usages_error(const char *const *u, size_t n) {
  static __thread char why[160];
  size_t i;

  for (i = 0; i < n; i++)
    if (strcmp(u[i], "digital signature") != 0 &&
        strcmp(u[i], "key encipherment") != 0 &&
        strcmp(u[i], "client auth") != 0) {
      snprintf(why, sizeof why, "invalid usage for client certificate: %s",
               u[i]);
      return why;
    }
  if (!has_usage(u, n, "client auth"))
    return "missing required usage for client certificate: client auth";
  return NULL;
}

/* Subject O is exactly ["system:nodes"]. */
static int org_is_nodes(X509_NAME *subj) {
  int i = X509_NAME_get_index_by_NID(subj, NID_organizationName, -1);
  const ASN1_STRING *s;

  if (i < 0 || X509_NAME_get_index_by_NID(subj, NID_organizationName, i) >= 0)
    return 0;
  s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));
  return ASN1_STRING_length(s) == 12 &&
         memcmp(ASN1_STRING_get0_data(s), "system:nodes", 12) == 0;
}

static int cn_is_node(X509_NAME *subj) {
  int i = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
  const ASN1_STRING *s;

  if (i < 0)
    return 0;
  s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));
  return ASN1_STRING_length(s) >= 12 &&
         memcmp(ASN1_STRING_get0_data(s), "system:node:", 12) == 0;
}

/* How many SANs of GEN_* type t the request asks for. */
static int san_count(X509_REQ *req, int t) {
  STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
  GENERAL_NAMES *names = exts != NULL
                             ? X509V3_get_d2i(exts, NID_subject_alt_name,
                                              NULL, NULL)
                             : NULL;
  int i, n = 0;

  for (i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++)
    n += sk_GENERAL_NAME_value(names, i)->type == t;
  GENERAL_NAMES_free(names);
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  return n;
}

static const char *kubelet_client_error(X509_REQ *req, const char *const *u,
                                        size_t n) {
  static const char *const rsa[] = {"digital signature", "key encipherment",
                                    "client auth", NULL};
  static const char *const ec[] = {"digital signature", "client auth", NULL};
  X509_NAME *subj = X509_REQ_get_subject_name(req);

  if (!org_is_nodes(subj))
    return "subject organization is not system:nodes";
  if (san_count(req, GEN_DNS) > 0)
    return "DNS subjectAltNames are not allowed";
  if (san_count(req, GEN_EMAIL) > 0)
    return "Email subjectAltNames are not allowed";
  if (san_count(req, GEN_IPADD) > 0)
    return "IP subjectAltNames are not allowed";
  if (san_count(req, GEN_URI) > 0)
    return "URI subjectAltNames are not allowed";
  if (!cn_is_node(subj))
    return "subject common name does not begin with system:node:";
  if (!usages_are(u, n, rsa) && !usages_are(u, n, ec))
    return "usages did not match [client auth digital signature key "
           "encipherment]";
  return NULL;
}

static const char *kubelet_serving_error(X509_REQ *req, const char *const *u,
                                         size_t n) {
  static const char *const rsa[] = {"digital signature", "key encipherment",
                                    "server auth", NULL};
  static const char *const ec[] = {"digital signature", "server auth", NULL};
  X509_NAME *subj = X509_REQ_get_subject_name(req);

  if (!usages_are(u, n, rsa) && !usages_are(u, n, ec))
    return "usages did not match [digital signature key encipherment "
           "server auth]";
  if (!org_is_nodes(subj))
    return "subject organization is not system:nodes";
  if (san_count(req, GEN_EMAIL) > 0)
    return "Email subjectAltNames are not allowed";
  if (san_count(req, GEN_URI) > 0)
    return "URI subjectAltNames are not allowed";
  if (san_count(req, GEN_DNS) == 0 && san_count(req, GEN_IPADD) == 0)
    return "DNS or IP subjectAltName is required";
  if (!cn_is_node(subj))
    return "subject common name does not begin with system:node:";
  return NULL;
}

int cp_csr_signer_check(const char *signer, const unsigned char *csr_pem,
                        size_t csr_len, const char *const *u, size_t n,
                        const char **why) {
  BIO *b;
  X509_REQ *req;

  *why = NULL;
  if (signer == NULL || (strcmp(signer, SIGNER_CLIENT) != 0 &&
                         strcmp(signer, SIGNER_KUBELET_CLIENT) != 0 &&
                         strcmp(signer, SIGNER_KUBELET_SERVING) != 0))
    return -1;
  if (strcmp(signer, SIGNER_CLIENT) == 0) {
    *why = client_usages_error(u, n);
    return *why != NULL;
  }
  b = csr_len < (1u << 20) ? BIO_new_mem_buf(csr_pem, (int)csr_len) : NULL;
  req = b != NULL ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL) : NULL;
  BIO_free(b);
  if (req == NULL) {
    *why = "unable to parse csr";
    return 1;
  }
  *why = strcmp(signer, SIGNER_KUBELET_CLIENT) == 0
             ? kubelet_client_error(req, u, n)
             : kubelet_serving_error(req, u, n);
  X509_REQ_free(req);
  return *why != NULL;
}

/* --- one request ---------------------------------------------------- */

static int has_true(json_object *csr, const char *type) {
  json_object *cs = cp_plat_get(cp_plat_get(csr, "status", json_type_object),
                                "conditions", json_type_array);
  size_t i;

  for (i = 0; cs != NULL && i < json_object_array_length(cs); i++) {
    json_object *c = json_object_array_get_idx(cs, i);

    if (strcmp(cp_plat_str0(c, "type"), type) == 0 &&
        strcmp(cp_plat_str0(c, "status"), "True") == 0)
      return 1;
  }
  return 0;
}

/* signer.duration: the requested seconds within [600, max]. */
static int64_t duration(json_object *spec, int64_t max) {
  long long req;

  if (!cp_plat_int(spec, "expirationSeconds", &req) || req > max)
    return max;
  return req < MIN_SECONDS ? MIN_SECONDS : req;
}

/* PUTs csr (as read, with its resourceVersion) to /status. */
static int put_status(struct cp_csr_signer *s, json_object *csr,
                      const char *name) {
  const char *text = json_object_to_json_string_ext(csr,
                                                    JSON_C_TO_STRING_PLAIN);

  if (text == NULL)
    return 500;
  return cp_internal_request(s->ctx, "certificates.k8s.io", "v1",
                             "certificatesigningrequests", CP_API_PUT, NULL,
                             name, "status", NULL, text, NULL);
}

/* Adds the Failed condition kube's signer adds. */
static int add_failed(json_object *csr, const char *why) {
  json_object *st = cp_plat_get(csr, "status", json_type_object);
  json_object *cs, *c = json_object_new_object();
  char now[64];

  if (c == NULL)
    return -1;
  if (st == NULL) {
    st = json_object_new_object();
    json_object_object_add(csr, "status", st);
  }
  if ((cs = cp_plat_get(st, "conditions", json_type_array)) == NULL) {
    cs = json_object_new_array();
    json_object_object_add(st, "conditions", cs);
  }
  cp_verbs_now_rfc3339(now, sizeof now);
  json_object_object_add(c, "type", json_object_new_string("Failed"));
  json_object_object_add(c, "status", json_object_new_string("True"));
  json_object_object_add(c, "reason",
                         json_object_new_string("SignerValidationFailure"));
  json_object_object_add(c, "message", json_object_new_string(why));
  json_object_object_add(c, "lastUpdateTime", json_object_new_string(now));
  json_object_array_add(cs, c);
  return 0;
}

static int set_certificate(json_object *csr, const char *pem) {
  json_object *st = cp_plat_get(csr, "status", json_type_object);
  char *b64 = cp_base64_encode(CP_BASE64_STD, pem, strlen(pem));

  if (b64 == NULL)
    return -1;
  if (st == NULL) {
    st = json_object_new_object();
    json_object_object_add(csr, "status", st);
  }
  json_object_object_add(st, "certificate", json_object_new_string(b64));
  free(b64);
  return 0;
}

/* Collects spec.usages (strings only; the strategy validated them). */
static size_t usages_of(json_object *spec, const char **u) {
  json_object *a = cp_plat_get(spec, "usages", json_type_array);
  size_t i, n = 0;

  for (i = 0; a != NULL && i < json_object_array_length(a) &&
              n < MAX_USAGES; i++) {
    json_object *e = json_object_array_get_idx(a, i);

    if (json_object_is_type(e, json_type_string))
      u[n++] = json_object_get_string(e);
  }
  return n;
}

static void handle(struct cp_csr_signer *s, json_object *csr) {
  json_object *spec = cp_plat_get(csr, "spec", json_type_object);
  const char *name = cp_plat_str(cp_plat_get(csr, "metadata",
                                             json_type_object), "name");
  const char *signer = cp_plat_str(spec, "signerName"), *why, *u[MAX_USAGES];
  unsigned char *pem = NULL;
  char *cert = NULL, *err = NULL;
  size_t pem_len = 0, n;
  int verdict, code;

  if (name == NULL ||
      cp_plat_str0(cp_plat_get(csr, "status", json_type_object),
                   "certificate")[0] != '\0' ||
      !has_true(csr, "Approved") || has_true(csr, "Denied") ||
      has_true(csr, "Failed"))
    return;
  n = usages_of(spec, u);
  pem = cp_plat_b64_decode(cp_plat_str0(spec, "request"), &pem_len);
  if (pem == NULL)
    return;
  verdict = cp_csr_signer_check(signer, pem, pem_len, u, n, &why);
  if (verdict < 0)
    goto out; /* another signer's: its controller's business */
  if (verdict > 0) {
    if (add_failed(csr, why) == 0 &&
        (code = put_status(s, csr, name)) != 200 && code != 409 &&
        code != 404)
      cp_log_warn("apiserver", "certificatesigningrequest %s: cannot set "
                  "its Failed condition (HTTP %d): will retry", name, code);
    goto out;
  }
  cert = cp_pki_sign_csr(s->ca_crt, s->ca_key, pem, pem_len, u, n,
                         duration(spec, s->max_seconds), &err);
  if (cert == NULL) {
    cp_log_warn("apiserver", "certificatesigningrequest %s: cannot sign: "
                "%s; will retry", name, err ? err : "out of memory");
    goto out;
  }
  if (set_certificate(csr, cert) == 0) {
    code = put_status(s, csr, name);
    if (code == 200)
      cp_log_info("apiserver", "certificatesigningrequest %s: signed by "
                  "%s", name, signer);
    else if (code != 409 && code != 404)
      cp_log_warn("apiserver", "certificatesigningrequest %s: cannot store "
                  "its certificate (HTTP %d): will retry", name, code);
  }
out:
  free(err);
  free(cert);
  free(pem);
}

/* The loop's pass: every stored request (listed by the set). */
static int pass(void *arg, json_object **const *objs, const size_t *n,
                size_t prev, struct cp_watched_snapshot **out) {
  size_t i;

  (void)prev;
  for (i = 0; i < n[0]; i++)
    handle(arg, objs[0][i]);
  *out = NULL;
  return 0;
}

static const char *const prefixes[] = {CSR_PREFIX, NULL};

/* Approvals through another API server arrive unannounced: a pass every
 * PASS_MS, and at once when kicked. */
static const struct cp_watched_set_def def = {
    .thread = "api-csr-sign",
    .what = "certificatesigningrequests to sign",
    .prefixes = prefixes,
    .period_ms = PASS_MS,
    .build = pass,
};

void cp_csr_signer_kick(struct cp_csr_signer *s) {
  if (s != NULL)
    cp_watched_set_kick(atomic_load(&s->set));
}

struct cp_csr_signer *cp_csr_signer_start(struct cp_api_ctx *ctx,
                                          const char *ca_crt,
                                          const char *ca_key,
                                          int64_t max_seconds) {
  struct cp_csr_signer *s = calloc(1, sizeof *s);
  struct cp_watched_set *set;

  if (s == NULL)
    return NULL;
  s->ctx = ctx;
  s->max_seconds = max_seconds > 0 ? max_seconds
                                   : CP_CSR_SIGNER_DEFAULT_SECONDS;
  if ((s->ca_crt = strdup(ca_crt)) == NULL ||
      (s->ca_key = strdup(ca_key)) == NULL)
    goto fail;
  /* Before the loop: its own status writes read it (the strategy's
   * stored hook). */
  ctx->csr_signer = s;
  set = cp_watched_set_start(ctx, &def, s, 0);
  if (set == NULL) {
    ctx->csr_signer = NULL;
    goto fail;
  }
  atomic_store(&s->set, set);
  return s;
fail:
  free(s->ca_crt);
  free(s->ca_key);
  free(s);
  return NULL;
}

void cp_csr_signer_stop(struct cp_csr_signer *s) {
  if (s == NULL)
    return;
  cp_watched_set_stop(atomic_load(&s->set));
  if (s->ctx->csr_signer == s)
    s->ctx->csr_signer = NULL;
  free(s->ca_crt);
  free(s->ca_key);
  free(s);
}
