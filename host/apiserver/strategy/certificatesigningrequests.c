/*
 * certificatesigningrequests - certificates.k8s.io/v1
 * CertificateSigningRequest, as kube's pkg/registry/certificates/
 * certificates and pkg/apis/certificates/validation: spec.request must be
 * a PEM CERTIFICATE REQUEST whose signature verifies (OpenSSL checks it),
 * signerName a "domain/path", usages known and unique, expirationSeconds
 * at least 600; the spec never changes after create (an update keeps the
 * stored one), status is written through /status, where Approved and
 * Denied may not be added: only /approval may (csr_approval.h), which may
 * add them but not remove either. The requester (spec.username, uid,
 * groups) is the authenticated user of the create, whatever the body
 * says. Conditions get kube's timestamps. Signing: csr_signer.h, kicked
 * when an approval is stored.
 */
#include "apiserver/strategy/strategy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "apiserver/csr_signer.h"
#include "apiserver/strategy/platform_fields.h"
#include "apiserver/strategy/platform_print.h"
#include "apiserver/verbs.h"
#include "labels/names.h"

static const char *const field_labels[] = {"spec.signerName", NULL};

static int count_type(json_object *obj, const char *t, json_object **first);

/* kube's PrepareForCreate: the requester is who created it. */
static void set_requester(const struct cp_strategy_write *w,
                          json_object *obj) {
  json_object *spec = cp_plat_get(obj, "spec", json_type_object), *groups;
  const struct cp_api_user *u;
  size_t i;

  if (spec == NULL || w == NULL || w->rq == NULL ||
      w->rq->user.name == NULL)
    return;
  u = &w->rq->user;
  json_object_object_add(spec, "username", json_object_new_string(u->name));
  if (u->uid != NULL && u->uid[0] != '\0')
    json_object_object_add(spec, "uid", json_object_new_string(u->uid));
  else
    json_object_object_del(spec, "uid");
  if (u->n_groups == 0) {
    json_object_object_del(spec, "groups");
    return;
  }
  if ((groups = json_object_new_array()) == NULL)
    return;
  for (i = 0; i < u->n_groups; i++)
    json_object_array_add(groups, json_object_new_string(u->groups[i]));
  json_object_object_add(spec, "groups", groups);
}

static void prepare_create(const struct cp_strategy_write *w,
                           json_object *obj) {
  /* The server owns status: a client cannot create an approved CSR. */
  if (json_object_is_type(obj, json_type_object))
    json_object_object_del(obj, "status");
  set_requester(w, obj);
}

/* The old condition of type t with status s, or NULL. */
static json_object *old_condition(json_object *old, const char *t,
                                  const char *s) {
  json_object *cs = cp_plat_get(cp_plat_get(old, "status", json_type_object),
                                "conditions", json_type_array);
  size_t i;

  for (i = 0; cs != NULL && i < json_object_array_length(cs); i++) {
    json_object *c = json_object_array_get_idx(cs, i);

    if (strcmp(cp_plat_str0(c, "type"), t) == 0 &&
        strcmp(cp_plat_str0(c, "status"), s) == 0)
      return c;
  }
  return NULL;
}

/* SetDefaults_CertificateSigningRequestCondition (status True) and
 * populateConditionTimestamps: lastUpdateTime now when unset,
 * lastTransitionTime kept from the old condition of the same type and
 * status, else now. */
static void condition_defaults(json_object *obj, json_object *old) {
  json_object *cs = cp_plat_get(cp_plat_get(obj, "status", json_type_object),
                                "conditions", json_type_array);
  char now[64];
  size_t i;

  cp_verbs_now_rfc3339(now, sizeof now);
  for (i = 0; cs != NULL && i < json_object_array_length(cs); i++) {
    json_object *c = json_object_array_get_idx(cs, i), *was;
    const char *ltt;

    if (!json_object_is_type(c, json_type_object))
      continue;
    if (cp_plat_str0(c, "status")[0] == '\0')
      json_object_object_add(c, "status", json_object_new_string("True"));
    if (cp_plat_str0(c, "lastUpdateTime")[0] == '\0')
      json_object_object_add(c, "lastUpdateTime",
                             json_object_new_string(now));
    if (cp_plat_str0(c, "lastTransitionTime")[0] != '\0')
      continue;
    was = old_condition(old, cp_plat_str0(c, "type"),
                        cp_plat_str0(c, "status"));
    ltt = cp_plat_str0(was, "lastTransitionTime");
    json_object_object_add(c, "lastTransitionTime",
                           json_object_new_string(ltt[0] ? ltt : now));
  }
}

