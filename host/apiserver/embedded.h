/*
 * embedded - the API server as one role of the cplane binary: opens the
 * configured store (SQLite in the data directory by default, or etcd),
 * starts the server on it and writes the admin kubeconfig, from the INI's
 * [apiserver] section.
 *
 * Threading: call start and stop from the main thread.
 * Ownership: cp_embedded_stop frees what cp_embedded_start made.
 */
#ifndef CPLANE_HOST_APISERVER_EMBEDDED_H
#define CPLANE_HOST_APISERVER_EMBEDDED_H

#include "apiserver/apiserver.h"
#include "config/config.h"

struct cp_embedded {
  cp_store *store;
  struct cp_apiserver *server;
  char *kubeconfig;
  /* How this process's own clients reach the server. */
  char *url, *ca_file, *token;
  /* A CA the server verifies client certificates with, and its key: the
   * host issues plugin identities with it (plugin/identity.h). NULL when
   * there is none (TLS off, or a client CA that is not the signer). */
  char *client_signer_crt, *client_signer_key;
};

/* Returns 0, or -1 with *errmsg (malloc'd) saying what failed and on which
 * file or address. */
int cp_embedded_start(const struct cp_config *cfg, const char *data_dir,
                      struct cp_embedded *out, char **errmsg);
void cp_embedded_stop(struct cp_embedded *e);

#endif /* CPLANE_HOST_APISERVER_EMBEDDED_H */
