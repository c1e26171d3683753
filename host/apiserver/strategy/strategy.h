/*
 * strategy - what the API server knows about one resource type, in one
 * place, as kube-apiserver's registry strategies (pkg/registry/<group>/
 * <resource>/strategy.go): what the server sets or resets on create and
 * update, how an object is validated beyond its schema, the warnings it
 * earns, which field selectors it supports, how it prints as a Table,
 * which categories it belongs to, and what admission and deletion must
 * do for it. The verbs (read, write, delete) ask the strategy; they hold
 * no per-kind branches.
 *
 * A built-in kind is a schema (schemas/<group>.json) plus a strategy
 * file (strategy/<resource>.c) defining one `const struct cp_strategy`
 * and listed in strategy/registry.c. Custom resources share
 * cp_strategy_custom (status/scale from their CRD, printer columns from
 * additionalPrinterColumns). Every member below may be NULL/0: the
 * default is what kube's generic registry does.
 *
 * Call order on a write (create, update, patch; the status and scale
 * subresources are updates of the same object):
 *   decode + schema defaults + prune (schema.c)
 *   prepare_create | prepare_update      (may change obj; never fails)
 *   validate                             (adds to errs; any -> 422)
 *   admit                                (may change obj or refuse)
 *   warnings
 *   store write
 * and after a delete has removed the object from the store, deleted().
 *
 * Threading: strategies are immutable tables; every hook is called on a
 * request worker thread and must be safe to run on several at once (no
 * state of their own outside ctx->store, which is thread-safe).
 * Ownership: hooks borrow obj/old; they may change obj (not old).
 */
#ifndef CPLANE_HOST_APISERVER_STRATEGY_STRATEGY_H
#define CPLANE_HOST_APISERVER_STRATEGY_STRATEGY_H

#include <stddef.h>

#include "apiserver/field_errors.h"
#include "apiserver/request.h"
#include "apiserver/resources.h"

struct json_object;

/* What the write is. Subresource writes are updates with sub set. */
enum cp_strategy_op { CP_OP_CREATE, CP_OP_UPDATE };

struct cp_strategy_write {
  enum cp_strategy_op op;
  const char *subresource; /* NULL, "status", "scale", ... */
  int dry_run;             /* dryRun=All: admit must not keep anything */
  struct cp_api_ctx *ctx;  /* the store and registry, for admit */
  struct cp_api_request *rq;
};

/* One Table column, as meta.k8s.io/v1 TableColumnDefinition. priority
 * 0 prints always, 1 only with -o wide. */
struct cp_table_column {
  const char *name;
  const char *type;   /* "string", "integer", "date", ... */
  const char *format; /* "name" for the NAME column, else "" */
  int priority;
  const char *description;
};

/* Flags: the generic behaviour a kind opts into. */
/* The kind has a spec: metadata.generation is 1 on create and goes up
 * by one whenever the spec (anything outside metadata and status)
 * changes; a kind without spec never gets one (kube: ConfigMap has no
 * generation). */
#define CP_STRATEGY_GENERATION 1u
/* The kind has a status subresource: an update of the main resource
 * keeps the stored status, an update of /status keeps everything but
 * status (and metadata labels/annotations, as kube). */
#define CP_STRATEGY_STATUS_SPLIT 2u
/* Cluster-scoped objects of this kind are only deleted after their
 * spec.finalizers empty (namespaces). */
#define CP_STRATEGY_SPEC_FINALIZERS 4u
/* Writes of this kind change what admission answers for others
 * (namespaces: NamespaceLifecycle; PriorityClasses: Priority); the
 * admission caches are dropped around every write of it. */
#define CP_STRATEGY_ADMISSION_STATE 8u
/* metadata.name is a DNS-1123 label (namespaces), not a subdomain. */
#define CP_STRATEGY_NAME_DNS_LABEL 16u

struct cp_strategy {
  const char *group;    /* "" for core */
  const char *resource; /* plural: matches cp_resource_type */
  unsigned flags;       /* CP_STRATEGY_* */
  const char *const *categories; /* NULL-terminated; {"all", NULL} */
  /* Field selector paths beyond metadata.name and metadata.namespace,
   * NULL-terminated (kube's <kind>ToSelectableFields /
   * AddFieldLabelConversionFunc). */
  const char *const *field_labels;

  /* Sets what the server owns before validation: status cleared on
   * create, defaults kube's defaulting funcs set that the schema's
   * `default` cannot (computed ones), pod status.phase Pending, ... */
  void (*prepare_create)(const struct cp_strategy_write *w,
                         struct json_object *obj);
  /* The same on update; old is the stored object (the status/spec
   * resets of CP_STRATEGY_STATUS_SPLIT and the generation are done by
   * the caller before this runs). */
  void (*prepare_update)(const struct cp_strategy_write *w,
                         struct json_object *obj, struct json_object *old);
  /* kube's ValidateXxx / ValidateXxxUpdate beyond the schema; old NULL
   * on create. Adds every error found to errs. Metadata (name,
   * labels, annotations, finalizers) is validated by the caller. */
  void (*validate)(const struct cp_strategy_write *w,
                   struct json_object *obj, struct json_object *old,
                   struct cp_field_errors *errs);
  /* Admission the kind needs inside the server (allocating a Service's
   * ClusterIP, a pod's priority from its PriorityClass, ...). Returns 0,
   * or -1 having set rs to the refusal. On dry run nothing may be kept
   * (allocate nothing, or release it before returning). */
  int (*admit)(const struct cp_strategy_write *w, struct json_object *obj,
               struct json_object *old, struct cp_api_response *rs);
  /* Warnings for a write (kube's WarningsOnCreate/WarningsOnUpdate):
   * cp_api_add_warning(rs, ...). */
  void (*warnings)(const struct cp_strategy_write *w,
                   struct json_object *obj, struct json_object *old,
                   struct cp_api_response *rs);
  /* After the object was removed from the store (not on dry run):
   * release what admit took. */
  void (*deleted)(struct cp_api_ctx *ctx, struct json_object *obj);

