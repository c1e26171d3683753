/*
 * config - see config.h.
 *
 * inih's handler is not told line numbers, so we feed it through our own
 * line reader (ini_parse_stream) that counts lines; every error then names
 * the exact line. Only the first error is kept: later ones are usually
 * consequences of it. The reader works on text in memory
 * (cp_config_parse); cp_config_load reads the file whole first, so the
 * file and the fuzzer take the same path through the parser.
 */
#include "config/config.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apiserver/alloc/service_alloc.h"
#include "config/read_file.h"
#include "log/log.h"

#define PLUGIN_PREFIX "plugin."
#define MAX_WORKERS 1024

struct parse_state {
  struct cp_config *cfg;
  const char *text;    /* what is left to read, text_left bytes */
  size_t text_left;
  int line;            /* line most recently read */
  char *error;         /* first error, malloc'd */
  char *section;       /* current section name */
  char **seen;         /* sections seen so far, for duplicates */
  size_t n_seen;
  struct cp_plugin_config *plugin; /* current plugin section or NULL */
  struct cp_authz_config *authz;   /* current authz section or NULL */
};

static void set_error(struct parse_state *st, const char *fmt, ...)
    CPLANE_PRINTF(2, 3);

static void set_error(struct parse_state *st, const char *fmt, ...) {
  char msg[512];
  va_list ap;

  if (st->error != NULL)
    return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (asprintf(&st->error, "%s:%d: %s", st->cfg->path, st->line, msg) < 0)
    st->error = NULL;
}

/* fgets over the text: at most size - 1 bytes, up to and including a
 * newline. A NUL byte inside ends the line early for inih, as it would
 * with fgets on a file. */
static char *reader(char *buf, int size, void *stream) {
  struct parse_state *st = stream;
  const char *nl;
  size_t n;

  if (st->text_left == 0 || size < 2)
    return NULL;
  n = st->text_left < (size_t)size - 1 ? st->text_left : (size_t)size - 1;
  nl = memchr(st->text, '\n', n);
  if (nl != NULL)
    n = (size_t)(nl - st->text) + 1;
  memcpy(buf, st->text, n);
  buf[n] = '\0';
  st->text += n;
  st->text_left -= n;
  st->line++;
  return buf;
}

int cp_config_parse_bool(const char *text) {
  static const char *const yes[] = {"true", "yes", "on", "1"};
  static const char *const no[] = {"false", "no", "off", "0"};
  size_t i;

  if (text == NULL)
    return -1;
  for (i = 0; i < 4; i++) {
    if (strcasecmp(text, yes[i]) == 0)
      return 1;
    if (strcasecmp(text, no[i]) == 0)
      return 0;
  }
  return -1;
}

int cp_config_parse_duration(const char *text, uint64_t *out_ms) {
  char *end;
  unsigned long long n;
  uint64_t mult;

  if (text == NULL || *text < '0' || *text > '9')
    return -1;
  errno = 0;
  n = strtoull(text, &end, 10);
  if (errno != 0)
    return -1;
  if (*end == '\0' || strcmp(end, "s") == 0)
    mult = 1000;
  else if (strcmp(end, "ms") == 0)
    mult = 1;
  else if (strcmp(end, "m") == 0)
    mult = 60 * 1000;
  else if (strcmp(end, "h") == 0)
    mult = 3600 * 1000;
  else
    return -1;
  if (n > UINT64_MAX / mult)
    return -1;
  *out_ms = (uint64_t)n * mult;
  return 0;
}

static int parse_workers(struct parse_state *st, const char *v, int *out) {
  char *end;
  long n;

  errno = 0;
  n = strtol(v, &end, 10);
  if (errno != 0 || *end != '\0' || end == v || n < 1 || n > MAX_WORKERS) {
    set_error(st, "workers must be a whole number from 1 to %d, not '%s'",
              MAX_WORKERS, v);
    return 0;
  }
  *out = (int)n;
  return 1;
}

static int set_string(struct parse_state *st, char **slot, const char *v) {
  char *copy = strdup(v);

  if (copy == NULL) {
    set_error(st, "out of memory");
    return 0;
  }
  free(*slot);
  *slot = copy;
  return 1;
}

