/*
 * config - the host's INI file (parsed with inih).
 *
 * One file, e.g. config/cplane.ini:
 *   [host]            plugin_dir, api_server, kubeconfig, workers,
 *                     log_level, listen, data_dir, leader_*,
 *                     shutdown_timeout, max_retained_images,
 *                     plugin_credentials, confine_plugins,
 *                     plugin_token_seconds
 *   [plugin.NAME]     enabled, file, workers, resync, reconcile_deadline,
 *                     isolation,
 *                     plus any keys the plugin reads with api->config_get()
 *                     (each kept with its line: plugin/config_keys.h reports
 *                     those the plugin does not declare)
 * Unknown sections, unknown keys in [host], bad values, duplicate sections
 * and duplicate keys are errors reported as "FILE:LINE: message".
 *
 * Threading: a loaded cp_config is immutable; read it from any thread.
 * Ownership: cp_config_load() returns an owned config; free it with
 * cp_config_free(). Every string inside belongs to the config.
 */
#ifndef CPLANE_HOST_CONFIG_H
#define CPLANE_HOST_CONFIG_H

#include <stddef.h>
#include <stdint.h>

struct cp_config_kv {
  char *key;
  char *value;
  int line; /* where the key is, for "FILE:LINE:" messages */
};

/* [plugin.NAME] isolation: where the plugin runs. */
enum cp_isolation {
  CP_ISOLATION_IN_PROCESS = 0, /* in the host process (default) */
  CP_ISOLATION_PROCESS,        /* alone in a supervised child process */
};

struct cp_plugin_config {
  char *name;                     /* from [plugin.NAME] */
  int enabled;                    /* default 0: plugins are opt-in */
  char *file;                     /* default NAME.so, in plugin_dir */
  int workers;                    /* 0: the host default */
  uint64_t resync_ms;             /* 0: no resync */
  uint64_t reconcile_deadline_ms; /* 0: none */
  enum cp_isolation isolation;    /* default in-process */
  int line;                       /* line of the section's first key */
  struct cp_config_kv *keys;      /* every key, host ones included */
  size_t n_keys;
};

/* [apiserver]: the embedded API server and its store. */
struct cp_apiserver_settings {
  char *address;        /* listen address, default 127.0.0.1 */
  int port;             /* default 6443; 0 picks a free port */
  char *store;          /* "sqlite" (default) or "etcd" */
  char *sqlite_path;    /* default <data_dir>/cplane.db */
  char *etcd_endpoints; /* comma-separated URLs */
  char *etcd_prefix;    /* default /registry/ */
  char *etcd_ca_file, *etcd_cert_file, *etcd_key_file;
  uint64_t etcd_dial_timeout_ms; /* wait for etcd at start; 0: 5 s */
  uint64_t etcd_request_timeout_ms; /* per request with retries; 0: 5 s */
  int workers;          /* store worker threads, default 32 */
  uint64_t max_body;    /* bytes, default 3 MiB */
  /* Connection timeouts (kube-apiserver's ReadHeaderTimeout and
   * IdleTimeout); 0: the defaults, 32 s and 90 s. */
  uint64_t read_header_timeout_ms, idle_timeout_ms;
  /* Watch memory bounds, bytes (0: 16 MiB and 64 MiB; see watch.h). */
  uint64_t watch_stream_bytes, watch_cache_bytes;
  char *kubeconfig_out; /* default <data_dir>/admin.kubeconfig */
  uint64_t compact_interval_ms; /* SQLite history; 0: default 5 min */
  int tls;              /* default 1; 0 only on a loopback address */
  char *tls_cert_file, *tls_key_file; /* default: made in <data_dir>/pki */
  char *tls_ca_file;    /* CA for the kubeconfig with your own cert */
  char *client_ca_file; /* enables client-certificate authentication */
  char *tokens_file;    /* default <data_dir>/tokens.csv, made if absent */
  /* ServiceAccount tokens: the signing key (PEM, RSA or P-256; default
   * <data_dir>/pki/sa.key, made if absent), the issuer (default
   * https://kubernetes.default.svc.cluster.local) and kube's
   * --anonymous-auth (default false). */
  char *service_account_key_file, *service_account_issuer;
  int anonymous;
  /* Services: ClusterIPs from service_cidr (IPv4; NULL: 10.96.0.0/12),
   * NodePorts from service_node_port_range (NULL: 30000-32767). */
  char *service_cidr, *service_node_port_range;
  /* kube-apiserver's --default-not-ready-toleration-seconds and
   * --default-unreachable-toleration-seconds: the tolerationSeconds of
   * the NoExecute tolerations every pod gets (0: 300). */
  uint64_t default_not_ready_toleration_seconds;
  uint64_t default_unreachable_toleration_seconds;
  /* kube-apiserver's --disable-admission-plugins: comma-separated
   * plugin names (ServiceAccount, PodSecurity); NULL: none. */
  char *disable_admission_plugins;
  /* PodSecurity's exemptions (kube's PodSecurityConfiguration
   * exemptions): comma-separated usernames, namespaces, runtime classes;
   * NULL: none (podsecurity_exemptions.h). */
  char *podsecurity_exempt_usernames, *podsecurity_exempt_namespaces;
  char *podsecurity_exempt_runtime_classes;
  /* The CA signing approved CertificateSigningRequests (kube's
   * --cluster-signing-cert-file/--cluster-signing-key-file; NULL: the
   * pki directory's own CA) and the longest certificate it issues
   * (--cluster-signing-duration; 0: one year). */
  char *cluster_signing_cert_file, *cluster_signing_key_file;
  uint64_t cluster_signing_duration_ms;
  /* The audit log (kube's --audit-policy-file, --audit-log-path,
   * -maxsize in MB, -maxbackup, -maxage in days); no policy: none. */
  char *audit_policy_file, *audit_log_path;
  int audit_log_maxsize, audit_log_maxbackup, audit_log_maxage;
};

