/*
 * endpointslices - discovery.k8s.io/v1 EndpointSlice: ValidateEndpointSlice
 * (address type, at least one address per endpoint, ports);
 * `kubectl get endpointslices` prints the first three ports and
 * addresses.
 */
#include "apiserver/strategy/core_kinds.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/printers.h"

#define MAX_ENDPOINTS 1000 /* kube's maxEndpoints */
#define MAX_PORTS 20000    /* kube's maxPorts */
#define MAX_ADDRESSES 100  /* kube's maxAddresses */
#define SHOWN 3

static const char *const address_types[] = {"FQDN", "IPv4", "IPv6", NULL};

static int in(const char *const *list, const char *s) {
  for (; *list != NULL; list++)
    if (strcmp(*list, s) == 0)
      return 1;
  return 0;
}

static void validate(const struct cp_strategy_write *w, json_object *o,
                     json_object *old, struct cp_field_errors *errs) {
  const char *at = cp_field_str(o, "addressType");
  json_object *eps = cp_field_typed(o, "endpoints", json_type_array);
  json_object *ports = cp_field_typed(o, "ports", json_type_array);
  size_t i, n = eps != NULL ? json_object_array_length(eps) : 0;

  (void)w;
  if (at == NULL || at[0] == '\0')
    cp_field_required(errs, "addressType", NULL);
  else if (!in(address_types, at))
    cp_field_not_supported(errs, "addressType", at, address_types);
  else if (old != NULL && cp_field_str(old, "addressType") != NULL &&
           strcmp(cp_field_str(old, "addressType"), at) != 0) {
    char q[64];

    snprintf(q, sizeof q, "\"%.40s\"", at);
    cp_field_errors_add(errs, CP_FIELD_INVALID, "addressType", q,
                        "field is immutable");
  }
  if (n > MAX_ENDPOINTS) {
    cp_field_errors_add(errs, CP_FIELD_TOO_MANY, "endpoints", NULL,
                        "must have at most 1000 items");
    n = MAX_ENDPOINTS;
  }
  for (i = 0; i < n; i++) {
    json_object *a = cp_field_typed(json_object_array_get_idx(eps, i),
                                    "addresses", json_type_array);
    size_t na = a != NULL ? json_object_array_length(a) : 0;

    if (na == 0)
      cp_field_errors_addf(errs, CP_FIELD_REQUIRED, NULL,
                           "must contain at least 1 address",
                           "endpoints[%zu].addresses", i);
    else if (na > MAX_ADDRESSES)
      cp_field_errors_addf(errs, CP_FIELD_TOO_MANY, NULL,
                           "must have at most 100 items",
                           "endpoints[%zu].addresses", i);
  }
  n = ports != NULL ? json_object_array_length(ports) : 0;
  for (i = 0; i < n && i < MAX_PORTS; i++) {
    int64_t p;

    if (cp_field_int(json_object_array_get_idx(ports, i), "port", &p) &&
        (p < 1 || p > 65535)) {
      char path[48];

      snprintf(path, sizeof path, "ports[%zu].port", i);
      cp_field_invalid_int(errs, path, p,
                           "must be between 1 and 65535, inclusive");
    }
  }
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, "Name must be unique within a namespace."},
    {"AddressType", "string", "", 0, "The IP protocol for this slice."},
    {"Ports", "string", "", 0, "The ports associated with these endpoints."},
    {"Endpoints", "string", "", 0, "The endpoints in this slice."},
    {"Age", "string", "", 0, "CreationTimestamp is a timestamp representing "
                             "the server time when this object was "
                             "created."},
};

/* kube's listWithMoreString over up to SHOWN items. */
static void add(char *buf, size_t len, size_t *count, const char *s) {
  size_t used = strlen(buf);

  if (*count < SHOWN)
    snprintf(buf + used, len - used, "%s%s", used ? "," : "", s);
  (*count)++;
}

static void finish(char *buf, size_t len, size_t count) {
  size_t used = strlen(buf);

  if (count > SHOWN)
    snprintf(buf + used, len - used, " + %zu more...", count - SHOWN);
  else if (buf[0] == '\0')
    snprintf(buf, len, "<unset>");
}

static void cells(json_object *o, long long now, json_object *out) {
  json_object *ports = cp_field_typed(o, "ports", json_type_array);
  json_object *eps = cp_field_typed(o, "endpoints", json_type_array);
  size_t i, j, count = 0, n;
  char buf[512] = "";

  cp_cell_name(out, o);
  cp_cell_str(out, cp_field_str(o, "addressType"));
  n = ports != NULL ? json_object_array_length(ports) : 0;
  for (i = 0; i < n && i < MAX_PORTS; i++) {
    json_object *p = json_object_array_get_idx(ports, i);
    const char *name = cp_field_str(p, "name");
    int64_t num;
    char one[32];

    if (cp_field_int(p, "port", &num))
      snprintf(one, sizeof one, "%lld", (long long)num);
    else
      snprintf(one, sizeof one, "%.30s", name != NULL ? name : "*");
    add(buf, sizeof buf, &count, one);
  }
  finish(buf, sizeof buf, count);
  cp_cell_str(out, buf);
  buf[0] = '\0';
  count = 0;
  n = eps != NULL ? json_object_array_length(eps) : 0;
  for (i = 0; i < n && i < MAX_ENDPOINTS; i++) {
    json_object *a = cp_field_typed(json_object_array_get_idx(eps, i),
                                    "addresses", json_type_array);

    for (j = 0; a != NULL && j < json_object_array_length(a) &&
                j < MAX_ADDRESSES;
         j++) {
      json_object *s = json_object_array_get_idx(a, j);

      if (json_object_is_type(s, json_type_string))
        add(buf, sizeof buf, &count, json_object_get_string(s));
    }
  }
  finish(buf, sizeof buf, count);
  cp_cell_str(out, buf);
  cp_cell_age(out, o, now);
}

const struct cp_strategy cp_strategy_endpointslices = {
    .group = "discovery.k8s.io",
    .resource = "endpointslices",
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
