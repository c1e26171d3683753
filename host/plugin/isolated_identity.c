/*
 * isolated_identity - see isolated_identity.h.
 */
#include "plugin/isolated_identity.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config/read_file.h"
#include "log/log.h"
#include "plugin/identity.h"
#include "plugin/identity_rbac.h"
#include "plugin/identity_token.h"

#define RENEW_PERCENT 80
#define RETRY_MS 60000
/* A CA bundle larger than this is refused. */
#define MAX_CA_BYTES (1u << 20)

struct entry {
  char *name;
  int64_t renew_at_ms; /* CLOCK_MONOTONIC */
  struct entry *next;
};

struct cp_isolated_identity {
  char *dir;
  const struct cp_identity_issuer *is;
  pthread_mutex_t mu;
  pthread_cond_t cv; /* CLOCK_MONOTONIC */
  /* Held while a plugin's files are written: a start (the supervisor's
   * thread) and a renewal (ours) must not share a temporary file. Never
   * taken with mu held. */
  pthread_mutex_t files_mu;
  struct entry *entries;
  int stopping;
  pthread_t thread;
  uint64_t renewals;
};

static int64_t mono_ms(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int failf(char **errmsg, const char *fmt, const char *a,
                 const char *b) {
  if (asprintf(errmsg, fmt, a, b) < 0)
    *errmsg = NULL;
  return -1;
}

/* Makes path's missing ancestors, 0700 (an external-mode host's data_dir
 * may not exist yet). */
static void make_parents(const char *path) {
  char *p = strdup(path), *s;

  for (s = p != NULL ? strchr(p + 1, '/') : NULL; s != NULL;
       s = strchr(s + 1, '/')) {
    *s = '\0';
    if (mkdir(p, 0700) != 0 && errno != EEXIST)
      break;
    *s = '/';
  }
  free(p);
}

int cp_isolated_private_dir(const char *path, char **errmsg) {
  struct stat st;

  *errmsg = NULL;
  make_parents(path);
  if (mkdir(path, 0700) != 0 && errno != EEXIST)
    return failf(errmsg, "cannot make %s: %s", path, strerror(errno));
  if (lstat(path, &st) != 0)
    return failf(errmsg, "cannot make %s: %s", path, strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return failf(errmsg, "%s is not a directory%s", path,
                 S_ISLNK(st.st_mode) ? " (a symbolic link)" : "");
  if (st.st_uid != geteuid())
    return failf(errmsg, "%s belongs to another user%s", path, "");
  if ((st.st_mode & 07777) != 0700 && chmod(path, 0700) != 0)
    return failf(errmsg, "cannot make %s private: %s", path,
                 strerror(errno));
  return 0;
}

int cp_isolated_write_private(const char *dir, const char *name,
                              const char *data, size_t len, char **errmsg) {
  char *path = NULL, *tmp = NULL;
  int fd = -1, rc = -1;
  size_t done = 0;
  ssize_t n;

  *errmsg = NULL;
  if (asprintf(&path, "%s/%s", dir, name) < 0) {
    path = NULL;
    goto out;
  }
  if (asprintf(&tmp, "%s/.%s.tmp", dir, name) < 0) {
    tmp = NULL;
    goto out;
  }
  /* A stale temporary file (a host killed mid-write) is ours to drop. */
  unlink(tmp);
  fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    goto io;
  while (done < len) {
    if ((n = write(fd, data + done, len - done)) < 0) {
      if (errno == EINTR)
        continue;
      goto io;
    }
    done += (size_t)n;
  }
  /* No fsync (isolated_identity.h): each cost a start ~10 ms here. */
  if (close(fd) != 0) {
    fd = -1;
    goto io;
  }
  fd = -1;
  if (rename(tmp, path) != 0)
    goto io;
  rc = 0;
  goto out;
io:
  failf(errmsg, "cannot write %s: %s", path, strerror(errno));
  unlink(tmp);
out:
  if (fd >= 0)
    close(fd);
  free(path);
  free(tmp);
  return rc;
}

char *cp_isolated_kubeconfig_text(const char *server, const char *plugin,
                                  int has_ca, int insecure) {
  char user[512], *out = NULL;
  const char *trust = has_ca     ? "    certificate-authority: ca.crt\n"
                      : insecure ? "    insecure-skip-tls-verify: true\n"
                                 : "";

  if (cp_identity_user(plugin, user, sizeof user) < 0)
    return NULL;
  /* Quoted: a server URL or a user name with a colon is still a YAML
   * string. Paths are relative to the kubeconfig's own directory, as
   * kubectl resolves them. */
  if (asprintf(&out,
               "apiVersion: v1\n"
               "kind: Config\n"
               "clusters:\n"
               "- name: cplane\n"
               "  cluster:\n"
               "    server: \"%s\"\n"
               "%s"
               "users:\n"
               "- name: \"%s\"\n"
               "  user:\n"
               "    tokenFile: token\n"
               "contexts:\n"
               "- name: \"%s\"\n"
               "  context:\n"
               "    cluster: cplane\n"
               "    user: \"%s\"\n"
               "current-context: \"%s\"\n",
               server, trust, user, plugin, user, plugin) < 0)
    return NULL;
  return out;
}

/* A plugin's name names a directory: one path component, no dot file. */
static int name_ok(const char *plugin) {
  return plugin != NULL && plugin[0] != '\0' && plugin[0] != '.' &&
         strchr(plugin, '/') == NULL && strlen(plugin) <= 253 &&
         strpbrk(plugin, "\"\\\n") == NULL;
}

static char *plugin_dir(const struct cp_isolated_identity *ii,
                        const char *plugin) {
  char *p = NULL;

  if (asprintf(&p, "%s/%s", ii->dir, plugin) < 0)
    return NULL;
  return p;
}

char *cp_isolated_identity_kubeconfig(const struct cp_isolated_identity *ii,
                                      const char *plugin) {
  char *p = NULL;

  if (asprintf(&p, "%s/%s/kubeconfig", ii->dir, plugin) < 0)
    return NULL;
  return p;
}

/* The CA the server's certificate chains to, as PEM (malloc'd), or NULL
 * with *has = 0 when there is none to trust (plain http, insecure). */
static int server_ca(const struct cp_identity_issuer *is, char **pem,
                     size_t *len, char **errmsg) {
  int rc;

  *pem = NULL;
  *len = 0;
  if (is->server_ca != NULL) {
    if ((rc = cp_read_file(is->server_ca, MAX_CA_BYTES, pem, len)) != 0)
      return failf(errmsg, "cannot read the API server's CA %s: %s",
                   is->server_ca, strerror(rc));
    return 0;
  }
  if (is->server_ca_pem != NULL) {
    if ((*pem = strdup(is->server_ca_pem)) == NULL)
      return failf(errmsg, "out of memory%s%s", "", "");
    *len = strlen(*pem);
  }
  return 0;
}

/* A fresh token into dir/token. *life_s: what the server granted. */
static int write_token(const struct cp_isolated_identity *ii,
                       const char *plugin, const char *dir, int64_t *life_s,
                       char **errmsg) {
  char *token = NULL;
  int64_t ask = ii->is->token_seconds > 0 ? ii->is->token_seconds
                                          : CP_IDENTITY_TOKEN_SECONDS;
  int rc;

  if (cp_identity_token_request(ii->is->admin, plugin, ask, &token, life_s,
                                errmsg) < 0)
    return -1;
  rc = cp_isolated_write_private(dir, "token", token, strlen(token), errmsg);
  OPENSSL_cleanse(token, strlen(token));
  free(token);
  return rc;
}

/* The CA (when there is one), the kubeconfig and a fresh token into
 * dir. Caller holds files_mu. */
static int write_files(const struct cp_isolated_identity *ii,
                       const char *plugin, const char *dir, const char *ca,
                       size_t ca_len, const char *kc, int64_t *life_s,
                       char **errmsg) {
  if (ca != NULL &&
      cp_isolated_write_private(dir, "ca.crt", ca, ca_len, errmsg) < 0)
    return -1;
  if (cp_isolated_write_private(dir, "kubeconfig", kc, strlen(kc), errmsg) <
      0)
    return -1;
  return write_token(ii, plugin, dir, life_s, errmsg);
}

/* Sets (or adds) plugin's renewal time and wakes the thread. */
static int schedule(struct cp_isolated_identity *ii, const char *plugin,
                    int64_t at_ms) {
  struct entry *e;

  pthread_mutex_lock(&ii->mu);
  for (e = ii->entries; e != NULL; e = e->next)
    if (strcmp(e->name, plugin) == 0)
      break;
  if (e == NULL && (e = calloc(1, sizeof *e)) != NULL) {
    if ((e->name = strdup(plugin)) == NULL) {
      free(e);
      e = NULL;
    } else {
      e->next = ii->entries;
      ii->entries = e;
    }
  }
  if (e != NULL)
    e->renew_at_ms = at_ms;
  pthread_cond_signal(&ii->cv);
  pthread_mutex_unlock(&ii->mu);
  return e != NULL ? 0 : -1;
}

static int64_t renew_at(int64_t life_s) {
  return mono_ms() + life_s * 1000 * RENEW_PERCENT / 100;
}

int cp_isolated_identity_prepare(struct cp_isolated_identity *ii,
                                 const char *plugin,
                                 const struct cplane_plugin *desc,
                                 char **errmsg) {
  char *dir = NULL, *ca = NULL, *kc = NULL;
  size_t ca_len = 0;
  int64_t life = 0;
  int rc = -1, files;

  *errmsg = NULL;
  if (!name_ok(plugin))
    return failf(errmsg, "plugin name '%s' cannot name a directory%s",
                 plugin ? plugin : "", "");
  if ((dir = plugin_dir(ii, plugin)) == NULL)
    goto out;
  if (cp_isolated_private_dir(ii->dir, errmsg) < 0 ||
      cp_isolated_private_dir(dir, errmsg) < 0)
    goto out;
  /* First: a token is asked for the ServiceAccount, so it must exist;
   * the role before the child's first list. */
  if (ii->is->manage_rbac)
    cp_identity_rbac_ensure_of(ii->is->admin, plugin, desc, 1);
  if (server_ca(ii->is, &ca, &ca_len, errmsg) < 0 ||
      (kc = cp_isolated_kubeconfig_text(ii->is->server, plugin, ca != NULL,
                                        ii->is->insecure)) == NULL)
    goto out;
  pthread_mutex_lock(&ii->files_mu);
  files = write_files(ii, plugin, dir, ca, ca_len, kc, &life, errmsg);
  pthread_mutex_unlock(&ii->files_mu);
  if (files < 0)
    goto out;
  if (schedule(ii, plugin, renew_at(life)) < 0)
    goto out;
  cp_log_info("identity", "plugin %s's process calls the API as "
                          "system:serviceaccount:%s:%s (ServiceAccount "
                          "token, %lld s; %s/kubeconfig)",
              plugin, CP_IDENTITY_NAMESPACE, plugin, (long long)life, dir);
  rc = 0;
out:
  if (rc < 0 && *errmsg == NULL)
    *errmsg = strdup("out of memory");
  free(ca);
  free(kc);
  free(dir);
  return rc;
}

int cp_isolated_identity_renew(struct cp_isolated_identity *ii,
                               const char *plugin, char **errmsg) {
  char *dir = NULL;
  int64_t life = 0;
  int rc = -1;

  *errmsg = NULL;
  if (!name_ok(plugin) || (dir = plugin_dir(ii, plugin)) == NULL)
    return failf(errmsg, "plugin '%s': no such directory%s",
                 plugin ? plugin : "", "");
  pthread_mutex_lock(&ii->files_mu);
  rc = write_token(ii, plugin, dir, &life, errmsg);
  pthread_mutex_unlock(&ii->files_mu);
  if (rc == 0) {
    rc = schedule(ii, plugin, renew_at(life));
    pthread_mutex_lock(&ii->mu);
    ii->renewals++;
    pthread_mutex_unlock(&ii->mu);
    cp_log_info("identity", "plugin %s's process: token renewed (%lld s)",
                plugin, (long long)life);
  }
  free(dir);
  return rc;
}

static int listed(const char *name, const char *const *names, size_t n) {
  size_t i;

  for (i = 0; i < n; i++)
    if (strcmp(names[i], name) == 0)
      return 1;
  return 0;
}

size_t cp_isolated_identity_retain(struct cp_isolated_identity *ii,
                                   const char *const *names, size_t n) {
  struct entry **pp, *gone = NULL, *e;
  size_t dropped = 0;
  char *path = NULL;

  pthread_mutex_lock(&ii->mu);
  for (pp = &ii->entries; (e = *pp) != NULL;) {
    if (listed(e->name, names, n)) {
      pp = &e->next;
      continue;
    }
    *pp = e->next;
    e->next = gone;
    gone = e;
  }
  pthread_mutex_unlock(&ii->mu);
  /* Its child is stopped: the token it held is of no more use here. */
  pthread_mutex_lock(&ii->files_mu);
  while ((e = gone) != NULL) {
    gone = e->next;
    if (asprintf(&path, "%s/%s/token", ii->dir, e->name) >= 0) {
      unlink(path);
      free(path);
    }
    cp_log_info("identity", "plugin %s no longer runs isolated: its token "
                            "file is removed and no longer renewed",
                e->name);
    free(e->name);
    free(e);
    dropped++;
  }
  pthread_mutex_unlock(&ii->files_mu);
  return dropped;
}

uint64_t cp_isolated_identity_renewals(struct cp_isolated_identity *ii) {
  uint64_t n;

  pthread_mutex_lock(&ii->mu);
  n = ii->renewals;
  pthread_mutex_unlock(&ii->mu);
  return n;
}

/* The first plugin due by now, copied into name (at most len), or 0 and
 * *next_ms: when the earliest is due (-1: none). Caller holds mu. */
static int due(struct cp_isolated_identity *ii, int64_t now, char *name,
               size_t len, int64_t *next_ms) {
  struct entry *e;

  *next_ms = -1;
  for (e = ii->entries; e != NULL; e = e->next) {
    if (e->renew_at_ms <= now) {
      snprintf(name, len, "%s", e->name);
      e->renew_at_ms = now + RETRY_MS; /* until the renewal says */
      return 1;
    }
    if (*next_ms < 0 || e->renew_at_ms < *next_ms)
      *next_ms = e->renew_at_ms;
  }
  return 0;
}

static void *renewer(void *arg) {
  struct cp_isolated_identity *ii = arg;
  char name[256], *err = NULL;
  int64_t next;
  struct timespec ts;

  pthread_setname_np(pthread_self(), "isolated-token");
  pthread_mutex_lock(&ii->mu);
  while (!ii->stopping) {
    if (due(ii, mono_ms(), name, sizeof name, &next)) {
      pthread_mutex_unlock(&ii->mu);
      if (cp_isolated_identity_renew(ii, name, &err) < 0) {
        cp_log_warn("identity", "plugin %s's process: renewing its token "
                                "failed (retrying in %d s): %s",
                    name, RETRY_MS / 1000, err ? err : "out of memory");
        schedule(ii, name, mono_ms() + RETRY_MS);
      }
      free(err);
      err = NULL;
      pthread_mutex_lock(&ii->mu);
      continue;
    }
    if (next < 0) {
      pthread_cond_wait(&ii->cv, &ii->mu);
      continue;
    }
    ts.tv_sec = next / 1000;
    ts.tv_nsec = (next % 1000) * 1000000;
    pthread_cond_timedwait(&ii->cv, &ii->mu, &ts);
  }
  pthread_mutex_unlock(&ii->mu);
  return NULL;
}

struct cp_isolated_identity *
cp_isolated_identity_new(const char *dir, const struct cp_identity_issuer *is) {
  struct cp_isolated_identity *ii = calloc(1, sizeof *ii);
  pthread_condattr_t ca;

  if (ii == NULL || (ii->dir = strdup(dir)) == NULL) {
    free(ii);
    return NULL;
  }
  ii->is = is;
  pthread_mutex_init(&ii->mu, NULL);
  pthread_mutex_init(&ii->files_mu, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&ii->cv, &ca);
  pthread_condattr_destroy(&ca);
  if (pthread_create(&ii->thread, NULL, renewer, ii) != 0) {
    pthread_cond_destroy(&ii->cv);
    pthread_mutex_destroy(&ii->files_mu);
    pthread_mutex_destroy(&ii->mu);
    free(ii->dir);
    free(ii);
    return NULL;
  }
  return ii;
}

void cp_isolated_identity_free(struct cp_isolated_identity *ii) {
  struct entry *e;

  if (ii == NULL)
    return;
  pthread_mutex_lock(&ii->mu);
  ii->stopping = 1;
  pthread_cond_signal(&ii->cv);
  pthread_mutex_unlock(&ii->mu);
  pthread_join(ii->thread, NULL);
  while ((e = ii->entries) != NULL) {
    ii->entries = e->next;
    free(e->name);
    free(e);
  }
  pthread_cond_destroy(&ii->cv);
  pthread_mutex_destroy(&ii->files_mu);
  pthread_mutex_destroy(&ii->mu);
  free(ii->dir);
  free(ii);
}
