/*
 * libFuzzer target: one API request through the router and the handlers
 * (cp_api_route, cp_api_handle) against a real SQLite store: the body
 * decoders, admission, the patch engines, selectors, list paging. The
 * input is text:
 *
 *   METHOD PATH[?QUERY]\n
 *   CONTENT-TYPE\n
 *   BODY
 *
 * Every answer must be a 2xx or a 4xx with a JSON body; never a 5xx. The
 * store lives in TMPDIR (tmpfs /dev/shm by default: its fsyncs are free)
 * and keeps what earlier inputs created, as a server does.
 *
 * Threading: libFuzzer's one thread; the store runs its own.
 */
#include <json-c/json.h>

#include <cplane/host_api.h>

#include "apiserver/nscache.h"
#include "apiserver/request.h"
#include "apiserver/resources.h"
#include "fuzz_input.h"
#include "log/log.h"
#include "object/object.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct cp_api_ctx ctx;
static char dir[256];

static void done(void) {
  char cmd[300];

  cp_resources_free(ctx.resources);
  cp_ns_cache_free(ctx.ns_cache);
  cp_store_close(ctx.store);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "fuzz_request: could not remove %s\n", dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  const char *tmp = fuzz_scratch_dir();
  char path[300], *err = NULL;
  cp_store_sqlite_opts opts = {.compact_interval_ms = -1,
                               .skip_integrity_check = 1};

  (void)argc;
  (void)argv;
  cp_log_set_level(CPLANE_LOG_ERROR + 1);
  snprintf(dir, sizeof dir, "%s/cplane-fuzz-request-XXXXXX", tmp);
  if (mkdtemp(dir) == NULL)
    abort();
  snprintf(path, sizeof path, "%s/db", dir);
  if (cp_store_sqlite_open(path, &opts, &ctx.store, &err) != 0) {
    fprintf(stderr, "fuzz_request: %s\n", err);
    abort();
  }
  ctx.resources = cp_resources_new();
  ctx.ns_cache = cp_ns_cache_new();
  if (ctx.resources == NULL || ctx.ns_cache == NULL)
    abort();
  atexit(done);
  return 0;
}

static int is_str(json_object *o, const char *key, const char *want) {
  json_object *v;

  return json_object_object_get_ex(o, key, &v) &&
         json_object_is_type(v, json_type_string) &&
         strcmp(json_object_get_string(v), want) == 0;
}

/* The one 5xx kube-apiserver answers by design to a good request: a read
 * at a resourceVersion the store has not reached yet is 504 Timeout with
 * the cause ResourceVersionTooLarge (storage.
 * NewTooLargeResourceVersionError), which clients retry. */
static int kube_5xx(const struct cp_api_request *rq,
                    const struct cp_api_response *rs) {
  json_object *o, *details, *causes;
  int ok = 0;

  if (rs->code != 504 || rq->method != CP_API_GET || rs->body == NULL ||
      cp_query_get(&rq->query, "resourceVersion") == NULL)
    return 0;
  o = json_tokener_parse(rs->body);
  if (is_str(o, "reason", "Timeout") &&
      json_object_object_get_ex(o, "details", &details) &&
      json_object_object_get_ex(details, "causes", &causes) &&
      json_object_is_type(causes, json_type_array) &&
      json_object_array_length(causes) == 1 &&
      is_str(json_object_array_get_idx(causes, 0), "reason",
             "ResourceVersionTooLarge"))
    ok = 1;
  json_object_put(o);
  return ok;
}

static enum cp_api_method method_of(const char *s, size_t n) {
  static const struct {
    const char *name;
    enum cp_api_method m;
  } methods[] = {{"GET", CP_API_GET},     {"POST", CP_API_POST},
                 {"PUT", CP_API_PUT},     {"PATCH", CP_API_PATCH},
                 {"DELETE", CP_API_DELETE}};
  size_t i;

  for (i = 0; i < sizeof methods / sizeof methods[0]; i++)
    if (strlen(methods[i].name) == n && memcmp(methods[i].name, s, n) == 0)
      return methods[i].m;
  return CP_API_OTHER;
}

/* Fills rq from the input; 0, or -1 for an input that is not a request. */
static int read_request(const uint8_t *data, size_t size,
                        struct cp_api_request *rq) {
  const char *s = (const char *)data, *end = s + size;
  const char *sp, *nl, *q, *ct, *ct_end;

  if ((nl = memchr(s, '\n', size)) == NULL ||
      (sp = memchr(s, ' ', (size_t)(nl - s))) == NULL)
    return -1;
  rq->method = method_of(s, (size_t)(sp - s));
  q = memchr(sp + 1, '?', (size_t)(nl - sp - 1));
  rq->path = strndup(sp + 1, (size_t)((q != NULL ? q : nl) - sp - 1));
  if (rq->path == NULL || memchr(rq->path, '\0', (size_t)(nl - sp - 1)))
    return -1;
  if (q != NULL) {
    char *qs = strndup(q + 1, (size_t)(nl - q - 1));
    int r = qs != NULL ? cp_query_parse(qs, &rq->query) : -1;

    free(qs);
    if (r != 0)
      return -1; /* the event loop answers a bad query itself */
  }
  ct = nl + 1;
  ct_end = memchr(ct, '\n', (size_t)(end - ct));
  if (ct_end == NULL)
    ct_end = end;
  if (ct_end > ct &&
      (rq->content_type = strndup(ct, (size_t)(ct_end - ct))) == NULL)
    return -1;
  if (ct_end < end) {
    rq->body_len = (size_t)(end - ct_end - 1);
    if ((rq->body = fuzz_strndup((const uint8_t *)ct_end + 1,
                                 rq->body_len)) == NULL)
      return -1;
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct cp_api_request rq;
  struct cp_api_response rs;
  char *status = NULL;
  int r;

  memset(&rq, 0, sizeof rq);
  memset(&rs, 0, sizeof rs);
  if (read_request(data, size, &rq) != 0 || rq.method == CP_API_OTHER ||
      cp_query_bool(&rq.query, "watch"))
    goto out;
  r = cp_api_route(&ctx, &rq, &status);
  if (r < 0 && status != NULL &&
      !cp_json_valid(status, strlen(status)))
    abort();
  if (r <= 0)
    goto out;
  cp_api_handle(&ctx, &rq, &rs);
  if (rs.code < 200 || (rs.code >= 500 && !kube_5xx(&rq, &rs))) {
    fprintf(stderr, "fuzz_request: %d %.*s\n", rs.code, (int)rs.len,
            rs.body != NULL ? rs.body : "");
    abort(); /* never a 5xx but kube's own */
  }
  if (rs.code >= 400 && (rs.body == NULL || !cp_json_valid(rs.body, rs.len)))
    abort(); /* a refusal is a Status */
out:
  free(status);
  free(rs.body);
  cp_api_request_clear(&rq);
  return 0;
}