static int set_duration(struct parse_state *st, const char *k,
                        const char *v, uint64_t *slot) {
  if (cp_config_parse_duration(v, slot) < 0 || *slot == 0) {
    set_error(st, "%s must be a duration such as 15s, not '%s'", k, v);
    return 0;
  }
  return 1;
}

static int upgrade_host_key(struct parse_state *st, const char *k,
                            const char *v);
static int identity_host_key(struct parse_state *st, const char *k,
                             const char *v);

static int host_key(struct parse_state *st, const char *k, const char *v) {
  struct cp_config *cfg = st->cfg;
  int level;

  if (strcmp(k, "plugin_dir") == 0)
    return set_string(st, &cfg->plugin_dir, v);
  if (strcmp(k, "api_server") == 0)
    return set_string(st, &cfg->api_server, v);
  if (strcmp(k, "kubeconfig") == 0)
    return set_string(st, &cfg->kubeconfig, v);
  if (strcmp(k, "listen") == 0)
    return set_string(st, &cfg->listen, v);
  if (strcmp(k, "data_dir") == 0)
    return set_string(st, &cfg->data_dir, v);
  if (strcmp(k, "workers") == 0)
    return parse_workers(st, v, &cfg->workers);
  if (strcmp(k, "leader_elect") == 0) {
    if ((cfg->leader_elect = cp_config_parse_bool(v)) < 0) {
      set_error(st, "leader_elect must be true or false, not '%s'", v);
      return 0;
    }
    return 1;
  }
  if (strcmp(k, "leader_lease") == 0)
    return set_duration(st, k, v, &cfg->leader_lease_ms);
  if (strcmp(k, "leader_renew_deadline") == 0)
    return set_duration(st, k, v, &cfg->leader_renew_deadline_ms);
  if (strcmp(k, "leader_retry") == 0)
    return set_duration(st, k, v, &cfg->leader_retry_ms);
  if (strcmp(k, "shutdown_timeout") == 0)
    return set_duration(st, k, v, &cfg->shutdown_timeout_ms);
  if (strcmp(k, "log_level") == 0) {
    level = cp_log_level_parse(v);
    if (level < 0) {
      set_error(st, "log_level must be error, warn, info or debug, not '%s'",
                v);
      return 0;
    }
    cfg->log_level = level;
    return 1;
  }
  if (strcmp(k, "max_retained_images") == 0)
    return upgrade_host_key(st, k, v);
  if (strcmp(k, "plugin_credentials") == 0 ||
      strcmp(k, "confine_plugins") == 0 ||
      strcmp(k, "plugin_token_seconds") == 0)
    return identity_host_key(st, k, v);
  set_error(st, "unknown key '%s' in [host] (known: plugin_dir, api_server, "
                "kubeconfig, listen, data_dir, workers, log_level, "
                "leader_elect, leader_lease, leader_renew_deadline, "
                "leader_retry, shutdown_timeout, max_retained_images, "
                "plugin_credentials, confine_plugins, "
                "plugin_token_seconds)", k);
  return 0;
}

/* Every key plugin_host_key() reads: a plugin need not declare these in
 * its config_keys. Add a key here when the host starts reading it. */
static const char *const host_plugin_keys[] = {
    "enabled", "file",      "workers", "resync", "reconcile_deadline",
    "isolation", NULL};
const char cp_config_host_plugin_keys[] =
    "enabled, file, workers, resync, reconcile_deadline, isolation";

int cp_config_is_host_plugin_key(const char *key) {
  size_t i;

  for (i = 0; host_plugin_keys[i] != NULL; i++)
    if (strcmp(host_plugin_keys[i], key) == 0)
      return 1;
  return 0;
}

static int parse_isolation(struct parse_state *st, const char *v,
                           enum cp_isolation *out) {
  if (strcmp(v, "in-process") == 0)
    *out = CP_ISOLATION_IN_PROCESS;
  else if (strcmp(v, "process") == 0)
    *out = CP_ISOLATION_PROCESS;
  else {
    set_error(st, "isolation must be process or in-process, not '%s'", v);
    return 0;
  }
  return 1;
}

