/*
 * hook - one webhook read from its configuration (hook.h).
 */
#include "apiserver/webhook/hook.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/match_conditions.h"
#include "apiserver/strategy/platform_fields.h"

/* A copy of s, or NULL for NULL; *nomem set when the copy failed. */
static char *dup_or_null(const char *s, int *nomem) {
  char *d;

  if (s == NULL)
    return NULL;
  if ((d = strdup(s)) == NULL)
    *nomem = 1;
  return d;
}

/* A reference to member key of o when it has type t, else NULL. */
static json_object *ref(json_object *o, const char *key, json_type t) {
  json_object *v = cp_plat_get(o, key, t);

  return v != NULL ? json_object_get(v) : NULL;
}

static int str_is(json_object *o, const char *key, const char *want) {
  const char *v = cp_plat_str(o, key);

  return v != NULL && strcmp(v, want) == 0;
}

/* Whether the string array member key of o holds want. */
static int lists(json_object *o, const char *key, const char *want) {
  json_object *a = cp_plat_get(o, key, json_type_array);
  size_t i;

  for (i = 0; a != NULL && i < json_object_array_length(a); i++) {
    json_object *s = json_object_array_get_idx(a, i);

    if (json_object_is_type(s, json_type_string) &&
        strcmp(json_object_get_string(s), want) == 0)
      return 1;
  }
  return 0;
}

static void client_config(json_object *cc, struct cp_webhook *h,
                          int *nomem) {
  json_object *svc = cp_plat_get(cc, "service", json_type_object);
  const char *ca = cp_plat_str(cc, "caBundle");
  long long port = 443;

  h->url = dup_or_null(cp_plat_str(cc, "url"), nomem);
  if (svc != NULL) {
    h->svc_ns = dup_or_null(cp_plat_str(svc, "namespace"), nomem);
    h->svc_name = dup_or_null(cp_plat_str(svc, "name"), nomem);
    h->svc_path = dup_or_null(cp_plat_str(svc, "path"), nomem);
    if (!cp_plat_int(svc, "port", &port) || port < 1 || port > 65535)
      port = 443;
    h->svc_port = (int)port;
  }
  if (ca != NULL && ca[0] != '\0') {
    size_t n = 0;
    unsigned char *pem = cp_plat_b64_decode(ca, &n);

    /* A PEM bundle is text: NUL-terminated for OpenSSL's BIO. */
    if (pem != NULL && (h->ca_pem = malloc(n + 1)) != NULL) {
      memcpy(h->ca_pem, pem, n);
      h->ca_pem[n] = '\0';
    } else if (pem != NULL) {
      *nomem = 1;
    }
    free(pem);
  }
}

int cp_webhook_parse(json_object *def, const char *config,
                     const char *config_uid, size_t index, int mutating,
                     struct cp_webhook *out) {
  const char *name = cp_plat_str(def, "name"), *se;
  long long timeout = CP_WEBHOOK_TIMEOUT_DEFAULT;
  int nomem = 0;

  memset(out, 0, sizeof *out);
  if (name == NULL || config == NULL)
    return -1;
  out->name = dup_or_null(name, &nomem);
  out->config = dup_or_null(config, &nomem);
  if (asprintf(&out->uid, "%s/%zu", config_uid ? config_uid : config,
               index) < 0) {
    out->uid = NULL;
    nomem = 1;
  }
  out->mutating = mutating;
  out->rules = ref(def, "rules", json_type_array);
  out->ns_selector = ref(def, "namespaceSelector", json_type_object);
  out->obj_selector = ref(def, "objectSelector", json_type_object);
  /* Compiled once here: a condition stored by another server that does
   * not compile errors when evaluated (its failurePolicy decides). */
  if (cp_match_conditions_compile(
          cp_plat_get(def, "matchConditions", json_type_array),
          cp_match_conditions_webhook_vars, &out->conditions,
          &out->n_conditions, &out->conditions_error) < 0)
    nomem = 1;
  out->fail_open = str_is(def, "failurePolicy", "Ignore");
  out->exact = str_is(def, "matchPolicy", "Exact");
  se = cp_plat_str(def, "sideEffects");
  out->dry_run_ok = se != NULL && (strcmp(se, "None") == 0 ||
                                   strcmp(se, "NoneOnDryRun") == 0);
  out->reinvoke = mutating && str_is(def, "reinvocationPolicy", "IfNeeded");
  if (!cp_plat_int(def, "timeoutSeconds", &timeout) || timeout < 1 ||
      timeout > CP_WEBHOOK_TIMEOUT_MAX)
    timeout = CP_WEBHOOK_TIMEOUT_DEFAULT;
  out->timeout_s = (int)timeout;
  out->v1 = lists(def, "admissionReviewVersions", "v1");
  client_config(cp_plat_get(def, "clientConfig", json_type_object), out,
                &nomem);
  if (!nomem)
    return 0;
  cp_webhook_clear(out);
  return -1;
}

void cp_webhook_clear(struct cp_webhook *h) {
  if (h == NULL)
    return;
  free(h->name);
  free(h->config);
  free(h->uid);
  json_object_put(h->rules);
  json_object_put(h->ns_selector);
  json_object_put(h->obj_selector);
  cp_named_exprs_free(h->conditions, h->n_conditions);
  free(h->conditions_error);
  free(h->url);
  free(h->svc_ns);
  free(h->svc_name);
  free(h->svc_path);
  free(h->ca_pem);
  memset(h, 0, sizeof *h);
}
