/*
 * networkpolicies - networking.k8s.io/v1 NetworkPolicy, as kube's
 * pkg/registry/networking/networkpolicy: policyTypes defaulted (Ingress,
 * and Egress when egress rules are given), ports (protocol, number or
 * name, endPort), peers (exactly one kind, or selectors together; an
 * ipBlock alone, with except a subset of its cidr).
 */
#include "apiserver/strategy/strategy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/platform_fields.h"
#include "apiserver/strategy/platform_print.h"

static void defaults(json_object *obj) {
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);
  json_object *types;

  if (spec == NULL && json_object_is_type(obj, json_type_object) &&
      (spec = json_object_new_object()) != NULL)
    json_object_object_add(obj, "spec", spec);
  if (spec == NULL)
    return;
  if (cp_plat_get(spec, "podSelector", json_type_object) == NULL)
    json_object_object_add(spec, "podSelector", json_object_new_object());
  if (cp_plat_len(spec, "policyTypes") > 0 ||
      (types = json_object_new_array()) == NULL)
    return;
  json_object_array_add(types, json_object_new_string("Ingress"));
  if (cp_plat_len(spec, "egress") > 0)
    json_object_array_add(types, json_object_new_string("Egress"));
  json_object_object_add(spec, "policyTypes", types);
}

static void prepare_create(const struct cp_strategy_write *w,
                           json_object *obj) {
  (void)w;
  defaults(obj);
}

static void prepare_update(const struct cp_strategy_write *w,
                           json_object *obj, json_object *old) {
  (void)w;
  (void)old;
  defaults(obj);
}

static void validate_port(json_object *p, const char *at,
                          struct cp_field_errors *errs) {
  static const char *const protos[] = {"SCTP", "TCP", "UDP", NULL};
  const char *proto = cp_plat_str(p, "protocol"), *name, *why;
  json_object *port = NULL;
  long long num = 0, end;
  char f[256];

  snprintf(f, sizeof f, "%s.protocol", at);
  if (proto != NULL && strcmp(proto, "TCP") != 0 &&
      strcmp(proto, "UDP") != 0 && strcmp(proto, "SCTP") != 0)
    cp_field_not_supported(errs, f, proto, protos);
  json_object_object_get_ex(p, "port", &port);
  snprintf(f, sizeof f, "%s.port", at);
  if (json_object_is_type(port, json_type_int)) {
    num = (long long)json_object_get_int64(port);
    if (num < 1 || num > 65535)
      cp_field_invalid_int(errs, f, num,
                           "must be between 1 and 65535, inclusive");
  } else if (json_object_is_type(port, json_type_string)) {
    name = json_object_get_string(port);
    if ((why = cp_plat_port_name_error(name)) != NULL)
      cp_field_invalid_str(errs, f, name, why);
  }
  if (!cp_plat_int(p, "endPort", &end))
    return;
  snprintf(f, sizeof f, "%s.endPort", at);
  if (json_object_is_type(port, json_type_string))
    cp_field_forbidden(errs, f, "may not be specified when `port` is "
                                "non-numeric");
  else if (port == NULL)
    cp_field_forbidden(errs, f, "may not be specified when `port` is not "
                                "specified");
  else if (end < num)
    cp_field_invalid_int(errs, f, end,
                         "must be greater than or equal to `port`");
  else if (end < 1 || end > 65535)
    cp_field_invalid_int(errs, f, end,
                         "must be between 1 and 65535, inclusive");
}

/* 1 when the prefix-long start of a equals b's. */
static int same_prefix(const unsigned char *a, const unsigned char *b,
                       int prefix) {
  int i;

  for (i = 0; i < prefix; i++)
    if (((a[i / 8] >> (7 - i % 8)) & 1) != ((b[i / 8] >> (7 - i % 8)) & 1))
      return 0;
  return 1;
}

static void validate_ip_block(json_object *b, const char *at,
                              struct cp_field_errors *errs) {
  static const char *const want =
      "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";
  json_object *except = cp_plat_get(b, "except", json_type_array);
  const char *cidr = cp_plat_str0(b, "cidr");
  unsigned char base[16], a[16];
  int bits, prefix, ebits, eprefix;
  size_t i;
  char f[256];

  snprintf(f, sizeof f, "%s.cidr", at);
  if (cidr[0] == '\0') {
    cp_field_required(errs, f, NULL);
    return;
  }
  if (!cp_plat_cidr(cidr, base, &bits, &prefix)) {
    cp_field_invalid_str(errs, f, cidr, want);
    return;
  }
  for (i = 0; except != NULL && i < json_object_array_length(except); i++) {
    json_object *e = json_object_array_get_idx(except, i);
    const char *s = json_object_is_type(e, json_type_string)
                        ? json_object_get_string(e)
                        : "";

    snprintf(f, sizeof f, "%s.except[%zu]", at, i);
    if (!cp_plat_cidr(s, a, &ebits, &eprefix))
      cp_field_invalid_str(errs, f, s, want);
    else if (ebits != bits || eprefix <= prefix ||
             !same_prefix(a, base, prefix))
      cp_field_invalid_str(errs, f, s, "must be a strict subset of `cidr`");
  }
}