static void prepare_update(const struct cp_strategy_write *w,
                           json_object *obj, json_object *old) {
  json_object *spec = NULL, *copy = NULL;

  (void)w;
  if (!json_object_is_type(obj, json_type_object))
    return;
  condition_defaults(obj, old);
  /* Spec is immutable: every update keeps the stored one. */
  if (!json_object_object_get_ex(old, "spec", &spec))
    return;
  if (json_object_deep_copy(spec, &copy, NULL) == 0)
    json_object_object_add(obj, "spec", copy);
}

/* An approval was stored: the signer looks now rather than within a
 * second. */
static void stored(struct cp_api_ctx *ctx, json_object *obj) {
  json_object *c;

  if (ctx->csr_signer != NULL && count_type(obj, "Approved", &c) > 0)
    cp_csr_signer_kick(ctx->csr_signer);
}

/* certificates.ParseCSR and CheckSignature: NULL when the PEM holds a
 * CSR whose signature verifies, else Go's message. */
static const char *csr_error(const unsigned char *pem, size_t n) {
  BIO *bio = BIO_new_mem_buf(pem, (int)n);
  char *name = NULL, *header = NULL;
  unsigned char *der = NULL;
  const unsigned char *p;
  long len = 0;
  X509_REQ *req = NULL;
  EVP_PKEY *key = NULL;
  const char *why = "PEM block type must be CERTIFICATE REQUEST";

  if (bio == NULL)
    return "out of memory";
  if (PEM_read_bio(bio, &name, &header, &der, &len) != 1 ||
      strcmp(name, "CERTIFICATE REQUEST") != 0)
    goto out;
  p = der;
  why = "x509: malformed certificate request";
  if ((req = d2i_X509_REQ(NULL, &p, len)) == NULL || p != der + len)
    goto out;
  why = "x509: unsupported public key algorithm";
  if ((key = X509_REQ_get_pubkey(req)) == NULL)
    goto out;
  why = EVP_PKEY_base_id(key) == EVP_PKEY_RSA ? "crypto/rsa: verification "
                                                "error"
        : EVP_PKEY_base_id(key) == EVP_PKEY_EC
            ? "x509: ECDSA verification failure"
            : "x509: signature verification failure";
  if (X509_REQ_verify(req, key) == 1)
    why = NULL;
out:
  EVP_PKEY_free(key);
  X509_REQ_free(req);
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_free(der);
  BIO_free(bio);
  return why;
}

static void validate_request(json_object *spec, struct cp_field_errors *errs) {
  const char *b64 = cp_plat_str0(spec, "request"), *why;
  size_t n = 0;
  unsigned char *pem = cp_plat_b64_decode(b64, &n);
  char *v;

  why = pem != NULL ? csr_error(pem, n)
                    : "PEM block type must be CERTIFICATE REQUEST";
  if (why == NULL)
    goto out;
  if ((v = cp_plat_go_bytes(pem != NULL ? pem : (const unsigned char *)"",
                            n)) == NULL) {
    errs->oom = 1;
    goto out;
  }
  cp_field_errors_add(errs, CP_FIELD_INVALID, "spec.request", v, why);
  free(v);
out:
  free(pem);
}

/* One dot-separated part of a signer name; 0 having added an error. */
static int labels_ok(const char *part, struct cp_field_errors *errs) {
  char lbl[256], why[512];
  const char *p = part, *dot, *err;

  for (;;) {
    size_t n;

    dot = strchr(p, '.');
    n = dot != NULL ? (size_t)(dot - p) : strlen(p);
    if (n >= sizeof lbl)
      n = sizeof lbl - 1;
    memcpy(lbl, p, n);
    lbl[n] = '\0';
    if ((err = cp_name_dns1123_label_error(lbl)) != NULL) {
      snprintf(why, sizeof why, "validating label \"%s\": %s", lbl, err);
      cp_field_invalid_str(errs, "spec.signerName", part, why);
      return 0;
    }
    if (dot == NULL)
      return 1;
    p = dot + 1;
  }
}

/* apivalidation.ValidateSignerName. */
static void validate_signer(const char *s, struct cp_field_errors *errs) {
  const char *slash;
  char domain[600];
  size_t n;

  if (s == NULL || s[0] == '\0') {
    cp_field_required(errs, "spec.signerName", NULL);
    return;
  }
  slash = strchr(s, '/');
  if (slash == NULL || strchr(slash + 1, '/') != NULL) {
    cp_field_invalid_str(errs, "spec.signerName", s,
                         "must be a fully qualified domain and path of the "
                         "form 'example.com/signer-name'");
    return;
  }
  n = (size_t)(slash - s);
  if (n >= sizeof domain)
    n = sizeof domain - 1;
  memcpy(domain, s, n);
  domain[n] = '\0';
  if (n > 253)
    cp_field_errors_add(errs, CP_FIELD_TOO_LONG, "spec.signerName", NULL,
                        "may not be more than 253 bytes");
  labels_ok(domain, errs);
  if (strchr(domain, '.') == NULL)
    cp_field_invalid_str(errs, "spec.signerName", domain,
                         "should be a domain with at least two segments "
                         "separated by dots");
  labels_ok(slash + 1, errs);
}

