/*
 * isolated_describe - see isolated_describe.h.
 */
#include "plugin/isolated_describe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config/config.h"
#include "plugin/plugin.h"

extern char **environ;

/* ---- the describing process ---------------------------------------- */

static json_object *resources_json(const struct cplane_resource *rs,
                                   uint32_t n, int with_version) {
  json_object *a = json_object_new_array();
  uint32_t i;

  for (i = 0; a != NULL && i < n; i++) {
    json_object *o = json_object_new_object();

    if (o == NULL || json_object_array_add(a, o) != 0) {
      json_object_put(o);
      json_object_put(a);
      return NULL;
    }
    json_object_object_add(o, "group", json_object_new_string(
                                           rs[i].group ? rs[i].group : ""));
    if (with_version && rs[i].version != NULL)
      json_object_object_add(o, "version",
                             json_object_new_string(rs[i].version));
    json_object_object_add(o, "resource",
                           json_object_new_string(rs[i].resource));
  }
  return a;
}

int cp_isolated_describe_print(const struct cplane_plugin_ctx *p, FILE *out) {
  json_object *o = json_object_new_object();
  json_object *rs = resources_json(p->desc.resources, p->desc.n_resources, 1);
  json_object *ws = resources_json(p->desc.writes, p->desc.n_writes, 0);
  int rc = -1;

  if (o == NULL || rs == NULL || ws == NULL) {
    json_object_put(rs);
    json_object_put(ws);
    goto out;
  }
  json_object_object_add(o, "name", json_object_new_string(p->name));
  json_object_object_add(o, "resources", rs);
  json_object_object_add(o, "writes", ws);
  if (fprintf(out, "%s\n",
              json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN)) > 0 &&
      fflush(out) == 0)
    rc = 0;
out:
  json_object_put(o);
  return rc;
}

int cp_isolated_describe_main(const struct cp_config *cfg,
                              const char *plugin_dir, const char *name) {
  const struct cp_plugin_config *pc = cp_config_plugin(cfg, name);
  struct cplane_plugin_ctx *p = NULL;
  char *err = NULL;
  int rc = 1;

  if (pc == NULL) {
    fprintf(stderr, "--describe-plugin: no [plugin.%s]\n", name);
    return 1;
  }
  if (cp_plugin_load(plugin_dir, pc, &p, &err) < 0) {
    fprintf(stderr, "%s\n", err != NULL ? err : "out of memory");
    goto out;
  }
  rc = cp_isolated_describe_print(p, stdout) < 0;
out:
  free(err);
  cp_plugin_free(p);
  return rc;
}

/* ---- the host's side ------------------------------------------------ */

static int bad(char **errmsg, const char *what, const char *where) {
  if (asprintf(errmsg, "the plugin's description %s%s%s", what,
               where ? ": " : "", where ? where : "") < 0)
    *errmsg = NULL;
  return -1;
}

/* o[key] as a string of at most CP_ISOLATED_DESCRIBE_MAX_NAME bytes, or
 * NULL; absent: dflt. */
static const char *field(json_object *o, const char *key, const char *dflt,
                         int *ok) {
  json_object *v;
  const char *s;

  if (!json_object_object_get_ex(o, key, &v))
    return dflt;
  if (!json_object_is_type(v, json_type_string) ||
      strlen(s = json_object_get_string(v)) > CP_ISOLATED_DESCRIBE_MAX_NAME) {
    *ok = 0;
    return NULL;
  }
  return s;
}

/* arr (a JSON array of {group, version, resource}) into *out. */
static int read_list(json_object *doc, const char *key, int need_version,
                     struct cplane_resource **out, uint32_t *n,
                     char **errmsg) {
  json_object *arr;
  size_t i, len;

  *out = NULL;
  *n = 0;
  if (!json_object_object_get_ex(doc, key, &arr))
    return 0; /* declares none */
  if (!json_object_is_type(arr, json_type_array))
    return bad(errmsg, "has a non-array", key);
  len = json_object_array_length(arr);
  if (len > CP_ISOLATED_DESCRIBE_MAX_RESOURCES)
    return bad(errmsg, "has more than 64 entries in", key);
  if (len == 0)
    return 0;
  if ((*out = calloc(len, sizeof **out)) == NULL)
    return bad(errmsg, "cannot be read: out of memory", NULL);
  for (i = 0; i < len; i++) {
    json_object *e = json_object_array_get_idx(arr, i);
    struct cplane_resource *r = &(*out)[i];
    int ok = json_object_is_type(e, json_type_object);

    r->struct_size = sizeof *r;
    if (ok) {
      r->group = field(e, "group", "", &ok);
      r->version = field(e, "version", NULL, &ok);
      r->resource = field(e, "resource", NULL, &ok);
    }
    if (!ok || r->resource == NULL || r->resource[0] == '\0' ||
        (need_version && r->version == NULL))
      return bad(errmsg, "has an entry that is not {group, version, "
                         "resource} strings in", key);
  }
  *n = (uint32_t)len;
  return 0;
}

