/*
 * runtimeclasses - node.k8s.io/v1 RuntimeClass, as kube's pkg/registry/
 * node/runtimeclass strategy: handler a DNS label (RFC 1123), immutable.
 */
#include "apiserver/strategy/strategy.h"

#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/printers.h"
#include "apiserver/strategy/workloads.h"

static int dns_label(const char *s) {
  size_t i, n = strlen(s);

  if (n == 0 || n > 63)
    return 0;
  for (i = 0; i < n; i++) {
    char c = s[i];
    int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

    if (!alnum && (c != '-' || i == 0 || i == n - 1))
      return 0;
  }
  return 1;
}

static void validate(const struct cp_strategy_write *w, json_object *obj,
                     json_object *old, struct cp_field_errors *errs) {
  const char *h = cp_field_str(obj, "handler");

  (void)w;
  if (h == NULL) {
    cp_field_required(errs, "handler", NULL);
  } else if (strlen(h) > 63) {
    cp_field_invalid_str(errs, "handler", h,
                         "must be no more than 63 characters");
  } else if (!dns_label(h)) {
    cp_field_invalid_str(
        errs, "handler", h,
        "a lowercase RFC 1123 label must consist of lower case alphanumeric "
        "characters or '-', and must start and end with an alphanumeric "
        "character (e.g. 'my-name',  or '123-abc', regex used for "
        "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
  }
  if (old != NULL)
    cp_check_immutable(obj, old, "", "handler", errs);
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, ""},
    {"Handler", "string", "", 0, ""},
    {"Age", "string", "", 0, ""},
};

static void cells(json_object *obj, long long now, json_object *out) {
  cp_cell_name(out, obj);
  cp_cell_str(out, cp_field_str(obj, "handler"));
  cp_cell_age(out, obj, now);
}

const struct cp_strategy cp_strategy_runtimeclasses = {
    .group = "node.k8s.io",
    .resource = "runtimeclasses",
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
