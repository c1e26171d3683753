/*
 * embedded - see embedded.h.
 */
#include "apiserver/embedded.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_ENDPOINTS 16

static int make_dir(const char *dir, char **errmsg) {
  if (mkdir(dir, 0700) == 0 || errno == EEXIST)
    return 0;
  if (asprintf(errmsg, "cannot create data directory %s: %s (set [host] "
                       "data_dir or --data-dir to a writable directory)",
               dir, strerror(errno)) < 0)
    *errmsg = NULL;
  return -1;
}

static int open_etcd(const struct cp_apiserver_settings *a, cp_store **out,
                     char **errmsg) {
  const char *eps[MAX_ENDPOINTS];
  char *copy, *save = NULL, *tok;
  cp_store_etcd_opts o;
  size_t n = 0;
  int rc;

  if (a->etcd_endpoints == NULL || a->etcd_endpoints[0] == '\0') {
    *errmsg = strdup("[apiserver] store = etcd needs etcd_endpoints");
    return -1;
  }
  if ((copy = strdup(a->etcd_endpoints)) == NULL)
    return -1;
  for (tok = strtok_r(copy, ", ", &save); tok != NULL && n < MAX_ENDPOINTS;
       tok = strtok_r(NULL, ", ", &save))
    eps[n++] = tok;
  memset(&o, 0, sizeof o);
  o.endpoints = eps;
  o.endpoint_count = n;
  o.prefix = a->etcd_prefix;
  o.ca_file = a->etcd_ca_file;
  o.cert_file = a->etcd_cert_file;
  o.key_file = a->etcd_key_file;
  rc = cp_store_etcd_open(&o, out, errmsg);
  free(copy);
  return rc == CPLANE_OK ? 0 : -1;
}

int cp_embedded_start(const struct cp_config *cfg, const char *data_dir,
                      struct cp_embedded *e, char **errmsg) {
  const struct cp_apiserver_settings *a = &cfg->apiserver;
  struct cp_apiserver_config sc;
  char *db = NULL;
  int rc = -1;

  memset(e, 0, sizeof *e);
  *errmsg = NULL;
  if (make_dir(data_dir, errmsg) < 0)
    return -1;
  if (a->store != NULL && strcmp(a->store, "etcd") == 0) {
    if (open_etcd(a, &e->store, errmsg) < 0)
      goto out;
  } else {
    if (a->sqlite_path != NULL)
      db = strdup(a->sqlite_path);
    else if (asprintf(&db, "%s/cplane.db", data_dir) < 0)
      db = NULL;
    cp_store_sqlite_opts so;

    memset(&so, 0, sizeof so);
    so.compact_interval_ms = (int64_t)a->compact_interval_ms;
    if (db == NULL ||
        cp_store_sqlite_open(db, &so, &e->store, errmsg) != CPLANE_OK)
      goto out;
  }
  if (a->kubeconfig_out != NULL)
    e->kubeconfig = strdup(a->kubeconfig_out);
  else if (asprintf(&e->kubeconfig, "%s/admin.kubeconfig", data_dir) < 0)
    e->kubeconfig = NULL;
  memset(&sc, 0, sizeof sc);
  sc.address = a->address;
  sc.port = a->port;
  sc.store = e->store;
  sc.workers = a->workers;
  sc.max_body = (size_t)a->max_body;
  sc.kubeconfig_path = e->kubeconfig;
  if (cp_apiserver_start(&sc, &e->server, errmsg) != CPLANE_OK)
    goto out;
  rc = 0;
out:
  free(db);
  if (rc < 0)
    cp_embedded_stop(e);
  return rc;
}

void cp_embedded_stop(struct cp_embedded *e) {
  cp_apiserver_stop(e->server);
  cp_store_close(e->store);
  free(e->kubeconfig);
  memset(e, 0, sizeof *e);
}
