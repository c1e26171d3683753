/*
 * summary - see summary.h.
 */
#include "plugin/summary.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"

/* A directory of thousands of files is a mistake, not a plugin set: the
 * line stays bounded. */
#define MAX_LISTED 64

/* 1 when an enabled section loads `file` (a name in the plugin dir). */
static int enabled_file(const struct cp_config *cfg, const char *file) {
  size_t i;

  for (i = 0; i < cfg->n_plugins; i++) {
    const struct cp_plugin_config *pc = &cfg->plugins[i];

    if (pc->enabled && pc->file != NULL && strcmp(pc->file, file) == 0)
      return 1;
  }
  return 0;
}

static int is_plugin_file(const struct dirent *d) {
  size_t n = strlen(d->d_name);

  return d->d_name[0] != '.' && n > 3 && strcmp(d->d_name + n - 3, ".so") == 0;
}

static void put_loaded(const struct cp_registry *reg, FILE *out) {
  size_t i;

  fputs("plugins: loaded ", out);
  if (reg->n_plugins == 0)
    fputs("none", out);
  for (i = 0; i < reg->n_plugins; i++) {
    const struct cplane_plugin_ctx *p = reg->plugins[i];

    fprintf(out, "%s%s%s%s", i > 0 ? ", " : "", p->name,
            p->desc.version != NULL ? " " : "",
            p->desc.version != NULL ? p->desc.version : "");
  }
}

static void put_refused(const struct cp_registry *reg, FILE *out) {
  size_t i;

  for (i = 0; i < reg->n_refusals; i++)
    fprintf(out, "%s%s (%s)", i > 0 ? ", " : "; refused ",
            reg->refusals[i].name, reg->refusals[i].why);
}

static void put_installed(const struct cp_config *cfg, const char *dir,
                          FILE *out) {
  struct dirent **names = NULL;
  int n = scandir(dir, &names, is_plugin_file, alphasort), i, listed = 0;

  for (i = 0; i < n; i++) {
    if (!enabled_file(cfg, names[i]->d_name)) {
      if (listed < MAX_LISTED)
        fprintf(out, "%s%s", listed > 0 ? ", " : "; installed but not "
                                                  "enabled: ",
                names[i]->d_name);
      listed++;
    }
    free(names[i]);
  }
  free(names);
  if (listed > MAX_LISTED)
    fprintf(out, " and %d more", listed - MAX_LISTED);
  if (listed > 0)
    fputs(" (enable in [plugin.NAME])", out);
}

int cp_plugin_summary(const struct cp_registry *reg,
                      const struct cp_config *cfg, const char *plugin_dir,
                      char **out) {
  size_t len = 0;
  FILE *f;

  *out = NULL;
  f = open_memstream(out, &len);
  if (f == NULL)
    return -1;
  put_loaded(reg, f);
  put_refused(reg, f);
  if (plugin_dir != NULL)
    put_installed(cfg, plugin_dir, f);
  if (fclose(f) != 0) {
    free(*out);
    *out = NULL;
    return -1;
  }
  return 0;
}

void cp_plugin_summary_log(const struct cp_registry *reg,
                           const struct cp_config *cfg,
                           const char *plugin_dir) {
  char *line = NULL;

  if (cp_plugin_summary(reg, cfg, plugin_dir, &line) < 0) {
    cp_log_error("cplane", "out of memory listing the plugins");
    return;
  }
  cp_log_info("cplane", "%s", line);
  free(line);
}
