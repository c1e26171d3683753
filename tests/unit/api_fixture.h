/*
 * api_fixture - the in-process API server the unit tests drive: a SQLite
 * store in a fresh temporary directory, the resource registry, and one
 * call that routes and handles a request as the HTTP front end would,
 * without sockets. Shared by every test_*.c that talks to the verbs.
 *
 * Threading: a fixture may be called from several threads at once (the
 * verbs are thread-safe); setup and teardown run on cmocka's thread.
 * Ownership: api_fixture_setup allocates the fixture into *state and
 * api_fixture_teardown frees it and removes its directory; a response's
 * body belongs to the caller (free it).
 *
 * Header-only: each test file is its own binary, so the functions are
 * static and a file includes this once.
 */
#ifndef CPLANE_TESTS_UNIT_API_FIXTURE_H
#define CPLANE_TESTS_UNIT_API_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apiserver/admission.h"
#include "apiserver/nscache.h"
#include "apiserver/request.h"
#include "apiserver/strategy/priorityclass_cache.h"
#include "log/log.h"

#define API_FIXTURE_JSON "application/json"

struct api_fixture {
  char dir[64];
  cp_store *store;
  struct cp_api_ctx ctx;
};

/* A fixture in *state, its directory /tmp/<tag>-XXXXXX. with_caches:
 * namespace and PriorityClass admission through their caches, as the
 * server runs (0: they read the store). */
static inline int api_fixture_setup_tagged(void **state, const char *tag,
                                           int with_caches) {
  struct api_fixture *f = calloc(1, sizeof *f);
  char path[128], *err = NULL;

  assert_non_null(f);
  cp_log_set_level(CPLANE_LOG_ERROR);
  snprintf(f->dir, sizeof f->dir, "/tmp/%.40s-XXXXXX", tag);
  assert_non_null(mkdtemp(f->dir));
  snprintf(path, sizeof path, "%s/db", f->dir);
  if (cp_store_sqlite_open(path, NULL, &f->store, &err) != 0)
    fail_msg("%s", err);
  f->ctx.store = f->store;
  f->ctx.resources = cp_resources_new();
  assert_non_null(f->ctx.resources);
  /* No serviceaccount controller here: pods need no ServiceAccount, as
   * in kube's integration tests (test_admission_serviceaccount turns it
   * back on). */
  f->ctx.admission_off = CP_ADMISSION_OFF_SA;
  if (with_caches) {
    f->ctx.ns_cache = cp_ns_cache_new();
    f->ctx.pc_cache = cp_pc_cache_new();
    assert_non_null(f->ctx.ns_cache);
    assert_non_null(f->ctx.pc_cache);
  }
  *state = f;
  return 0;
}

/* The usual fixture: admission through the caches. */
static inline int api_fixture_setup(void **state) {
  return api_fixture_setup_tagged(state, "cp-api", 1);
}

static inline int api_fixture_teardown(void **state) {
  struct api_fixture *f = *state;
  char cmd[128];

  cp_resources_free(f->ctx.resources);
  if (f->ctx.ns_cache != NULL)
    cp_ns_cache_free(f->ctx.ns_cache);
  if (f->ctx.pc_cache != NULL)
    cp_pc_cache_free(f->ctx.pc_cache);
  cp_store_close(f->store);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  assert_int_equal(system(cmd), 0);
  free(f);
  return 0;
}

/* Runs one request (path_query may carry "?query"; ctype NULL: none);
 * an unroutable path answers 404 with the router's Status. */
static inline struct cp_api_response
api_fixture_call(struct api_fixture *f, enum cp_api_method m,
                 const char *path_query, const char *ctype,
                 const char *body) {
  struct cp_api_request rq = {0};
  struct cp_api_response rs = {0};
  const char *q = strchr(path_query, '?');
  char *status = NULL;

  rq.method = m;
  rq.path = q ? strndup(path_query, (size_t)(q - path_query))
              : strdup(path_query);
  assert_int_equal(cp_query_parse(q ? q + 1 : NULL, &rq.query), 0);
  rq.content_type = ctype ? strdup(ctype) : NULL;
  if (body != NULL) {
    rq.body = strdup(body);
    rq.body_len = strlen(body);
  }
  if (cp_api_route(&f->ctx, &rq, &status) <= 0) {
    rs.code = 404;
    rs.body = status;
    rs.len = status ? strlen(status) : 0;
  } else {
    cp_api_handle(&f->ctx, &rq, &rs);
  }
  cp_api_request_clear(&rq);
  return rs;
}

/* Runs one JSON request and fails the test unless it answers code. */
static inline void api_fixture_expect(struct api_fixture *f,
                                      enum cp_api_method m, const char *path,
                                      const char *body, int code) {
  struct cp_api_response rs =
      api_fixture_call(f, m, path, API_FIXTURE_JSON, body);

  if (rs.code != code)
    fail_msg("%s: %d, wanted %d: %s", path, rs.code, code,
             rs.body ? rs.body : "");
  free(rs.body);
}

/* Creates namespace name. */
static inline void api_fixture_namespace(struct api_fixture *f,
                                         const char *name) {
  char body[160];

  snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"%.100s\"}}",
           name);
  api_fixture_expect(f, CP_API_POST, "/api/v1/namespaces", body, 201);
}

#endif /* CPLANE_TESTS_UNIT_API_FIXTURE_H */
