/*
 * isolated - see isolated.h.
 */
#include "plugin/isolated.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock/clock.h"
#include "log/log.h"
#include "plugin/isolated_describe.h"
#include "plugin/isolated_identity.h"

/* A plugin's describing process (it loads one file) gets this long. */
#define DESCRIBE_TIMEOUT_MS 10000

static int isolated(const struct cp_plugin_config *pc) {
  return pc->enabled && pc->isolation == CP_ISOLATION_PROCESS;
}

size_t cp_isolated_count(const struct cp_config *cfg) {
  size_t i, n = 0;

  for (i = 0; i < cfg->n_plugins; i++)
    n += isolated(&cfg->plugins[i]) != 0;
  return n;
}

/* What the child is started from: its section's keys and its file's
 * identity and modification time. The same again: nothing to restart. */
static char *fingerprint(const struct cp_plugin_config *pc,
                         const char *plugin_dir) {
  char *out = NULL, *path = NULL;
  size_t len = 0, i;
  FILE *f = open_memstream(&out, &len);
  struct stat st;

  if (f == NULL)
    return NULL;
  for (i = 0; i < pc->n_keys; i++)
    fprintf(f, "%s=%s\n", pc->keys[i].key, pc->keys[i].value);
  if (asprintf(&path, "%s/%s", plugin_dir, pc->file) >= 0 &&
      stat(path, &st) == 0)
    fprintf(f, "file %llu:%llu:%lld:%lld.%09ld\n",
            (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
            (long long)st.st_size, (long long)st.st_mtim.tv_sec,
            st.st_mtim.tv_nsec);
  free(path);
  if (fclose(f) != 0) {
    free(out);
    return NULL;
  }
  return out;
}

static int apply_one(struct cp_supervisor *s, const struct cp_plugin_config *pc,
                     const struct cp_isolated_launch *l) {
  const char *argv[14];
  char *fp = fingerprint(pc, l->plugin_dir), *own = NULL;
  const char *kubeconfig = l->kubeconfig;
  int n = 0, rc;

  if (fp == NULL)
    return -1;
  /* Its own credential, never the host's (isolated_identity.h). */
  if (l->identity != NULL &&
      (kubeconfig = own = cp_isolated_identity_kubeconfig(l->identity,
                                                          pc->name)) == NULL) {
    free(fp);
    return -1;
  }
  argv[n++] = l->exe;
  argv[n++] = "--config";
  argv[n++] = l->config_path;
  argv[n++] = "--only-plugin";
  argv[n++] = pc->name;
  argv[n++] = "--plugin-dir";
  argv[n++] = l->plugin_dir;
  argv[n++] = "--strict"; /* a refused plugin: the child exits, backs off */
  if (kubeconfig != NULL) {
    argv[n++] = "--kubeconfig";
    argv[n++] = kubeconfig;
  }
  if (l->log_level != NULL) {
    argv[n++] = "--log-level";
    argv[n++] = l->log_level;
  }
  argv[n] = NULL;
  rc = cp_supervisor_set(s, pc->name, (char *const *)argv, fp);
  free(fp);
  free(own);
  if (rc == 2)
    cp_log_info("supervisor", "plugin %s changed: restarting its process",
                pc->name);
  return rc;
}

int cp_isolated_apply(struct cp_supervisor *s, const struct cp_config *cfg,
                      const struct cp_isolated_launch *l) {
  const char **keep = calloc(cfg->n_plugins + 1, sizeof *keep);
  size_t i, n = 0;
  int changed = 0, rc;

  if (keep == NULL)
    return 0; /* out of memory: the running children stay as they are */
  for (i = 0; i < cfg->n_plugins; i++) {
    const struct cp_plugin_config *pc = &cfg->plugins[i];

    if (!isolated(pc))
      continue;
    keep[n++] = pc->name;
    rc = apply_one(s, pc, l);
    if (rc < 0)
      cp_log_error("supervisor", "plugin %s: out of memory", pc->name);
    changed += rc > 0;
  }
  changed += cp_supervisor_retain(s, keep, n);
  if (l->identity != NULL)
    cp_isolated_identity_retain(l->identity, keep, n);
  free(keep);
  return changed;
}

int cp_isolated_only(struct cp_config *cfg, const char *name, char **errmsg) {
  size_t i;
  int found = 0;

  *errmsg = NULL;
  for (i = 0; i < cfg->n_plugins; i++) {
    struct cp_plugin_config *pc = &cfg->plugins[i];

    if (strcmp(pc->name, name) == 0 && pc->enabled) {
      found = 1;
      pc->isolation = CP_ISOLATION_IN_PROCESS;
      continue;
    }
    pc->enabled = 0;
  }
  if (found)
    return 0;
  if (asprintf(errmsg, "%s: --only-plugin %s: no enabled [plugin.%s]",
               cfg->path, name, name) < 0)
    *errmsg = NULL;
  return -1;
}

int cp_isolated_before_start(void *ud, const char *name, char **errmsg) {
  const struct cp_isolated_launch *l = ud;
  const char *argv[] = {l->exe,        "--config",     l->config_path,
                        "--only-plugin", name,         "--plugin-dir",
                        l->plugin_dir, "--describe-plugin", NULL};
  struct cp_isolated_desc d;
  char *err = NULL;
  int64_t t0 = cp_now_ms(), t1;
  int have, rc;

  *errmsg = NULL;
  if (l->identity == NULL)
    return 0;
  /* What the file declares now (a new build may declare more or less),
   * read by a process that holds no credential. Without it the role
   * stays as it is and the child's own load reports what is wrong. */
  have = cp_isolated_describe((char *const *)argv, name, DESCRIBE_TIMEOUT_MS,
                              &d, &err) == 0;
  if (!have)
    cp_log_warn("identity", "plugin %s: cannot read what its descriptor "
                            "declares (%s): its RBAC role is left as it is",
                name, err != NULL ? err : "out of memory");
  free(err);
  t1 = cp_now_ms();
  rc = cp_isolated_identity_prepare(l->identity, name,
                                    have ? &d.desc : NULL, errmsg);
  if (have)
    cp_isolated_desc_free(&d);
  /* What each (re)start costs before the child runs. */
  if (rc == 0)
    cp_log_info("identity", "plugin %s: process start prepared in %lld ms "
                            "(describing %lld ms, ServiceAccount, RBAC "
                            "and token %lld ms)",
                name, (long long)(cp_now_ms() - t0), (long long)(t1 - t0),
                (long long)(cp_now_ms() - t1));
  return rc;
}
