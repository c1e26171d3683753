/*
 * service_alloc - see service_alloc.h.
 */
#include "apiserver/alloc/service_alloc.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <json-c/json.h>

#include <cplane/version.h>

#define IP_PREFIX "ipaddresses/"
#define PORT_PREFIX "servicenodeports/"
/* Random picks before a full look at what is taken: a sparse range
 * rarely needs the look, a crowded one always finds a free address. */
#define RANDOM_TRIES 16
#define SCAN_ROUNDS 3

struct cp_svc_alloc {
  uint32_t net;   /* host order */
  uint32_t size;  /* addresses in the CIDR */
  int lo, hi;     /* NodePort range */
  char cidr[32], ports[16];
};

int cp_svc_parse_cidr(const char *s, uint32_t *net, int *bits) {
  char buf[32], *slash, *end;
  struct in_addr a;
  long b;
  uint32_t n, mask;

  if (s == NULL || strlen(s) >= sizeof buf)
    return -1;
  strcpy(buf, s);
  if ((slash = strchr(buf, '/')) == NULL)
    return -1;
  *slash = '\0';
  b = strtol(slash + 1, &end, 10);
  if (slash[1] == '\0' || *end != '\0' || b < 8 || b > 30 ||
      inet_pton(AF_INET, buf, &a) != 1)
    return -1;
  n = ntohl(a.s_addr);
  mask = b == 0 ? 0 : 0xffffffffu << (32 - b);
  if ((n & ~mask) != 0)
    return -1;
  *net = n;
  *bits = (int)b;
  return 0;
}

int cp_svc_parse_ports(const char *s, int *lo, int *hi) {
  char *end;
  long a, b;

  if (s == NULL)
    return -1;
  a = strtol(s, &end, 10);
  if (end == s || *end != '-')
    return -1;
  s = end + 1;
  b = strtol(s, &end, 10);
  if (end == s || *end != '\0' || a < 1 || b > 65535 || a > b)
    return -1;
  *lo = (int)a;
  *hi = (int)b;
  return 0;
}

struct cp_svc_alloc *cp_svc_alloc_new(const char *cidr, const char *ports) {
  struct cp_svc_alloc *a;
  int bits;

  if (cidr == NULL)
    cidr = CP_SVC_DEFAULT_CIDR;
  if (ports == NULL)
    ports = CP_SVC_DEFAULT_PORTS;
  if ((a = calloc(1, sizeof *a)) == NULL)
    return NULL;
  if (cp_svc_parse_cidr(cidr, &a->net, &bits) < 0 ||
      cp_svc_parse_ports(ports, &a->lo, &a->hi) < 0) {
    free(a);
    return NULL;
  }
  a->size = 1u << (32 - bits);
  snprintf(a->cidr, sizeof a->cidr, "%s", cidr);
  snprintf(a->ports, sizeof a->ports, "%s", ports);
  return a;
}

void cp_svc_alloc_free(struct cp_svc_alloc *a) { free(a); }

const char *cp_svc_alloc_cidr(const struct cp_svc_alloc *a) {
  return a->cidr;
}

const char *cp_svc_alloc_ports(const struct cp_svc_alloc *a) {
  return a->ports;
}

static void ip_text(uint32_t ip, char out[16]) {
  struct in_addr in = {htonl(ip)};

  inet_ntop(AF_INET, &in, out, 16);
}

void cp_svc_alloc_first_ip(const struct cp_svc_alloc *a, char out[16]) {
  ip_text(a->net + 1, out);
}

static uint32_t random_below(uint32_t n) {
  uint32_t r = 0;

  if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
    r = (uint32_t)rand();
  return n ? r % n : 0;
}

/* The stored record of an allocation: an IPAddress-shaped object naming
 * the Service that holds it, with the time for the repair's grace. */