static int plugin_host_key(struct parse_state *st,
                           struct cp_plugin_config *pc, const char *k,
                           const char *v) {
  int b;

  if (strcmp(k, "enabled") == 0) {
    b = cp_config_parse_bool(v);
    if (b < 0) {
      set_error(st, "enabled must be true or false, not '%s'", v);
      return 0;
    }
    pc->enabled = b;
    return 1;
  }
  if (strcmp(k, "file") == 0)
    return set_string(st, &pc->file, v);
  if (strcmp(k, "workers") == 0)
    return parse_workers(st, v, &pc->workers);
  if (strcmp(k, "resync") == 0 || strcmp(k, "reconcile_deadline") == 0) {
    uint64_t *slot = strcmp(k, "resync") == 0 ? &pc->resync_ms
                                              : &pc->reconcile_deadline_ms;
    if (cp_config_parse_duration(v, slot) < 0) {
      set_error(st, "%s must be a duration like 30s, 5m or 0, not '%s'", k,
                v);
      return 0;
    }
    return 1;
  }
  if (strcmp(k, "isolation") == 0)
    return parse_isolation(st, v, &pc->isolation);
  return 1; /* a plugin-specific key: the plugin validates it */
}

static int plugin_key(struct parse_state *st, const char *k, const char *v) {
  struct cp_plugin_config *pc = st->plugin;
  struct cp_config_kv *kv;
  size_t i;

  for (i = 0; i < pc->n_keys; i++) {
    if (strcmp(pc->keys[i].key, k) == 0) {
      set_error(st, "duplicate key '%s' in [%s]", k, st->section);
      return 0;
    }
  }
  kv = realloc(pc->keys, (pc->n_keys + 1) * sizeof *kv);
  if (kv == NULL) {
    set_error(st, "out of memory");
    return 0;
  }
  pc->keys = kv;
  kv[pc->n_keys].key = strdup(k);
  kv[pc->n_keys].value = strdup(v);
  kv[pc->n_keys].line = st->line;
  pc->n_keys++;
  if (kv[pc->n_keys - 1].key == NULL || kv[pc->n_keys - 1].value == NULL) {
    set_error(st, "out of memory");
    return 0;
  }
  return plugin_host_key(st, pc, k, v);
}

static int valid_plugin_name(const char *name) {
  const char *p;

  if (*name == '\0' || strlen(name) > 63)
    return 0;
  for (p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
          *p == '-' || *p == '_'))
      return 0;
  return 1;
}

static int open_plugin_section(struct parse_state *st, const char *name) {
  struct cp_config *cfg = st->cfg;
  struct cp_plugin_config *p;

  if (!valid_plugin_name(name)) {
    set_error(st, "invalid plugin name '%s' (use a-z, 0-9, '-' and '_', "
                  "at most 63)", name);
    return 0;
  }
  p = realloc(cfg->plugins, (cfg->n_plugins + 1) * sizeof *p);
  if (p == NULL) {
    set_error(st, "out of memory");
    return 0;
  }
  cfg->plugins = p;
  p = &cfg->plugins[cfg->n_plugins++];
  memset(p, 0, sizeof *p);
  p->line = st->line;
  p->name = strdup(name);
  if (p->name == NULL) {
    set_error(st, "out of memory");
    return 0;
  }
  st->plugin = p;
  return 1;
}

static int parse_int_range(struct parse_state *st, const char *k,
                           const char *v, long lo, long hi, long *out) {
  char *end;
  long n;

  errno = 0;
  n = strtol(v, &end, 10);
  if (errno != 0 || *end != '\0' || end == v || n < lo || n > hi) {
    set_error(st, "%s must be a whole number from %ld to %ld, not '%s'", k,
              lo, hi, v);
    return 0;
  }
  *out = n;
  return 1;
}

/* Hot upgrade's bound (upgrade.h): 0 forbids upgrades. */
static int upgrade_host_key(struct parse_state *st, const char *k,
                            const char *v) {
  long n;

  if (!parse_int_range(st, k, v, 0, 1024, &n))
    return 0;
  st->cfg->max_retained_images = (int)n;
  return 1;
}

