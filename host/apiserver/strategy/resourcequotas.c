/*
 * resourcequotas - core/v1 ResourceQuota: ValidateResourceQuota's scope
 * and hard value checks, the status reset on create, and the columns `kubectl get quota`
 * prints (used/hard of each resource the status carries, limits.* apart).
 */
#include "apiserver/strategy/core_kinds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/printers.h"
#include "apiserver/strategy/quantity.h"
#include "apiserver/strategy/volumes.h"

#define MAX_RESOURCES 256

static const char *const scopes[] = {
    "BestEffort", "CrossNamespacePodAffinity", "NotBestEffort",
    "NotTerminating", "PriorityClass", "Terminating", NULL};

static int in(const char *const *list, const char *s) {
  for (; *list != NULL; list++)
    if (strcmp(*list, s) == 0)
      return 1;
  return 0;
}

static void prepare_create(const struct cp_strategy_write *w,
                           json_object *o) {
  (void)w;
  /* kube's PrepareForCreate: the status is the quota controller's. */
  json_object_object_del(o, "status");
}

/* kube's ValidateResourceQuantityValue on each spec.hard value: not
 * negative (a value that is no quantity is the schema's to refuse). */
static void validate_hard(json_object *o, struct cp_field_errors *errs) {
  json_object *hard = cp_field_typed(o, "spec.hard", json_type_object);
  size_t n = 0;

  if (hard == NULL)
    return;
  json_object_object_foreach(hard, k, v) {
    cp_quantity q;
    char path[300];

    if (n++ >= MAX_RESOURCES)
      break;
    if (cp_quantity_parse(v, &q) < 0 || q >= 0)
      continue;
    snprintf(path, sizeof path, "spec.hard[%.250s]", k);
    cp_field_invalid_str(errs, path, json_object_get_string(v),
                         "must be greater than or equal to 0");
  }
}

static void validate(const struct cp_strategy_write *w, json_object *o,
                     json_object *old, struct cp_field_errors *errs) {
  json_object *sc = cp_field_typed(o, "spec.scopes", json_type_array);
  size_t i, n = sc != NULL ? json_object_array_length(sc) : 0;

  (void)old;
  if (w->subresource != NULL)
    return;
  validate_hard(o, errs);
  for (i = 0; i < n && i < MAX_RESOURCES; i++) {
    json_object *s = json_object_array_get_idx(sc, i);
    char path[40];

    snprintf(path, sizeof path, "spec.scopes[%zu]", i);
    if (json_object_is_type(s, json_type_string) &&
        !in(scopes, json_object_get_string(s)))
      cp_field_not_supported(errs, path, json_object_get_string(s), scopes);
  }
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, "Name must be unique within a namespace."},
    {"Age", "string", "", 0, "CreationTimestamp is a timestamp representing "
                             "the server time when this object was "
                             "created."},
    {"Request", "string", "", 0, "Request represents a minimum amount of "
                                 "cpu/memory that a container may consume."},
    {"Limit", "string", "", 0, "Limits control the maximum amount of "
                               "cpu/memory that a container may use "
                               "independent of contention on the node."},
};

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends "res: used/hard, " to buf. */
static void add(char *buf, size_t len, const char *res, const char *used,
                const char *hard) {
  size_t n = strlen(buf);

  snprintf(buf + n, len - n, "%s%s: %s/%s", n ? ", " : "", res, used, hard);
}

static void cells(json_object *o, long long now, json_object *out) {
  json_object *hard = cp_field_typed(o, "status.hard", json_type_object);
  json_object *used = cp_field_typed(o, "status.used", json_type_object);
  const char *keys[MAX_RESOURCES];
  size_t n = 0, i;
  char req[1024] = "", lim[1024] = "";

  if (hard != NULL) {
    json_object_object_foreach(hard, k, v) {
      (void)v;
      if (n < MAX_RESOURCES)
        keys[n++] = k;
    }
  }
  qsort(keys, n, sizeof keys[0], cmp_str);
  for (i = 0; i < n; i++) {
    json_object *h = NULL, *u = NULL;
    const char *us;

    json_object_object_get_ex(hard, keys[i], &h);
    json_object_object_get_ex(used, keys[i], &u);
    us = u != NULL ? cp_volume_quantity(u) : "0";
    if (strncmp(keys[i], "limits.", 7) == 0)
      add(lim, sizeof lim, keys[i], us, cp_volume_quantity(h));
    else
      add(req, sizeof req, keys[i], us, cp_volume_quantity(h));
  }
  cp_cell_name(out, o);
  cp_cell_age(out, o, now);
  cp_cell_str(out, req);
  cp_cell_str(out, lim);
}

const struct cp_strategy cp_strategy_resourcequotas = {
    .group = "",
    .resource = "resourcequotas",
    /* ResourceQuota admission reads them (policy_cache.h). */
    .flags = CP_STRATEGY_STATUS_SPLIT | CP_STRATEGY_ADMISSION_STATE,
    .prepare_create = prepare_create,
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