static char *record(const char *kind, const char *key_name, const char *ns,
                    const char *name) {
  json_object *o = json_object_new_object(), *md, *spec, *ref;
  char ts[32];
  time_t now = time(NULL);
  struct tm tm;
  char *text = NULL;

  if (o == NULL)
    return NULL;
  gmtime_r(&now, &tm);
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
  json_object_object_add(o, "apiVersion",
                         json_object_new_string("networking.k8s.io/v1"));
  json_object_object_add(o, "kind", json_object_new_string(kind));
  md = json_object_new_object();
  json_object_object_add(md, "name", json_object_new_string(key_name));
  json_object_object_add(md, "creationTimestamp", json_object_new_string(ts));
  json_object_object_add(o, "metadata", md);
  spec = json_object_new_object();
  ref = json_object_new_object();
  json_object_object_add(ref, "group", json_object_new_string(""));
  json_object_object_add(ref, "resource", json_object_new_string("services"));
  json_object_object_add(ref, "namespace", json_object_new_string(ns));
  json_object_object_add(ref, "name", json_object_new_string(name));
  json_object_object_add(spec, "parentRef", ref);
  json_object_object_add(o, "spec", spec);
  if (md != NULL && spec != NULL && ref != NULL) {
    const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

    text = t != NULL ? strdup(t) : NULL;
  }
  json_object_put(o);
  return text;
}

/* Creates the allocation key prefix+id: 0, CP_SVC_ETAKEN, or a store
 * error. dry: only reads whether the key is free (nothing written). */
static int take(cp_store *s, const char *prefix, const char *id,
                const char *kind, const char *ns, const char *name,
                int dry) {
  char key[64];
  char *val;
  int64_t rev;
  int rc;

  snprintf(key, sizeof key, "%s%s", prefix, id);
  if (dry) {
    cp_store_kv kv = {0};

    rc = cp_store_get(s, key, strlen(key), 0, &kv, NULL);
    cp_store_kv_free(&kv);
    return rc == CPLANE_OK ? CP_SVC_ETAKEN : rc == CPLANE_ENOENT ? 0 : rc;
  }
  if ((val = record(kind, id, ns, name)) == NULL)
    return CPLANE_ENOMEM;
  rc = cp_store_create(s, key, strlen(key), val, strlen(val), &rev);
  free(val);
  if (rc == CP_STORE_EEXISTS)
    return CP_SVC_ETAKEN;
  return rc;
}

/* Which of n slots (offsets from base) are taken, from a list of the
 * allocation keys under prefix; parse turns a key's id into an offset
 * (-1: not one of ours). NULL when the list fails or out of memory. */
static unsigned char *taken_map(cp_store *s, const char *prefix, uint32_t n,
                                long long (*parse)(const char *id,
                                                   const void *arg),
                                const void *arg) {
  cp_store_list_result res = {0};
  unsigned char *map = calloc((n + 7) / 8, 1);
  size_t i, plen = strlen(prefix);

  if (map == NULL ||
      cp_store_list(s, prefix, plen, NULL, 0, 0, 0, &res) != CPLANE_OK) {
    free(map);
    return NULL;
  }
  for (i = 0; i < res.count; i++) {
    char id[32];
    size_t len = res.kvs[i].key_len - plen;
    long long off;

    if (len >= sizeof id)
      continue;
    memcpy(id, res.kvs[i].key + plen, len);
    id[len] = '\0';
    off = parse(id, arg);
    if (off >= 0 && off < (long long)n)
      map[off / 8] |= (unsigned char)(1u << (off % 8));
  }
  cp_store_list_result_free(&res);
  return map;
}

/* A free slot of map in [first, n) from a random start, or -1. */
static long long free_slot(const unsigned char *map, uint32_t first,
                           uint32_t n) {
  uint32_t span = n - first, start = random_below(span), i;

  for (i = 0; i < span; i++) {
    uint32_t off = first + (start + i) % span;

    if (!(map[off / 8] & (1u << (off % 8))))
      return off;
  }
  return -1;
}

static long long ip_offset(const char *id, const void *arg) {
  const struct cp_svc_alloc *a = arg;
  struct in_addr in;

  if (inet_pton(AF_INET, id, &in) != 1)
    return -1;
  return (long long)ntohl(in.s_addr) - (long long)a->net;
}

static long long port_offset(const char *id, const void *arg) {
  const struct cp_svc_alloc *a = arg;
  char *end;
  long p = strtol(id, &end, 10);

  return *end != '\0' || end == id ? -1 : (long long)p - a->lo;
}