/* Who plugins call the API as, and whether their writes are confined
 * (plugin/identity.h, plugin/confine.h). */
static int identity_host_key(struct parse_state *st, const char *k,
                             const char *v) {
  long n;

  /* TokenRequest's own bounds: kube refuses less than 10 minutes and more
   * than 2^32 seconds. */
  if (strcmp(k, "plugin_token_seconds") == 0) {
    if (!parse_int_range(st, k, v, 600, 4294967296L, &n))
      return 0;
    st->cfg->plugin_token_seconds = n;
    return 1;
  }
  if (strcmp(k, "plugin_credentials") == 0) {
    if (strcmp(v, "host") != 0 && strcmp(v, "own") != 0) {
      set_error(st, "plugin_credentials must be host or own, not '%s'", v);
      return 0;
    }
    st->cfg->plugin_credentials_own = strcmp(v, "own") == 0;
    return 1;
  }
  if ((st->cfg->confine_plugins = cp_config_parse_bool(v)) < 0) {
    set_error(st, "confine_plugins must be true or false, not '%s'", v);
    return 0;
  }
  return 1;
}

static int apiserver_key(struct parse_state *st, const char *k,
                         const char *v) {
  struct cp_apiserver_settings *a = &st->cfg->apiserver;
  long n;

  if (strcmp(k, "address") == 0)
    return set_string(st, &a->address, v);
  if (strcmp(k, "port") == 0) {
    if (!parse_int_range(st, k, v, 0, 65535, &n))
      return 0;
    a->port = (int)n;
    st->cfg->apiserver_port_set = 1;
    return 1;
  }
  if (strcmp(k, "store") == 0) {
    if (strcmp(v, "sqlite") != 0 && strcmp(v, "etcd") != 0) {
      set_error(st, "store must be sqlite or etcd, not '%s'", v);
      return 0;
    }
    return set_string(st, &a->store, v);
  }
  if (strcmp(k, "sqlite_path") == 0)
    return set_string(st, &a->sqlite_path, v);
  if (strcmp(k, "etcd_endpoints") == 0)
    return set_string(st, &a->etcd_endpoints, v);
  if (strcmp(k, "etcd_prefix") == 0)
    return set_string(st, &a->etcd_prefix, v);
  if (strcmp(k, "etcd_ca_file") == 0)
    return set_string(st, &a->etcd_ca_file, v);
  if (strcmp(k, "etcd_cert_file") == 0)
    return set_string(st, &a->etcd_cert_file, v);
  if (strcmp(k, "etcd_key_file") == 0)
    return set_string(st, &a->etcd_key_file, v);
  if (strcmp(k, "etcd_dial_timeout") == 0)
    return set_duration(st, k, v, &a->etcd_dial_timeout_ms);
  if (strcmp(k, "etcd_request_timeout") == 0)
    return set_duration(st, k, v, &a->etcd_request_timeout_ms);
  if (strcmp(k, "kubeconfig_out") == 0)
    return set_string(st, &a->kubeconfig_out, v);
  if (strcmp(k, "tls") == 0) {
    int b = cp_config_parse_bool(v);

    if (b < 0) {
      set_error(st, "tls must be true or false, not '%s'", v);
      return 0;
    }
    a->tls = b;
    st->cfg->apiserver_tls_set = 1;
    return 1;
  }
  if (strcmp(k, "tls_cert_file") == 0)
    return set_string(st, &a->tls_cert_file, v);
  if (strcmp(k, "tls_key_file") == 0)
    return set_string(st, &a->tls_key_file, v);
  if (strcmp(k, "tls_ca_file") == 0)
    return set_string(st, &a->tls_ca_file, v);
  if (strcmp(k, "client_ca_file") == 0)
    return set_string(st, &a->client_ca_file, v);
  if (strcmp(k, "tokens_file") == 0)
    return set_string(st, &a->tokens_file, v);
  if (strcmp(k, "service_account_key_file") == 0)
    return set_string(st, &a->service_account_key_file, v);
  if (strcmp(k, "service_account_issuer") == 0)
    return set_string(st, &a->service_account_issuer, v);
  if (strcmp(k, "anonymous") == 0) {
    if ((a->anonymous = cp_config_parse_bool(v)) < 0) {
      set_error(st, "anonymous must be true or false, not '%s'", v);
      return 0;
    }
    return 1;
  }
  if (strcmp(k, "disable_admission_plugins") == 0)
    return set_string(st, &a->disable_admission_plugins, v);
  if (strcmp(k, "podsecurity_exempt_usernames") == 0)
    return set_string(st, &a->podsecurity_exempt_usernames, v);
  if (strcmp(k, "podsecurity_exempt_namespaces") == 0)
    return set_string(st, &a->podsecurity_exempt_namespaces, v);
  if (strcmp(k, "podsecurity_exempt_runtime_classes") == 0)
    return set_string(st, &a->podsecurity_exempt_runtime_classes, v);
  if (strcmp(k, "cluster_signing_cert_file") == 0)
    return set_string(st, &a->cluster_signing_cert_file, v);
  if (strcmp(k, "cluster_signing_key_file") == 0)
    return set_string(st, &a->cluster_signing_key_file, v);
  if (strcmp(k, "cluster_signing_duration") == 0)
    return set_duration(st, k, v, &a->cluster_signing_duration_ms);
  if (strcmp(k, "audit_policy_file") == 0)
    return set_string(st, &a->audit_policy_file, v);
  if (strcmp(k, "audit_log_path") == 0)
    return set_string(st, &a->audit_log_path, v);
  if (strcmp(k, "audit_log_maxsize") == 0 ||
      strcmp(k, "audit_log_maxbackup") == 0 ||
      strcmp(k, "audit_log_maxage") == 0) {
    if (!parse_int_range(st, k, v, 0, 1L << 20, &n))
      return 0;
    *(k[13] == 's' ? &a->audit_log_maxsize
      : k[13] == 'b' ? &a->audit_log_maxbackup
                     : &a->audit_log_maxage) = (int)n;
    return 1;
  }
  if (strcmp(k, "service_cidr") == 0) {
    uint32_t net;
    int bits;

    if (cp_svc_parse_cidr(v, &net, &bits) < 0) {
      set_error(st, "service_cidr must be an IPv4 network such as "
                    "10.96.0.0/12 (prefix 8 to 30, host bits zero), not "
                    "'%s'", v);
      return 0;
    }
    return set_string(st, &a->service_cidr, v);
  }
  if (strcmp(k, "service_node_port_range") == 0) {
    int lo, hi;

    if (cp_svc_parse_ports(v, &lo, &hi) < 0) {
      set_error(st, "service_node_port_range must be a port range such as "
                    "30000-32767, not '%s'", v);
      return 0;
    }
    return set_string(st, &a->service_node_port_range, v);
  }
  if (strcmp(k, "compact_interval") == 0) {
    if (cp_config_parse_duration(v, &a->compact_interval_ms) < 0 ||
        a->compact_interval_ms == 0) {
      set_error(st, "compact_interval must be a duration such as 5m, not "
                    "'%s'", v);
      return 0;
    }
    return 1;
  }
  if (strcmp(k, "workers") == 0) {
    if (!parse_int_range(st, k, v, 1, 256, &n))
      return 0;
    a->workers = (int)n;
    return 1;
  }
  if (strcmp(k, "max_body") == 0) {
    if (!parse_int_range(st, k, v, 1024, 1L << 30, &n))
      return 0;
    a->max_body = (uint64_t)n;
    return 1;
  }
  if (strcmp(k, "read_header_timeout") == 0)
    return set_duration(st, k, v, &a->read_header_timeout_ms);
  if (strcmp(k, "idle_timeout") == 0)
    return set_duration(st, k, v, &a->idle_timeout_ms);
  if (strcmp(k, "watch_stream_bytes") == 0) {
    if (!parse_int_range(st, k, v, 65536, 1L << 40, &n))
      return 0;
    a->watch_stream_bytes = (uint64_t)n;
    return 1;
  }
  if (strcmp(k, "watch_cache_bytes") == 0) {
    if (!parse_int_range(st, k, v, 65536, 1L << 40, &n))
      return 0;
    a->watch_cache_bytes = (uint64_t)n;
    return 1;
  }
  if (strcmp(k, "default_not_ready_toleration_seconds") == 0 ||
      strcmp(k, "default_unreachable_toleration_seconds") == 0) {
    if (!parse_int_range(st, k, v, 1, 1L << 31, &n))
      return 0;
    if (k[8] == 'n') /* default_[n]ot_ready */
      a->default_not_ready_toleration_seconds = (uint64_t)n;
    else
      a->default_unreachable_toleration_seconds = (uint64_t)n;
    return 1;
  }
  set_error(st, "unknown key '%s' in [apiserver] (known: address, port, "
                "store, sqlite_path, etcd_endpoints, etcd_prefix, "
                "etcd_ca_file, etcd_cert_file, etcd_key_file, workers, "
                "max_body, read_header_timeout, idle_timeout, "
                "watch_stream_bytes, watch_cache_bytes, kubeconfig_out, "
                "compact_interval, tls, tls_cert_file, tls_key_file, "
                "tls_ca_file, client_ca_file, tokens_file, "
                "service_account_key_file, service_account_issuer, "
                "anonymous, service_cidr, "
                "service_node_port_range, "
                "default_not_ready_toleration_seconds, "
                "default_unreachable_toleration_seconds, "
                "disable_admission_plugins, "
                "podsecurity_exempt_usernames, podsecurity_exempt_namespaces, "
                "podsecurity_exempt_runtime_classes, "
                "cluster_signing_cert_file, cluster_signing_key_file, "
                "cluster_signing_duration, audit_policy_file, "
                "audit_log_path, audit_log_maxsize, audit_log_maxbackup, "
                "audit_log_maxage)", k);
  return 0;
}

