/*
 * endpoints - core/v1 Endpoints: ValidateEndpoints' address and port
 * checks; `kubectl get ep` prints the first three ip:port pairs.
 */
#include "apiserver/strategy/core_kinds.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/printers.h"

#define MAX_ITEMS 10000 /* per list: bounds the work on a hostile body */
#define SHOWN 3         /* kube's formatEndpoints shows three */

static size_t len_of(json_object *a) {
  size_t n = a != NULL ? json_object_array_length(a) : 0;

  return n < MAX_ITEMS ? n : MAX_ITEMS;
}

static int valid_ip(const char *s) {
  unsigned char buf[16];

  return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static void check_addresses(json_object *a, size_t i, const char *list,
                            struct cp_field_errors *errs) {
  size_t j, n = len_of(a);

  for (j = 0; j < n; j++) {
    const char *ip = cp_field_str(json_object_array_get_idx(a, j), "ip");
    char path[80];

    snprintf(path, sizeof path, "subsets[%zu].%s[%zu].ip", i, list, j);
    if (ip != NULL && !valid_ip(ip))
      cp_field_invalid_str(errs, path, ip,
                           "must be a valid IP address, (e.g. 10.9.8.7 or "
                           "2001:db8::ffff)");
  }
}

static void check_ports(json_object *p, size_t i,
                        struct cp_field_errors *errs) {
  static const char *const protocols[] = {"SCTP", "TCP", "UDP", NULL};
  size_t j, k, n = len_of(p);

  for (j = 0; j < n; j++) {
    json_object *e = json_object_array_get_idx(p, j);
    const char *proto = cp_field_str(e, "protocol");
    int64_t port;
    char path[80];

    snprintf(path, sizeof path, "subsets[%zu].ports[%zu].port", i, j);
    if (cp_field_int(e, "port", &port) && (port < 1 || port > 65535))
      cp_field_invalid_int(errs, path, port,
                           "must be between 1 and 65535, inclusive");
    snprintf(path, sizeof path, "subsets[%zu].ports[%zu].protocol", i, j);
    if (proto == NULL)
      continue;
    for (k = 0; protocols[k] != NULL && strcmp(protocols[k], proto); k++)
      ;
    if (protocols[k] == NULL)
      cp_field_not_supported(errs, path, proto, protocols);
  }
}

static void validate(const struct cp_strategy_write *w, json_object *o,
                     json_object *old, struct cp_field_errors *errs) {
  json_object *subsets = cp_field_typed(o, "subsets", json_type_array);
  size_t i, n = len_of(subsets);

  (void)w;
  (void)old;
  for (i = 0; i < n; i++) {
    json_object *s = json_object_array_get_idx(subsets, i);

    check_addresses(cp_field_typed(s, "addresses", json_type_array), i,
                    "addresses", errs);
    check_addresses(cp_field_typed(s, "notReadyAddresses", json_type_array),
                    i, "notReadyAddresses", errs);
    check_ports(cp_field_typed(s, "ports", json_type_array), i, errs);
  }
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, "Name must be unique within a namespace."},
    {"Endpoints", "string", "", 0, "Endpoints of the endpoints."},
    {"Age", "string", "", 0, "CreationTimestamp is a timestamp representing "
                             "the server time when this object was "
                             "created."},
};

/* Adds one "ip" or "ip:port" to buf unless SHOWN are there already. */
static void add_one(char *buf, size_t len, size_t *count, const char *ip,
                    long long port) {
  size_t used = strlen(buf);

  if (*count < SHOWN) {
    if (port > 0)
      snprintf(buf + used, len - used, "%s%s:%lld", used ? "," : "", ip,
               port);
    else
      snprintf(buf + used, len - used, "%s%s", used ? "," : "", ip);
  }
  (*count)++;
}

/* kube's formatEndpoints(endpoints, nil). */
static void format_endpoints(json_object *o, char *buf, size_t len) {
  json_object *subsets = cp_field_typed(o, "subsets", json_type_array);
  size_t i, j, k, count = 0;

  buf[0] = '\0';
  for (i = 0; i < len_of(subsets); i++) {
    json_object *s = json_object_array_get_idx(subsets, i);
    json_object *ad = cp_field_typed(s, "addresses", json_type_array);
    json_object *ps = cp_field_typed(s, "ports", json_type_array);
    size_t np = len_of(ps);

    for (k = 0; k < (np ? np : 1); k++) {
      int64_t port = 0;

      if (np)
        cp_field_int(json_object_array_get_idx(ps, k), "port", &port);
      for (j = 0; j < len_of(ad); j++) {
        const char *ip = cp_field_str(json_object_array_get_idx(ad, j), "ip");

        if (ip != NULL)
          add_one(buf, len, &count, ip, np ? (long long)port : 0);
      }
    }
  }
  if (count > SHOWN) {
    size_t used = strlen(buf);

    snprintf(buf + used, len - used, " + %zu more...", count - SHOWN);
  }
  if (buf[0] == '\0')
    snprintf(buf, len, "<none>");
}

static void cells(json_object *o, long long now, json_object *out) {
  char buf[512];

  cp_cell_name(out, o);
  format_endpoints(o, buf, sizeof buf);
  cp_cell_str(out, buf);
  cp_cell_age(out, o, now);
}

const struct cp_strategy cp_strategy_endpoints = {
    .group = "",
    .resource = "endpoints",
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
