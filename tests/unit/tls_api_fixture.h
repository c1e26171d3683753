/*
 * tls_api_fixture - an API server over TLS on a loopback port, for the
 * tests of the host's clients and credentials: a SQLite store and a
 * fresh PKI (pki/ca.crt, ca.key, server.crt) in a temporary directory,
 * the admin token "sekret" (user admin, group system:masters), client
 * certificates signed by the CA accepted (CN user, O groups), and, when
 * asked, ServiceAccount tokens (pki/sa.key: TokenRequest answered, its
 * tokens accepted); plus a client of the host's own, with the admin
 * token.
 *
 * Threading: the server serves from its own threads; setup and teardown
 * run on cmocka's thread. Ownership: tls_api_fixture_setup allocates the
 * fixture into *state; tls_api_fixture_teardown stops, frees and removes
 * its directory.
 *
 * Header-only: each test file is its own binary, so the functions are
 * static and a file includes this once.
 */
#ifndef CPLANE_TESTS_UNIT_TLS_API_FIXTURE_H
#define CPLANE_TESTS_UNIT_TLS_API_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "apiserver/apiserver.h"
#include "apiserver/auth.h"
#include "apiserver/authn/authenticator.h"
#include "apiserver/authn/sa_key.h"
#include "apiserver/pki.h"
#include "client/client.h"
#include "log/log.h"

struct tls_api_fixture {
  char dir[64], ca_crt[160], ca_key[160], url[64];
  cp_store *store;
  struct cp_apiserver *srv;
  struct cp_client *host; /* the host's own client: the admin token */
};

/* tokens: the server also has the ServiceAccount authenticator. */
static inline int tls_api_fixture_setup(void **state, int tokens) {
  struct tls_api_fixture *f = calloc(1, sizeof *f);
  struct cp_apiserver_config cfg = {0};
  struct cp_client_config cc = {0};
  char path[160], pki[96], crt[160], key[160], *err = NULL;
  FILE *t;

  assert_non_null(f);
  cp_log_set_level(CPLANE_LOG_ERROR);
  strcpy(f->dir, "/tmp/cp-tlsapi-XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  snprintf(path, sizeof path, "%s/db", f->dir);
  if (cp_store_sqlite_open(path, NULL, &f->store, &err) != 0)
    fail_msg("%s", err);
  snprintf(pki, sizeof pki, "%s/pki", f->dir);
  assert_int_equal(cp_pki_ensure(pki, "127.0.0.1", &err), 0);
  snprintf(crt, sizeof crt, "%s/server.crt", pki);
  snprintf(key, sizeof key, "%s/server.key", pki);
  snprintf(f->ca_crt, sizeof f->ca_crt, "%s/ca.crt", pki);
  snprintf(f->ca_key, sizeof f->ca_key, "%s/ca.key", pki);
  snprintf(path, sizeof path, "%s/tokens.csv", f->dir);
  assert_non_null(t = fopen(path, "w"));
  fputs("sekret,admin,1,\"system:masters\"\n", t);
  fclose(t);
  cfg.store = f->store;
  cfg.workers = 2;
  /* Client certificates our CA signs authenticate (CN user, O groups). */
  cfg.ssl_ctx = cp_pki_server_ctx(crt, key, f->ca_crt, &err);
  cfg.client_ca_file = f->ca_crt;
  cfg.auth = cp_auth_new(path, NULL, 0, &err);
  assert_non_null(cfg.ssl_ctx);
  assert_non_null(cfg.auth);
  if (tokens) {
    struct cp_authn_config ac = {0};

    assert_int_equal(cp_sa_key_ensure(pki, &err), 0);
    snprintf(key, sizeof key, "%s/sa.key", pki);
    ac.key_file = key;
    ac.store = f->store;
    cfg.authn = cp_authn_new(&ac, &err);
    assert_non_null(cfg.authn);
  }
  if (cp_apiserver_start(&cfg, &f->srv, &err) != 0)
    fail_msg("%s", err);
  snprintf(f->url, sizeof f->url, "https://127.0.0.1:%d",
           cp_apiserver_port(f->srv));
  cc.server = f->url;
  cc.ca_file = f->ca_crt;
  cc.token = "sekret";
  cc.timeout_ms = 30000; /* a loaded TSan run, not a bound */
  if (cp_client_new(&cc, &f->host, &err) != 0)
    fail_msg("%s", err);
  *state = f;
  return 0;
}

static inline int tls_api_fixture_teardown(void **state) {
  struct tls_api_fixture *f = *state;
  char cmd[128];

  cp_client_free(f->host);
  cp_apiserver_stop(f->srv);
  cp_store_close(f->store);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  assert_int_equal(system(cmd), 0);
  free(f);
  return 0;
}

#endif /* CPLANE_TESTS_UNIT_TLS_API_FIXTURE_H */