static const char *const usages[] = {
    "any", "cert sign", "client auth", "code signing", "content commitment",
    "crl sign", "data encipherment", "decipher only", "digital signature",
    "email protection", "encipher only", "ipsec end system", "ipsec tunnel",
    "ipsec user", "key agreement", "key encipherment", "microsoft sgc",
    "netscape sgc", "ocsp signing", "s/mime", "server auth", "signing",
    "timestamping", NULL};

static void validate_usages(json_object *spec, struct cp_field_errors *errs) {
  json_object *u = cp_plat_get(spec, "usages", json_type_array);
  size_t i, j, n = u != NULL ? json_object_array_length(u) : 0;
  char f[64];

  if (n == 0)
    cp_field_required(errs, "spec.usages", NULL);
  for (i = 0; i < n; i++) {
    json_object *e = json_object_array_get_idx(u, i);
    const char *s = json_object_is_type(e, json_type_string)
                        ? json_object_get_string(e)
                        : "";

    snprintf(f, sizeof f, "spec.usages[%zu]", i);
    for (j = 0; usages[j] != NULL && strcmp(usages[j], s) != 0; j++)
      ;
    if (usages[j] == NULL)
      cp_field_not_supported(errs, f, s, usages);
    for (j = 0; j < i; j++)
      if (json_object_equal(e, json_object_array_get_idx(u, j))) {
        char *v = cp_plat_go_value(e);

        cp_field_errors_add(errs, CP_FIELD_DUPLICATE, f, v, NULL);
        free(v);
        break;
      }
  }
}

static int true_only(const char *type) {
  return strcmp(type, "Approved") == 0 || strcmp(type, "Denied") == 0 ||
         strcmp(type, "Failed") == 0;
}

/* validateConditions. */
static void validate_conditions(json_object *obj,
                                struct cp_field_errors *errs) {
  static const char *const all[] = {"False", "True", "Unknown", NULL};
  static const char *const yes[] = {"True", NULL};
  json_object *st = cp_plat_get(obj, "status", json_type_object);
  json_object *cs = cp_plat_get(st, "conditions", json_type_array);
  size_t i, j, n = cs != NULL ? json_object_array_length(cs) : 0;
  int approved = 0, denied = 0;
  char f[64];

  for (i = 0; i < n; i++) {
    json_object *c = json_object_array_get_idx(cs, i);
    const char *type = cp_plat_str0(c, "type");
    const char *status = cp_plat_str0(c, "status");

    if (type[0] == '\0')
      cp_field_errors_addf(errs, CP_FIELD_REQUIRED, NULL, NULL,
                           "status.conditions[%zu].type", i);
    snprintf(f, sizeof f, "status.conditions[%zu].status", i);
    if (status[0] == '\0')
      cp_field_required(errs, f, NULL);
    else if (true_only(type) ? strcmp(status, "True") != 0
                             : strcmp(status, "True") != 0 &&
                                   strcmp(status, "False") != 0 &&
                                   strcmp(status, "Unknown") != 0)
      cp_field_not_supported(errs, f, status, true_only(type) ? yes : all);
    approved |= strcmp(type, "Approved") == 0;
    denied |= strcmp(type, "Denied") == 0;
    if (approved && denied &&
        (strcmp(type, "Approved") == 0 || strcmp(type, "Denied") == 0))
      cp_field_invalid_str(errs, "status.conditions", type,
                           "Approved and Denied conditions are mutually "
                           "exclusive");
    for (j = 0; j < i; j++)
      if (strcmp(cp_plat_str0(json_object_array_get_idx(cs, j), "type"),
                 type) == 0) {
        cp_field_errors_addf(errs, CP_FIELD_DUPLICATE, NULL, NULL,
                             "status.conditions[%zu].type", i);
        break;
      }
  }
}

/* How many conditions of type t obj has; *first: the first of them. */
static int count_type(json_object *obj, const char *t, json_object **first) {
  json_object *st = cp_plat_get(obj, "status", json_type_object);
  json_object *cs = cp_plat_get(st, "conditions", json_type_array);
  size_t i;
  int n = 0;

  *first = NULL;
  for (i = 0; cs != NULL && i < json_object_array_length(cs); i++) {
    json_object *c = json_object_array_get_idx(cs, i);

    if (strcmp(cp_plat_str0(c, "type"), t) == 0 && n++ == 0)
      *first = c;
  }
  return n;
}

/* validateCertificateSigningRequestUpdate's condition and certificate
 * rules: outside /approval, Approved and Denied may not change; there,
 * they may be added but not removed. */