#define AUTHZ_PREFIX "authz."

static int open_authz_section(struct parse_state *st, const char *name) {
  struct cp_config *cfg = st->cfg;
  struct cp_authz_config *a;

  if (name[0] == '\0') {
    set_error(st, "[authz.NAME] needs a name");
    return 0;
  }
  a = realloc(cfg->authz, (cfg->n_authz + 1) * sizeof *a);
  if (a == NULL) {
    set_error(st, "out of memory");
    return 0;
  }
  cfg->authz = a;
  a = &cfg->authz[cfg->n_authz++];
  memset(a, 0, sizeof *a);
  a->line = st->line;
  if ((a->name = strdup(name)) == NULL) {
    set_error(st, "out of memory");
    return 0;
  }
  st->authz = a;
  return 1;
}

static int authz_key(struct parse_state *st, const char *k, const char *v) {
  struct cp_authz_config *a = st->authz;

  if (strcmp(k, "users") == 0)
    return set_string(st, &a->users, v);
  if (strcmp(k, "groups") == 0)
    return set_string(st, &a->groups, v);
  if (strcmp(k, "verbs") == 0)
    return set_string(st, &a->verbs, v);
  if (strcmp(k, "resources") == 0)
    return set_string(st, &a->resources, v);
  if (strcmp(k, "namespaces") == 0)
    return set_string(st, &a->namespaces, v);
  if (strcmp(k, "non_resource_urls") == 0)
    return set_string(st, &a->non_resource_urls, v);
  set_error(st, "unknown key '%s' in [authz.%s] (known: users, groups, "
                "verbs, resources, namespaces, non_resource_urls)", k,
            a->name);
  return 0;
}