static int alloc_ip(struct cp_svc_alloc *a, cp_store *s, const char *want,
                    const char *ns, const char *name, char out[16], int dry) {
  /* Offsets 0 and size-1 are the network and broadcast addresses; 1 is
   * the kubernetes Service's, never picked at random. */
  uint32_t first = a->size > 4 ? 2 : 1, last = a->size - 1;
  int i, rc;

  if (want != NULL && want[0] != '\0') {
    long long off = ip_offset(want, a);
    struct in_addr in;

    if (inet_pton(AF_INET, want, &in) != 1)
      return CP_SVC_EINVAL;
    if (off < 1 || off >= (long long)last)
      return CP_SVC_ERANGE;
    ip_text(a->net + (uint32_t)off, out);
    return take(s, IP_PREFIX, out, "IPAddress", ns, name, dry);
  }
  for (i = 0; i < RANDOM_TRIES; i++) {
    ip_text(a->net + first + random_below(last - first), out);
    rc = take(s, IP_PREFIX, out, "IPAddress", ns, name, dry);
    if (rc != CP_SVC_ETAKEN)
      return rc;
  }
  for (i = 0; i < SCAN_ROUNDS; i++) {
    unsigned char *map = taken_map(s, IP_PREFIX, a->size, ip_offset, a);
    long long off;

    if (map == NULL)
      return CPLANE_ENOMEM;
    off = free_slot(map, first, last);
    free(map);
    if (off < 0)
      return CP_SVC_EFULL;
    ip_text(a->net + (uint32_t)off, out);
    rc = take(s, IP_PREFIX, out, "IPAddress", ns, name, dry);
    if (rc != CP_SVC_ETAKEN)
      return rc;
  }
  return CP_SVC_EFULL;
}

static int alloc_port(struct cp_svc_alloc *a, cp_store *s, int want,
                      const char *ns, const char *name, int *out, int dry) {
  uint32_t n = (uint32_t)(a->hi - a->lo + 1);
  char id[16];
  int i, rc;

  if (want != 0) {
    if (want < a->lo || want > a->hi)
      return CP_SVC_ERANGE;
    snprintf(id, sizeof id, "%d", want);
    *out = want;
    return take(s, PORT_PREFIX, id, "ServiceNodePort", ns, name, dry);
  }
  for (i = 0; i < RANDOM_TRIES + SCAN_ROUNDS; i++) {
    long long off = random_below(n);

    if (i >= RANDOM_TRIES) {
      unsigned char *map = taken_map(s, PORT_PREFIX, n, port_offset, a);

      if (map == NULL)
        return CPLANE_ENOMEM;
      off = free_slot(map, 0, n);
      free(map);
      if (off < 0)
        return CP_SVC_EFULL;
    }
    *out = a->lo + (int)off;
    snprintf(id, sizeof id, "%d", *out);
    rc = take(s, PORT_PREFIX, id, "ServiceNodePort", ns, name, dry);
    if (rc != CP_SVC_ETAKEN)
      return rc;
  }
  return CP_SVC_EFULL;
}

int cp_svc_alloc_ip(struct cp_svc_alloc *a, cp_store *s, const char *want,
                    const char *ns, const char *name, char out[16]) {
  return alloc_ip(a, s, want, ns, name, out, 0);
}

int cp_svc_alloc_ip_dry(struct cp_svc_alloc *a, cp_store *s,
                        const char *want, char out[16]) {
  return alloc_ip(a, s, want, "", "", out, 1);
}

int cp_svc_alloc_port(struct cp_svc_alloc *a, cp_store *s, int want,
                      const char *ns, const char *name, int *out) {
  return alloc_port(a, s, want, ns, name, out, 0);
}

int cp_svc_alloc_port_dry(struct cp_svc_alloc *a, cp_store *s, int want,
                          int *out) {
  return alloc_port(a, s, want, "", "", out, 1);
}

static void release(cp_store *s, const char *prefix, const char *id) {
  char key[64];
  int64_t rev;

  snprintf(key, sizeof key, "%s%s", prefix, id);
  (void)cp_store_delete(s, key, strlen(key), 0, &rev, NULL);
}

void cp_svc_release_ip(cp_store *s, const char *ip) {
  if (ip != NULL && ip[0] != '\0' && strlen(ip) < 40)
    release(s, IP_PREFIX, ip);
}

void cp_svc_release_port(cp_store *s, int port) {
  char id[16];

  snprintf(id, sizeof id, "%d", port);
  release(s, PORT_PREFIX, id);
}

/* ------------------------------------------------------------ repair */

/* A stored value (not NUL-terminated) as JSON, or NULL. */
static json_object *parse_kv(const cp_store_kv *kv) {
  struct json_tokener *tok = json_tokener_new();
  json_object *o;

  if (tok == NULL || kv->value_len > (size_t)CP_STORE_DEFAULT_MAX_VALUE) {
    json_tokener_free(tok);
    return NULL;
  }
  o = json_tokener_parse_ex(tok, (const char *)kv->value, (int)kv->value_len);
  json_tokener_free(tok);
  return o;
}