static void validate_update(json_object *obj, json_object *old, int status,
                            int approval, struct cp_field_errors *errs) {
  static const char *const kept[] = {"Approved", "Denied", "Failed", NULL};
  json_object *a, *b;
  const char *cert, *was;
  char why[128];
  size_t i;

  for (i = 0; kept[i] != NULL; i++) {
    int now = count_type(obj, kept[i], &a), then = count_type(old, kept[i], &b);

    if (now < then) {
      snprintf(why, sizeof why, "updates may not remove a condition of type "
                                "\"%s\"", kept[i]);
      cp_field_forbidden(errs, "status.conditions", why);
    } else if (approval) {
      continue;
    } else if (i < 2 && now > then) {
      snprintf(why, sizeof why, "updates may not add a condition of type "
                                "\"%s\"", kept[i]);
      cp_field_forbidden(errs, "status.conditions", why);
    } else if (i < 2 && !cp_plat_equal(a, b)) {
      snprintf(why, sizeof why, "updates may not modify a condition of type "
                                "\"%s\"", kept[i]);
      cp_field_forbidden(errs, "status.conditions", why);
    }
  }
  cert = cp_plat_str0(cp_plat_get(obj, "status", json_type_object),
                      "certificate");
  was = cp_plat_str0(cp_plat_get(old, "status", json_type_object),
                     "certificate");
  if (strcmp(cert, was) == 0)
    return;
  if (!status)
    cp_field_forbidden(errs, "status.certificate",
                       "updates may not set certificate content");
  else if (was[0] != '\0')
    cp_field_forbidden(errs, "status.certificate",
                       "updates may not modify existing certificate content");
}

static void validate(const struct cp_strategy_write *w, json_object *obj,
                     json_object *old, struct cp_field_errors *errs) {
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);
  long long exp;

  validate_request(spec, errs);
  validate_usages(spec, errs);
  validate_signer(cp_plat_str(spec, "signerName"), errs);
  if (cp_plat_int(spec, "expirationSeconds", &exp) && exp < 600)
    cp_field_invalid_int(errs, "spec.expirationSeconds", exp,
                         "may not specify a duration less than 600 seconds "
                         "(10 minutes)");
  validate_conditions(obj, errs);
  if (old != NULL)
    validate_update(obj, old,
                    w != NULL && w->subresource != NULL &&
                        strcmp(w->subresource, "status") == 0,
                    w != NULL && w->subresource != NULL &&
                        strcmp(w->subresource, "approval") == 0,
                    errs);
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, "Name must be unique within a namespace."},
    {"Age", "string", "", 0,
     "CreationTimestamp is a timestamp representing the server time when "
     "this object was created."},
    {"SignerName", "string", "", 0, "Only requests with this signerName "
                                    "are processed."},
    {"Requestor", "string", "", 0, "Name of the user that requested the "
                                   "certificate."},
    {"RequestedDuration", "string", "", 0, "Requested duration of the "
                                           "issued certificate."},
    {"Condition", "string", "", 0, "The state of the request (Pending, "
                                   "Approved, Denied, Issued)."},
};

static void cells(json_object *obj, long long now, json_object *out) {
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);
  json_object *st = cp_plat_get(obj, "status", json_type_object);
  json_object *c;
  char buf[64];
  long long exp;
  int approved = count_type(obj, "Approved", &c) > 0;
  int denied = count_type(obj, "Denied", &c) > 0;
  int failed = count_type(obj, "Failed", &c) > 0;

  cp_plat_cell_name(out, obj);
  cp_plat_cell_age(out, obj, now);
  cp_plat_cell_str(out, cp_plat_str0(spec, "signerName"));
  cp_plat_cell_str(out, cp_plat_str0(spec, "username"));
  if (cp_plat_int(spec, "expirationSeconds", &exp))
    cp_plat_duration(buf, sizeof buf, exp);
  else
    snprintf(buf, sizeof buf, "<none>");
  cp_plat_cell_str(out, buf);
  /* extractCSRStatus: Denied over Approved over Pending, then Failed and
   * Issued. */
  snprintf(buf, sizeof buf, "%s%s%s",
           denied ? "Denied" : approved ? "Approved" : "Pending",
           failed ? ",Failed" : "",
           cp_plat_str0(st, "certificate")[0] != '\0' ? ",Issued" : "");
  cp_plat_cell_str(out, buf);
}

const struct cp_strategy cp_strategy_certificatesigningrequests = {
    .group = "certificates.k8s.io",
    .resource = "certificatesigningrequests",
    .flags = CP_STRATEGY_STATUS_SPLIT,
    .field_labels = field_labels,
    .prepare_create = prepare_create,
    .prepare_update = prepare_update,
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
    .name_error = cp_plat_path_segment_error,
    .stored = stored,
};