static void validate_peer(json_object *peer, const char *at,
                          struct cp_field_errors *errs) {
  json_object *ip = cp_plat_get(peer, "ipBlock", json_type_object);
  int n = (cp_plat_get(peer, "podSelector", json_type_object) != NULL) +
          (cp_plat_get(peer, "namespaceSelector", json_type_object) != NULL) +
          (ip != NULL);
  char f[200];

  if (n == 0) {
    cp_field_required(errs, at, "must specify a peer");
    return;
  }
  if (n > 1 && ip != NULL) {
    cp_field_forbidden(errs, at, "may not specify both ipBlock and another "
                                 "peer");
    return;
  }
  snprintf(f, sizeof f, "%s.ipBlock", at);
  if (ip != NULL)
    validate_ip_block(ip, f, errs);
}

/* The ingress (peer_key "from") or egress ("to") rules. */
static void validate_rules(json_object *spec, const char *dir,
                           const char *peer_key,
                           struct cp_field_errors *errs) {
  json_object *rules = cp_plat_get(spec, dir, json_type_array);
  size_t i, j;
  char f[128];

  for (i = 0; rules != NULL && i < json_object_array_length(rules); i++) {
    json_object *r = json_object_array_get_idx(rules, i);
    json_object *ports = cp_plat_get(r, "ports", json_type_array);
    json_object *peers = cp_plat_get(r, peer_key, json_type_array);

    for (j = 0; ports != NULL && j < json_object_array_length(ports); j++) {
      snprintf(f, sizeof f, "spec.%s[%zu].ports[%zu]", dir, i, j);
      validate_port(json_object_array_get_idx(ports, j), f, errs);
    }
    for (j = 0; peers != NULL && j < json_object_array_length(peers); j++) {
      snprintf(f, sizeof f, "spec.%s[%zu].%s[%zu]", dir, i, peer_key, j);
      validate_peer(json_object_array_get_idx(peers, j), f, errs);
    }
  }
}

static void validate(const struct cp_strategy_write *w, json_object *obj,
                     json_object *old, struct cp_field_errors *errs) {
  static const char *const kinds[] = {"Egress", "Ingress", NULL};
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);
  json_object *types = cp_plat_get(spec, "policyTypes", json_type_array);
  size_t i, n = types != NULL ? json_object_array_length(types) : 0;
  char f[64];

  (void)w;
  (void)old;
  validate_rules(spec, "ingress", "from", errs);
  validate_rules(spec, "egress", "to", errs);
  for (i = 0; i < n; i++) {
    json_object *t = json_object_array_get_idx(types, i);
    const char *s = json_object_is_type(t, json_type_string)
                        ? json_object_get_string(t)
                        : "";

    snprintf(f, sizeof f, "spec.policyTypes[%zu]", i);
    if (strcmp(s, "Ingress") != 0 && strcmp(s, "Egress") != 0)
      cp_field_not_supported(errs, f, s, kinds);
  }
  if (n > 2) {
    char *v = cp_plat_go_value(types);

    cp_field_errors_add(errs, CP_FIELD_INVALID, "spec.policyTypes",
                        v != NULL ? v : "", "may not specify more than two "
                                            "policyTypes");
    free(v);
  }
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, "Name must be unique within a namespace."},
    {"Pod-Selector", "string", "", 0,
     "Selects the pods to which this NetworkPolicy object applies."},
    {"Age", "string", "", 0,
     "CreationTimestamp is a timestamp representing the server time when "
     "this object was created."},
};

static void cells(json_object *obj, long long now, json_object *out) {
  json_object *spec = cp_plat_get(obj, "spec", json_type_object);

  cp_plat_cell_name(out, obj);
  cp_plat_cell_selector(out, cp_plat_get(spec, "podSelector",
                                         json_type_object));
  cp_plat_cell_age(out, obj, now);
}

const struct cp_strategy cp_strategy_networkpolicies = {
    .group = "networking.k8s.io",
    .resource = "networkpolicies",
    .flags = CP_STRATEGY_GENERATION,
    .prepare_create = prepare_create,
    .prepare_update = prepare_update,
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