  /* Table output (kubectl get); columns NULL: NAME, AGE. The cells
   * function appends one cell per column (including NAME, and the
   * priority-1 ones), now being the time ages count to. */
  const struct cp_table_column *columns;
  size_t n_columns;
  void (*cells)(struct json_object *obj, long long now,
                struct json_object *cells);

  /* Added by kwork (members at the end, as strategy.h allows). */
  /* Before a delete of obj (the stored object; not on a collection
   * delete's dry run either): returns 0, or -1 having set rs to the
   * refusal (kube: a system PriorityClass "cannot be deleted"). NULL:
   * every delete may go on. */
  int (*admit_delete)(struct cp_api_ctx *ctx,
                      const struct cp_resource_type *t,
                      struct json_object *obj, struct cp_api_response *rs);
  /* Kinds served in several versions over one store prefix (autoscaling
   * v1 and v2 HorizontalPodAutoscaler): the version objects are stored
   * in, and the conversion of obj, in place, to version `to` of the
   * kind's group (apiVersion included). Returns 0, or -1 when obj cannot
   * be converted (then it is unchanged). Every read converts the stored
   * object to the request's version (cp_strategy_from_storage); a write
   * is stored in the version it was made in, so that reads must convert
   * from either. storage_version names the version discovery's
   * storageVersionHash is computed from. NULL: one version only. */
  const char *storage_version;
  int (*convert)(struct json_object *obj, const char *to);

  /* Added by kplat (members at the end, as strategy.h allows). */
  /* kube's rule for metadata.name when it is not the DNS-1123 subdomain
   * every other kind has (RBAC and APIService names are path segment
   * names, so "system:controller:x" is valid): the message for name, or
   * NULL when valid (name NULL: NULL). NULL: the DNS-1123 subdomain
   * rule. */
  const char *(*name_error)(const char *name);

  /* A kind stored in another group's version under the same keys
   * (events.k8s.io/v1 Event as core/v1 Event; built-in keys carry no
   * group, so both share "events/"): to_storage turns obj, as validated,
   * into the stored form (the verbs do not call it: the kind's admit
   * does, and its presence tells discovery the storage version);
   * from_storage turns a stored object into this kind's form on every
   * read (cp_strategy_from_storage). NULL: stored as served. Both are
   * pure and idempotent. */
  void (*to_storage)(struct json_object *obj);
  void (*from_storage)(struct json_object *obj);

  /* Names of objects of this kind a delete is refused for, 403 (kube's
   * NamespaceLifecycle: default, kube-system, kube-public);
   * NULL-terminated. */
  const char *const *undeletable;
  /* A delete is marking obj for deletion (finalizers hold it; its
   * deletionTimestamp is set, the write still to come): what the kind
   * changes on it then (a namespace's phase Terminating, a definition's
   * Terminating condition). */
  void (*deleting)(struct cp_api_ctx *ctx, struct json_object *obj);
  /* After obj was first marked for deletion and stored (not on dry
   * run): a definition's cleanup starts. */
  void (*marked)(struct cp_api_ctx *ctx, struct json_object *obj);
  /* After a create or update of obj was stored (not on dry run): a
   * definition's types start being served. */
  void (*stored)(struct cp_api_ctx *ctx, struct json_object *obj);

  /* Added by k13 (members at the end, as strategy.h allows). */
  /* An update that admission let through has ended (not on dry run):
   * stored 1 when obj
   * replaced old in the store (or removed it), 0 when the write did not
   * happen. Hands back what admit took that is no longer held: old's
   * extra allocations after a stored write, obj's after a failed one
   * (kube's service REST update releases a Service's ClusterIP and
   * NodePorts it stops using). */
  void (*update_done)(struct cp_api_ctx *ctx, struct json_object *obj,
                      struct json_object *old, int stored);
  /* Added by admmisc. kube's built-in mutating admission plugins for the
   * kind (ServiceAccount, Priority, DefaultTolerationSeconds,
   * DefaultStorageClass): run on the decoded, defaulted object before
   * the mutating webhooks see it (admission.h cp_admission_mutate), so
   * those see what kube's would. Returns 0, or -1 having set rs. Nothing
   * may be kept (it is not released). */
  int (*mutate)(const struct cp_strategy_write *w, struct json_object *obj,
                struct json_object *old, struct cp_api_response *rs);
};

/* The strategy of type t: the built-in kind's, else the custom
 * resource default (t not built in), else the generic default. Never
 * NULL. */
const struct cp_strategy *cp_strategy_for(const struct cp_resource_type *t);

/* 1 when path is a field label of t (metadata.name and
 * metadata.namespace always are). */
int cp_strategy_field_label_ok(const struct cp_resource_type *t,
                               const char *path);

/* Turns a stored object of built-in type t into the form t serves
 * (from_storage, then convert to t's version); what every read does. */
void cp_strategy_from_storage(const struct cp_resource_type *t,
                              struct json_object *obj);

/* 1 when t belongs to category c ("all"). */
int cp_strategy_in_category(const struct cp_resource_type *t,
                            const char *c);

#endif /* CPLANE_HOST_APISERVER_STRATEGY_STRATEGY_H */