int cp_isolated_describe_parse(const char *text, size_t len,
                               const char *name,
                               struct cp_isolated_desc *out, char **errmsg) {
  json_object *doc = NULL;
  json_tokener *tok = NULL;
  const char *n;
  int ok = 1;

  memset(out, 0, sizeof *out);
  *errmsg = NULL;
  if (text == NULL || len == 0 || len > CP_ISOLATED_DESCRIBE_MAX)
    return bad(errmsg, "is empty or larger than 256 KiB", NULL);
  if ((tok = json_tokener_new()) == NULL)
    return bad(errmsg, "cannot be read: out of memory", NULL);
  doc = json_tokener_parse_ex(tok, text, (int)len);
  json_tokener_free(tok);
  if (doc == NULL || !json_object_is_type(doc, json_type_object)) {
    json_object_put(doc);
    return bad(errmsg, "is not a JSON object", NULL);
  }
  out->json = doc;
  n = field(doc, "name", NULL, &ok);
  if (n == NULL || strcmp(n, name) != 0) {
    bad(errmsg, "names another plugin", n != NULL ? n : "(none)");
    goto fail;
  }
  if (read_list(doc, "resources", 1, &out->resources,
                &out->desc.n_resources, errmsg) < 0 ||
      read_list(doc, "writes", 0, &out->writes, &out->desc.n_writes,
                errmsg) < 0)
    goto fail;
  out->desc.struct_size = sizeof out->desc;
  out->desc.name = n;
  out->desc.resources = out->resources;
  out->desc.writes = out->writes;
  return 0;
fail:
  cp_isolated_desc_free(out);
  return -1;
}

void cp_isolated_desc_free(struct cp_isolated_desc *d) {
  if (d == NULL)
    return;
  free(d->resources);
  free(d->writes);
  json_object_put(d->json);
  memset(d, 0, sizeof *d);
}

static long long mono_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads fd to its end, at most CP_ISOLATED_DESCRIBE_MAX bytes, until
 * deadline. Returns 0 at the end, -1 with *why. */
static int read_all(int fd, long long deadline, char *buf, size_t *len,
                    const char **why) {
  struct pollfd pfd = {fd, POLLIN, 0};
  ssize_t r;
  long long left;

  *len = 0;
  for (;;) {
    if ((left = deadline - mono_ms()) <= 0) {
      *why = "it did not finish in time";
      return -1;
    }
    r = poll(&pfd, 1, (int)left);
    if (r < 0 && errno != EINTR) {
      *why = strerror(errno);
      return -1;
    }
    if (r <= 0)
      continue; /* the deadline, or a signal: look at the time again */
    r = read(fd, buf + *len, CP_ISOLATED_DESCRIBE_MAX + 1 - *len);
    if (r == 0)
      return 0;
    if (r < 0) {
      if (errno == EAGAIN || errno == EINTR)
        continue;
      *why = strerror(errno);
      return -1;
    }
    *len += (size_t)r;
    if (*len > CP_ISOLATED_DESCRIBE_MAX) {
      *why = "it wrote more than 256 KiB";
      return -1;
    }
  }
}

/* Our environment without KUBECONFIG: the describing process needs no
 * API server, and should not learn where the host's credential is. */
static char **describe_env(void) {
  size_t n = 0, i, k = 0;
  char **env;

  while (environ != NULL && environ[n] != NULL)
    n++;
  if ((env = calloc(n + 1, sizeof *env)) == NULL)
    return NULL;
  for (i = 0; i < n; i++)
    if (strncmp(environ[i], "KUBECONFIG=", 11) != 0)
      env[k++] = environ[i];
  return env;
}

static int spawn(char *const argv[], int out_fd, pid_t *pid) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t none, all;
  char **env = describe_env();
  int rc;

  if (env == NULL)
    return ENOMEM;
  if ((rc = posix_spawn_file_actions_init(&fa)) != 0) {
    free(env);
    return rc;
  }
  if ((rc = posix_spawnattr_init(&attr)) != 0) {
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    return rc;
  }
  sigemptyset(&none);
  sigfillset(&all);
  if ((rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY,
                                             0)) == 0 &&
      (rc = posix_spawn_file_actions_adddup2(&fa, out_fd, 1)) == 0 &&
      (rc = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY,
                                             0)) == 0 &&
      (rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) == 0 &&
      (rc = posix_spawnattr_setsigmask(&attr, &none)) == 0 &&
      (rc = posix_spawnattr_setsigdefault(&attr, &all)) == 0 &&
      (rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
                                                POSIX_SPAWN_SETSIGDEF)) == 0)
    rc = posix_spawn(pid, argv[0], &fa, &attr, argv, env);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  free(env);
  return rc;
}

int cp_isolated_describe(char *const argv[], const char *name,
                         int timeout_ms, struct cp_isolated_desc *out,
                         char **errmsg) {
  char *buf = malloc(CP_ISOLATED_DESCRIBE_MAX + 1);
  const char *why = NULL;
  int fds[2] = {-1, -1}, status = 0, rc = -1, err;
  size_t len = 0;
  pid_t pid = -1;

  memset(out, 0, sizeof *out);
  *errmsg = NULL;
  if (buf == NULL || pipe2(fds, O_CLOEXEC) < 0) {
    why = buf == NULL ? "out of memory" : strerror(errno);
    goto out;
  }
  if ((err = spawn(argv, fds[1], &pid)) != 0) {
    pid = -1;
    why = strerror(err);
    goto out;
  }
  close(fds[1]);
  fds[1] = -1;
  if (read_all(fds[0], mono_ms() + timeout_ms, buf, &len, &why) < 0)
    kill(pid, SIGKILL);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  pid = -1;
  if (why != NULL)
    goto out;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    why = "it could not load the plugin";
    goto out;
  }
  buf[len] = '\0';
  rc = cp_isolated_describe_parse(buf, len, name, out, errmsg);
out:
  if (rc < 0 && *errmsg == NULL && why != NULL &&
      asprintf(errmsg, "%s --describe-plugin: %s", argv[0], why) < 0)
    *errmsg = NULL;
  if (fds[0] >= 0)
    close(fds[0]);
  if (fds[1] >= 0)
    close(fds[1]);
  free(buf);
  return rc;
}