/* Called when inih reports a section different from the previous one. */
static int enter_section(struct parse_state *st, const char *section) {
  char **seen;
  size_t i;

  for (i = 0; i < st->n_seen; i++) {
    if (strcmp(st->seen[i], section) == 0) {
      set_error(st, "duplicate section [%s]", section);
      return 0;
    }
  }
  seen = realloc(st->seen, (st->n_seen + 1) * sizeof *seen);
  if (seen == NULL || (seen[st->n_seen] = strdup(section)) == NULL) {
    st->seen = seen != NULL ? seen : st->seen;
    set_error(st, "out of memory");
    return 0;
  }
  st->seen = seen;
  st->n_seen++;
  st->section = seen[st->n_seen - 1];
  st->plugin = NULL;
  st->authz = NULL;
  if (strncmp(section, AUTHZ_PREFIX, strlen(AUTHZ_PREFIX)) == 0)
    return open_authz_section(st, section + strlen(AUTHZ_PREFIX));
  if (strncmp(section, PLUGIN_PREFIX, strlen(PLUGIN_PREFIX)) == 0)
    return open_plugin_section(st, section + strlen(PLUGIN_PREFIX));
  if (strcmp(section, "host") == 0 || strcmp(section, "apiserver") == 0)
    return 1;
  set_error(st, "unknown section [%s] (known: [host], [apiserver], "
                "[authz.NAME], [plugin.NAME])",
            section);
  return 0;
}

