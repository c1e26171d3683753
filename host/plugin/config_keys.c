/*
 * config_keys - see config_keys.h.
 */
#include "plugin/config_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/plugin.h"

/* A plugin's key list is its own data: bound what we walk and print. */
#define MAX_DECLARED 256
#define MAX_KEY_LEN 128

static int declares(const char *const *declared, const char *key) {
  size_t i;

  for (i = 0; i < MAX_DECLARED && declared[i] != NULL; i++)
    if (strcmp(declared[i], key) == 0)
      return 1;
  return 0;
}

/* "label, selector", or a phrase when the plugin reads no key. Returns a
 * malloc'd string, or NULL when out of memory. */
static char *declared_list(const char *const *declared) {
  char *buf = NULL;
  size_t len = 0, i;
  FILE *out = open_memstream(&buf, &len);

  if (out == NULL)
    return NULL;
  for (i = 0; i < MAX_DECLARED && declared[i] != NULL; i++)
    fprintf(out, "%s%.*s", i > 0 ? ", " : "", MAX_KEY_LEN, declared[i]);
  if (i == 0)
    fputs("no key of its own", out);
  if (fclose(out) != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

int cp_config_keys_check(const char *const *declared,
                         const struct cp_plugin_config *pc, const char *path,
                         cp_config_keys_report_fn report, void *ud) {
  char *list = NULL, *msg;
  size_t i;
  int n = 0;

  if (declared == NULL)
    return 0;
  for (i = 0; i < pc->n_keys; i++) {
    const struct cp_config_kv *kv = &pc->keys[i];

    if (cp_config_is_host_plugin_key(kv->key) || declares(declared, kv->key))
      continue;
    if (list == NULL && (list = declared_list(declared)) == NULL)
      return -1;
    if (asprintf(&msg, "%s:%d: [plugin.%s] unknown key '%s' (the plugin "
                       "reads: %s)", path, kv->line, pc->name, kv->key,
                 list) < 0) {
      free(list);
      return -1;
    }
    report(ud, msg);
    free(msg);
    n++;
  }
  free(list);
  return n;
}

static void print_line(void *ud, const char *msg) {
  fprintf(ud, "%s\n", msg);
}

int cp_config_keys_check_all(const struct cp_config *cfg,
                             const char *plugin_dir, FILE *out) {
  size_t i;
  int unknown = 0, n;

  for (i = 0; i < cfg->n_plugins; i++) {
    const struct cp_plugin_config *pc = &cfg->plugins[i];
    struct cplane_plugin_ctx *p = NULL;
    char *err = NULL;

    if (!pc->enabled)
      continue;
    if (cp_plugin_load(plugin_dir, pc, &p, &err) < 0) {
      fprintf(out, "%s:%d: [plugin.%s] keys not checked: %s\n", cfg->path,
              pc->line, pc->name, err != NULL ? err : "out of memory");
      free(err);
      continue;
    }
    n = cp_config_keys_check(p->desc.config_keys, pc, cfg->path, print_line,
                             out);
    cp_plugin_free(p);
    if (n < 0)
      return -1;
    unknown += n;
  }
  return unknown;
}
