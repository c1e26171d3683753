/*
 * hook - one admission webhook of a MutatingWebhookConfiguration or
 * ValidatingWebhookConfiguration, read once from its stored JSON into
 * what admission asks of it on every write (kube's webhook.WebhookAccessor
 * over admissionregistration/v1): its rules and selectors, failurePolicy,
 * matchPolicy, sideEffects, timeoutSeconds, reinvocationPolicy, where to
 * call it and the CA to trust.
 *
 * Configurations are validated when written (strategy/webhooks.c), but a
 * store may hold what another server wrote: every field read here checks
 * its type and a malformed one takes kube's default.
 *
 * Threading: a parsed hook is immutable; read it from any thread.
 * Ownership: cp_webhook_parse fills *out with owned copies (strings, the
 * compiled matchConditions, and references to the JSON of rules and
 * selectors); cp_webhook_clear frees them.
 */
#ifndef CPLANE_HOST_APISERVER_WEBHOOK_HOOK_H
#define CPLANE_HOST_APISERVER_WEBHOOK_HOOK_H

#include <stddef.h>

struct json_object;
struct cp_named_expr;

/* kube's webhook timeout: default 10 s, at most 30 s. */
#define CP_WEBHOOK_TIMEOUT_DEFAULT 10
#define CP_WEBHOOK_TIMEOUT_MAX 30

struct cp_webhook {
  char *name;   /* the webhook's name ("pod-policy.example.com") */
  char *config; /* its configuration's name */
  /* Unique over the set, stable while the configuration is unchanged:
   * "<config uid>/<index>" (reinvocation and the client cache key). */
  char *uid;
  int mutating;
  struct json_object *rules; /* array of RuleWithOperations, or NULL */
  /* metav1.LabelSelector objects; NULL or {} selects everything. */
  struct json_object *ns_selector, *obj_selector;
  /* matchConditions compiled (match_conditions.h), or NULL: none.
   * conditions_error is the first that did not compile, or NULL. */
  struct cp_named_expr *conditions;
  size_t n_conditions;
  char *conditions_error;
  int fail_open;         /* failurePolicy Ignore (default Fail) */
  int exact;             /* matchPolicy Exact (default Equivalent) */
  int dry_run_ok;        /* sideEffects None or NoneOnDryRun */
  int reinvoke;          /* reinvocationPolicy IfNeeded (mutating) */
  int timeout_s;         /* timeoutSeconds, 1..30 */
  int v1;                /* admissionReviewVersions lists "v1" */
  /* clientConfig: url, or service (namespace, name, path, port). */
  char *url;
  char *svc_ns, *svc_name, *svc_path;
  int svc_port; /* default 443 */
  char *ca_pem; /* caBundle decoded; NULL: the system's roots */
};

/* Reads webhook def (one element of the configuration's "webhooks") of
 * configuration config (its metadata.name and metadata.uid) into *out.
 * Returns 0, or -1 when def has no name or memory ran out (*out is then
 * empty). */
int cp_webhook_parse(struct json_object *def, const char *config,
                     const char *config_uid, size_t index, int mutating,
                     struct cp_webhook *out);
void cp_webhook_clear(struct cp_webhook *h);

#endif /* CPLANE_HOST_APISERVER_WEBHOOK_HOOK_H */