static int handler(void *user, const char *section, const char *name,
                   const char *value) {
  struct parse_state *st = user;

  if (st->error != NULL)
    return 0;
  if (*section == '\0') {
    set_error(st, "key '%s' outside any section", name);
    return 0;
  }
  if (st->section == NULL || strcmp(st->section, section) != 0) {
    if (!enter_section(st, section))
      return 0;
  }
  if (strcmp(section, "host") == 0)
    return host_key(st, name, value);
  if (strcmp(section, "apiserver") == 0)
    return apiserver_key(st, name, value);
  if (st->authz != NULL)
    return authz_key(st, name, value);
  if (st->plugin != NULL)
    return plugin_key(st, name, value);
  return 0;
}

static int apply_defaults(struct cp_config *cfg) {
  size_t i;

  if (cfg->api_server == NULL && (cfg->api_server = strdup("embedded")) == NULL)
    return -1;
  if (cfg->shutdown_timeout_ms == 0)
    cfg->shutdown_timeout_ms = 10000;
  if (cfg->listen == NULL &&
      (cfg->listen = strdup("127.0.0.1:10257")) == NULL)
    return -1;
  if (cfg->data_dir == NULL &&
      (cfg->data_dir = strdup("/var/lib/cplane")) == NULL)
    return -1;
  if (!cfg->apiserver_port_set)
    cfg->apiserver.port = 6443;
  if (!cfg->apiserver_tls_set)
    cfg->apiserver.tls = 1;
  for (i = 0; i < cfg->n_plugins; i++) {
    struct cp_plugin_config *pc = &cfg->plugins[i];
    if (pc->workers == 0)
      pc->workers = cfg->workers;
    if (pc->file == NULL && asprintf(&pc->file, "%s.so", pc->name) < 0) {
      pc->file = NULL;
      return -1;
    }
  }
  return 0;
}

int cp_config_parse(const char *name, const char *text, size_t len,
                    struct cp_config **out, char **errmsg) {
  struct parse_state st;
  struct cp_config *cfg;
  size_t i;
  int r, rc = -1;

  *out = NULL;
  *errmsg = NULL;
  memset(&st, 0, sizeof st);
  cfg = calloc(1, sizeof *cfg);
  if (cfg == NULL || (cfg->path = strdup(name)) == NULL) {
    if (asprintf(errmsg, "%s: out of memory", name) < 0)
      *errmsg = NULL;
    goto out;
  }
  cfg->workers = 1;
  cfg->log_level = CPLANE_LOG_INFO;
  cfg->max_retained_images = 8;
  /* Each plugin as its own user, writing only what it declares
   * (plugin/identity.h, plugin/confine.h). */
  cfg->plugin_credentials_own = 1;
  cfg->confine_plugins = 1;
  cfg->plugin_token_seconds = 3600; /* kube-controller-manager's */
  st.cfg = cfg;
  st.text = text;
  st.text_left = len;
  r = ini_parse_stream(reader, &st, handler, &st);
  if (r > 0 && st.error == NULL) {
    st.line = r;
    set_error(&st, "syntax error (expected '[section]', 'key = value' or "
                   "a ; comment)");
  } else if (r < 0 && st.error == NULL) {
    set_error(&st, "cannot parse (out of memory)");
  }
  if (st.error == NULL && apply_defaults(cfg) < 0)
    set_error(&st, "out of memory");
  if (st.error != NULL) {
    *errmsg = st.error;
    st.error = NULL;
    goto out;
  }
  *out = cfg;
  cfg = NULL;
  rc = 0;
out:
  for (i = 0; i < st.n_seen; i++)
    free(st.seen[i]);
  free(st.seen);
  free(st.error);
  cp_config_free(cfg);
  return rc;
}