/* [authz.NAME]: who may do what (comma-separated lists, "*" = any). */
struct cp_authz_config {
  char *name, *users, *groups, *verbs, *resources, *namespaces;
  char *non_resource_urls; /* paths such as /metrics, as RBAC's */
  int line;
};

struct cp_config {
  char *path;
  char *plugin_dir;   /* default: the directory beside the binary */
  char *api_server;   /* "embedded" (default) or a URL */
  char *kubeconfig;   /* for an external API server, or NULL */
  char *listen;       /* metrics and health address, default
                         127.0.0.1:10257 */
  char *data_dir;     /* default /var/lib/cplane */
  int workers;        /* default workers per plugin, default 1 */
  int log_level;      /* CPLANE_LOG_*, default INFO */
  int leader_elect;   /* default 0: run workers at once */
  uint64_t leader_lease_ms, leader_renew_deadline_ms, leader_retry_ms;
  uint64_t shutdown_timeout_ms; /* bounded stop; default 10 s */
  /* Old images of one plugin a hot upgrade may leave mapped; past it an
   * upgrade is refused until a restart. Default 8. */
  int max_retained_images;
  /* [host] plugin_credentials = own (1): each plugin calls the API as
   * its own user (plugin/identity.h); host (0): as the host.
   * confine_plugins: undeclared writes refused (plugin/confine.h). */
  int plugin_credentials_own, confine_plugins;
  /* [host] plugin_token_seconds: the life asked for a plugin's
   * ServiceAccount token (TokenRequest), 600 .. 2^32; default 3600. */
  int64_t plugin_token_seconds;
  struct cp_apiserver_settings apiserver;
  int apiserver_port_set, apiserver_tls_set;
  struct cp_authz_config *authz;
  size_t n_authz;
  struct cp_plugin_config *plugins;
  size_t n_plugins;
};

/* A configuration file larger than this is refused (a few KiB is usual). */
#define CP_CONFIG_MAX_BYTES (1 << 20)

/* Loads and validates `path` (read whole, at most CP_CONFIG_MAX_BYTES,
 * then cp_config_parse). Returns 0 and sets *out (owned), or -1 and sets
 * *errmsg (malloc'd, "FILE:LINE: what is wrong"). */
int cp_config_load(const char *path, struct cp_config **out, char **errmsg);
/* The same over text[0..len) in memory (need not be NUL-terminated; a NUL
 * byte ends its line, as in a file). `name` stands for the file in
 * cfg->path and in every message ("NAME:LINE: ..."). */
int cp_config_parse(const char *name, const char *text, size_t len,
                    struct cp_config **out, char **errmsg);
void cp_config_free(struct cp_config *cfg);

/* The plugin section named `name`, or NULL. Borrowed from cfg. */
const struct cp_plugin_config *cp_config_plugin(const struct cp_config *cfg,
                                                const char *name);
/* 1 when `key` is one the host itself reads in every [plugin.NAME]
 * (enabled, file, workers, ...), 0 when it is the plugin's own. */
int cp_config_is_host_plugin_key(const char *key);
/* The host's own plugin keys, comma-separated, for messages. */
extern const char cp_config_host_plugin_keys[];

/* The value of `key` in a plugin section, or NULL. Borrowed from cfg. */
const char *cp_plugin_config_get(const struct cp_plugin_config *pc,
                                 const char *key);

/* Parses "250ms", "30s", "5m", "2h" or a bare number of seconds into
 * milliseconds. Returns 0, or -1 for anything else. */
int cp_config_parse_duration(const char *text, uint64_t *out_ms);
/* Parses true/false/yes/no/on/off/1/0. Returns 0/1, or -1. */
int cp_config_parse_bool(const char *text);

#endif /* CPLANE_HOST_CONFIG_H */