/* "ip:<ip>" and "port:<n>" of every address a stored Service holds,
 * as the keys of one object. */
static json_object *held_addresses(cp_store *s, int *rc) {
  cp_store_list_result res = {0};
  json_object *held = json_object_new_object();
  size_t i;

  if (held == NULL) {
    *rc = CPLANE_ENOMEM;
    return NULL;
  }
  *rc = cp_store_list(s, "services/", 9, NULL, 0, 0, 0, &res);
  if (*rc != CPLANE_OK) {
    json_object_put(held);
    return NULL;
  }
  for (i = 0; i < res.count; i++) {
    json_object *o = parse_kv(&res.kvs[i]);
    json_object *spec, *ips, *ports, *v;
    size_t j;
    char k[64];

    if (o == NULL)
      continue;
    if (json_object_object_get_ex(o, "spec", &spec) &&
        json_object_is_type(spec, json_type_object)) {
      if (json_object_object_get_ex(spec, "clusterIPs", &ips) &&
          json_object_is_type(ips, json_type_array))
        for (j = 0; j < json_object_array_length(ips); j++) {
          v = json_object_array_get_idx(ips, j);
          if (json_object_is_type(v, json_type_string)) {
            snprintf(k, sizeof k, "ip:%.40s", json_object_get_string(v));
            json_object_object_add(held, k, NULL);
          }
        }
      if (json_object_object_get_ex(spec, "ports", &ports) &&
          json_object_is_type(ports, json_type_array))
        for (j = 0; j < json_object_array_length(ports); j++)
          if (json_object_object_get_ex(json_object_array_get_idx(ports, j),
                                        "nodePort", &v) &&
              json_object_is_type(v, json_type_int)) {
            snprintf(k, sizeof k, "port:%d", json_object_get_int(v));
            json_object_object_add(held, k, NULL);
          }
    }
    json_object_put(o);
  }
  cp_store_list_result_free(&res);
  return held;
}

/* Seconds since the record's creationTimestamp; huge when unreadable. */
static long long record_age(const cp_store_kv *kv) {
  json_object *o = parse_kv(kv), *md, *ts;
  struct tm tm = {0};
  long long age = 1LL << 40;

  if (o != NULL && json_object_object_get_ex(o, "metadata", &md) &&
      json_object_object_get_ex(md, "creationTimestamp", &ts) &&
      json_object_is_type(ts, json_type_string) &&
      strptime(json_object_get_string(ts), "%Y-%m-%dT%H:%M:%SZ", &tm) != NULL)
    age = (long long)(time(NULL) - timegm(&tm));
  json_object_put(o);
  return age;
}

static int repair_prefix(cp_store *s, const char *prefix, const char *tag,
                         json_object *held, long long grace_s) {
  cp_store_list_result res = {0};
  size_t i, plen = strlen(prefix);
  int rc, freed = 0;

  rc = cp_store_list(s, prefix, plen, NULL, 0, 0, 0, &res);
  if (rc != CPLANE_OK)
    return rc;
  for (i = 0; i < res.count; i++) {
    const cp_store_kv *kv = &res.kvs[i];
    char k[64];
    int64_t rev;

    if (kv->key_len - plen > 40)
      continue;
    snprintf(k, sizeof k, "%s:%.*s", tag, (int)(kv->key_len - plen),
             (const char *)kv->key + plen);
    if (json_object_object_get_ex(held, k, NULL) ||
        record_age(kv) < grace_s)
      continue;
    /* Only the record read: one rewritten since is someone's new one. */
    if (cp_store_delete(s, kv->key, kv->key_len, kv->mod_revision, &rev,
                        NULL) == CPLANE_OK)
      freed++;
  }
  cp_store_list_result_free(&res);
  return freed;
}

int cp_svc_alloc_repair(cp_store *s, long long grace_s) {
  int rc, a, b;
  json_object *held = held_addresses(s, &rc);

  if (held == NULL)
    return rc;
  a = repair_prefix(s, IP_PREFIX, "ip", held, grace_s);
  b = repair_prefix(s, PORT_PREFIX, "port", held, grace_s);
  json_object_put(held);
  if (a < 0)
    return a;
  if (b < 0)
    return b;
  return a + b;
}
