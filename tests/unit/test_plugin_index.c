/*
 * test_plugin_index - a plugin's computed index (api->cache_add_index_fn)
 * belongs to the plugin, with the builds of the `indexer` fixture, whose
 * index function reads userdata that fini() frees: a hot upgrade whose new
 * build registers the same name takes the index over (lists by index work
 * before and after, with the new function's values); a new build that
 * registers none leaves no index calling the old build's freed userdata
 * (ASan); one whose init() fails gives the index back to the old build; a
 * plugin disabled by SIGHUP keeps its index (it stays loaded, its userdata
 * alive, for a re-enable without init()) and objects may change under it;
 * shutdown drops it before fini().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "informer/informer.h"
#include "log/log.h"
#include "object/object.h"
#include "plugin/plugin.h"
#include "plugin/registry.h"
#include "plugin/upgrade.h"

struct fixture {
  char dir[64];            /* temp plugin directory */
  char fixtures[PATH_MAX]; /* the built fixture .so files */
  char ini[64];
  struct cp_config *cfg;
  struct cp_registry reg;
  struct cp_informer *inf; /* the shared ConfigMap cache */
  int started;
};

static void find_fixtures(char *out, size_t len) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

  assert_true(n > 0);
  exe[n] = '\0';
  *strrchr(exe, '/') = '\0';
  assert_true(snprintf(out, len, "%s/plugins", exe) < (int)len);
}

/* Installs build (indexer_BUILD.so) as indexer.so: a new file renamed over
 * the old name. */
static void install(struct fixture *f, const char *build) {
  char from[PATH_MAX + 64], tmp[128], to[128], buf[65536];
  int in, out;
  ssize_t n;

  snprintf(from, sizeof from, "%s/indexer_%s.so", f->fixtures, build);
  snprintf(tmp, sizeof tmp, "%s/.indexer.tmp", f->dir);
  snprintf(to, sizeof to, "%s/indexer.so", f->dir);
  in = open(from, O_RDONLY);
  if (in < 0)
    fail_msg("fixture %s missing: build it with make", from);
  out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0755);
  assert_true(out >= 0);
  while ((n = read(in, buf, sizeof buf)) > 0)
    assert_int_equal(write(out, buf, (size_t)n), n);
  close(in);
  close(out);
  assert_int_equal(rename(tmp, to), 0);
}

static void write_ini(struct fixture *f, int enabled) {
  FILE *fp = fopen(f->ini, "w");

  assert_non_null(fp);
  fprintf(fp, "[plugin.indexer]\nenabled = %s\nfile = indexer.so\n",
          enabled ? "true" : "false");
  fclose(fp);
}

static struct cplane_plugin_ctx *plugin(struct fixture *f) {
  struct cplane_plugin_ctx *p = cp_registry_find(&f->reg, "indexer");

  assert_non_null(p);
  return p;
}

/* Loads and starts the registry with v1. */
static void start(struct fixture *f) {
  char *err = NULL;

  write_ini(f, 1);
  install(f, "v1");
  if (cp_config_load(f->ini, &f->cfg, &err) != 0)
    fail_msg("%s", err);
  assert_int_equal(cp_registry_load(&f->reg, f->cfg, f->dir, 1, &err), 0);
  f->started = 1;
  assert_int_equal(cp_registry_start(&f->reg, &err), 0);
  f->inf = plugin(f)->informers[0];
}

static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof *f);
  int fd;

  assert_non_null(f);
  strcpy(f->dir, "/tmp/cplane-index-XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  chmod(f->dir, 0755);
  find_fixtures(f->fixtures, sizeof f->fixtures);
  strcpy(f->ini, "/tmp/cplane-index-ini-XXXXXX");
  fd = mkstemp(f->ini);
  assert_true(fd >= 0);
  close(fd);
  cp_log_set_level(CPLANE_LOG_ERROR);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fixture *f = *state;
  char cmd[128];

  if (f->started)
    cp_registry_free(&f->reg);
  cp_config_free(f->cfg);
  unlink(f->ini);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  assert_int_equal(system(cmd), 0);
  free(f);
  return 0;
}

/* Stores ConfigMap ns/name with label team=TEAM at resourceVersion rv. */
static void feed(struct fixture *f, const char *name, const char *team,
                 int rv) {
  char json[512], *err = NULL;
  cplane_object *obj = NULL;

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{"
           "\"name\":\"%s\",\"namespace\":\"ns\",\"resourceVersion\":\"%d\","
           "\"labels\":{\"team\":\"%s\"}}}",
           name, rv, team);
  assert_int_equal(cp_object_parse(json, strlen(json), &obj, &err), 0);
  assert_int_equal(cp_informer_upsert(f->inf, obj), CPLANE_OK);
}

/* How many cached objects "by-team" lists under value; -1: no index. */
static int count(struct fixture *f, const char *value) {
  const cplane_object **objs = NULL;
  size_t n = 0;
  int r = cp_informer_list_by_index(f->inf, "by-team", value, NULL, &objs,
                                    &n);

  if (r == CPLANE_ENOENT)
    return -1;
  assert_int_equal(r, CPLANE_OK);
  cp_informer_list_free(objs, n);
  return (int)n;
}