int cp_config_load(const char *path, struct cp_config **out, char **errmsg) {
  size_t len = 0;
  char *text;
  int rc;

  *out = NULL;
  *errmsg = NULL;
  rc = cp_read_file(path, CP_CONFIG_MAX_BYTES, &text, &len);
  if (rc != 0) {
    if ((rc == EFBIG ? asprintf(errmsg, "%s: larger than %d bytes", path,
                                CP_CONFIG_MAX_BYTES)
                     : asprintf(errmsg, "%s: cannot open: %s", path,
                                strerror(rc))) < 0)
      *errmsg = NULL;
    return -1;
  }
  rc = cp_config_parse(path, text, len, out, errmsg);
  free(text);
  return rc;
}

void cp_config_free(struct cp_config *cfg) {
  size_t i, j;

  if (cfg == NULL)
    return;
  for (i = 0; i < cfg->n_plugins; i++) {
    struct cp_plugin_config *pc = &cfg->plugins[i];
    for (j = 0; j < pc->n_keys; j++) {
      free(pc->keys[j].key);
      free(pc->keys[j].value);
    }
    free(pc->keys);
    free(pc->name);
    free(pc->file);
  }
  free(cfg->plugins);
  free(cfg->path);
  free(cfg->plugin_dir);
  free(cfg->api_server);
  free(cfg->kubeconfig);
  free(cfg->listen);
  free(cfg->data_dir);
  free(cfg->apiserver.address);
  free(cfg->apiserver.store);
  free(cfg->apiserver.sqlite_path);
  free(cfg->apiserver.etcd_endpoints);
  free(cfg->apiserver.etcd_prefix);
  free(cfg->apiserver.etcd_ca_file);
  free(cfg->apiserver.etcd_cert_file);
  free(cfg->apiserver.etcd_key_file);
  free(cfg->apiserver.kubeconfig_out);
  free(cfg->apiserver.tls_cert_file);
  free(cfg->apiserver.tls_key_file);
  free(cfg->apiserver.tls_ca_file);
  free(cfg->apiserver.client_ca_file);
  free(cfg->apiserver.tokens_file);
  free(cfg->apiserver.service_account_key_file);
  free(cfg->apiserver.service_account_issuer);
  free(cfg->apiserver.disable_admission_plugins);
  free(cfg->apiserver.podsecurity_exempt_usernames);
  free(cfg->apiserver.podsecurity_exempt_namespaces);
  free(cfg->apiserver.podsecurity_exempt_runtime_classes);
  free(cfg->apiserver.cluster_signing_cert_file);
  free(cfg->apiserver.cluster_signing_key_file);
  free(cfg->apiserver.audit_policy_file);
  free(cfg->apiserver.audit_log_path);
  free(cfg->apiserver.service_cidr);
  free(cfg->apiserver.service_node_port_range);
  for (i = 0; i < cfg->n_authz; i++) {
    free(cfg->authz[i].name);
    free(cfg->authz[i].users);
    free(cfg->authz[i].groups);
    free(cfg->authz[i].verbs);
    free(cfg->authz[i].resources);
    free(cfg->authz[i].namespaces);
    free(cfg->authz[i].non_resource_urls);
  }
  free(cfg->authz);
  free(cfg);
}

const struct cp_plugin_config *cp_config_plugin(const struct cp_config *cfg,
                                                const char *name) {
  size_t i;

  for (i = 0; i < cfg->n_plugins; i++)
    if (strcmp(cfg->plugins[i].name, name) == 0)
      return &cfg->plugins[i];
  return NULL;
}

const char *cp_plugin_config_get(const struct cp_plugin_config *pc,
                                 const char *key) {
  size_t i;

  for (i = 0; i < pc->n_keys; i++)
    if (strcmp(pc->keys[i].key, key) == 0)
      return pc->keys[i].value;
  return NULL;
}