static enum cp_upgrade_result upgrade(struct fixture *f, const char *build) {
  install(f, build);
  return cp_upgrade_plugin(&f->reg, &f->cfg->plugins[0], f->dir, 8, NULL);
}

/* The new build takes the index over: today's code refused the upgrade
 * (the same name with another function was CPLANE_EINVAL). */
static void test_upgrade_takes_index_over(void **state) {
  struct fixture *f = *state;

  start(f);
  feed(f, "a", "red", 1);
  feed(f, "b", "red", 2);
  feed(f, "c", "blue", 3);
  assert_int_equal(count(f, "v1:red"), 2);
  assert_int_equal(count(f, "v1:blue"), 1);
  assert_int_equal(upgrade(f, "v2"), CP_UPGRADE_DONE);
  assert_string_equal(plugin(f)->desc.version, "0.2.0");
  assert_null(plugin(f)->predecessor);
  /* Re-indexed with the new build's function, over the same cache. */
  assert_int_equal(count(f, "v1:red"), 0);
  assert_int_equal(count(f, "v2:red"), 2);
  assert_int_equal(count(f, "v2:blue"), 1);
  /* The old build's fini() did not remove it, and changes go on. */
  feed(f, "c", "red", 4);
  feed(f, "d", "green", 5);
  assert_int_equal(count(f, "v2:red"), 3);
  assert_int_equal(count(f, "v2:blue"), 0);
  assert_int_equal(count(f, "v2:green"), 1);
}

/* A new build without the index: the old build's index goes before its
 * fini() frees the userdata (today: a use-after-free on the next change). */
static void test_upgrade_drops_old_index(void **state) {
  struct fixture *f = *state;

  start(f);
  feed(f, "a", "red", 1);
  assert_int_equal(count(f, "v1:red"), 1);
  assert_int_equal(upgrade(f, "plain"), CP_UPGRADE_DONE);
  assert_int_equal(count(f, "v1:red"), -1);
  feed(f, "a", "blue", 2);
  feed(f, "b", "red", 3);
  assert_int_equal(count(f, "v1:red"), -1);
  /* A later build may register the name afresh. */
  assert_int_equal(upgrade(f, "v2"), CP_UPGRADE_DONE);
  assert_int_equal(count(f, "v2:red"), 1);
  assert_int_equal(count(f, "v2:blue"), 1);
}

/* A build that takes the index over, then fails init(), gives it back:
 * the old build goes on with its own values. */
static void test_failed_init_gives_index_back(void **state) {
  struct fixture *f = *state;
  struct cplane_plugin_ctx *old;

  start(f);
  old = plugin(f);
  feed(f, "a", "red", 1);
  assert_int_equal(upgrade(f, "bad"), CP_UPGRADE_REFUSED);
  assert_ptr_equal(plugin(f), old);
  assert_int_equal(count(f, "bad:red"), 0);
  assert_int_equal(count(f, "v1:red"), 1);
  feed(f, "b", "red", 2);
  assert_int_equal(count(f, "v1:red"), 2);
  /* Then a good build still takes it over from the running one. */
  assert_int_equal(upgrade(f, "v2"), CP_UPGRADE_DONE);
  assert_int_equal(count(f, "v2:red"), 2);
}

/* Disabled by SIGHUP, the plugin stays loaded without fini() (its
 * userdata alive) for a re-enable that does not run init() again: its
 * index stays and keeps up with changes; the shutdown's fini() drops it
 * first (the sanitizer run checks nothing calls freed userdata). */
static void test_disabled_keeps_index_until_fini(void **state) {
  struct fixture *f = *state;
  struct cp_config *off = NULL, *on = NULL;
  char *err = NULL;

  start(f);
  feed(f, "a", "red", 1);
  write_ini(f, 0);
  assert_int_equal(cp_config_load(f->ini, &off, &err), 0);
  assert_int_equal(cp_registry_reload(&f->reg, off, f->dir, &err), 1);
  assert_int_equal(plugin(f)->state, CP_PLUGIN_STOPPED);
  feed(f, "a", "blue", 2);
  feed(f, "b", "red", 3);
  assert_int_equal(count(f, "v1:red"), 1);
  assert_int_equal(count(f, "v1:blue"), 1);
  write_ini(f, 1);
  assert_int_equal(cp_config_load(f->ini, &on, &err), 0);
  assert_int_equal(cp_registry_reload(&f->reg, on, f->dir, &err), 1);
  assert_int_equal(plugin(f)->state, CP_PLUGIN_RUNNING);
  assert_int_equal(count(f, "v1:red"), 1);
  cp_registry_stop(&f->reg);
  assert_int_equal(plugin(f)->state, CP_PLUGIN_FINISHED);
  assert_int_equal(count(f, "v1:red"), -1);
  /* The cache outlives the plugins: a change now calls nothing freed. */
  cp_informer_start(f->inf);
  feed(f, "c", "red", 4);
  assert_int_equal(count(f, "v1:red"), -1);
  cp_registry_free(&f->reg);
  f->started = 0;
  cp_config_free(off);
  cp_config_free(on);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_upgrade_takes_index_over, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_upgrade_drops_old_index, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_failed_init_gives_index_back,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_disabled_keeps_index_until_fini,
                                      setup, teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
