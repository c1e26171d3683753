/*
 * test_upgrade - hot upgrade of a running plugin (plugin/upgrade.h) with
 * the builds of the `upgradable` fixture: a changed file is upgraded and
 * the new build runs on the same shared informer and queue; the same
 * content (even as a new file) does nothing; a file overwritten in place
 * (same inode) upgrades to the new bytes, not to the cached old handle;
 * an init() failure keeps the old build running and is not retried for
 * the same content; max_retained_images refuses past the bound; a key
 * being reconciled during the swap finishes on the old build before its
 * fini(), and the keys still queued are reconciled by the new one; a
 * standby's plugin is swapped without starting. Also
 * the workqueue's pause, which carries the queue over, and the
 * [host] max_retained_images key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
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
#include "workqueue/workqueue.h"

#include "../plugins/upgradable_stats.h"

struct fixture {
  char dir[64];            /* temp plugin directory */
  char fixtures[PATH_MAX]; /* the built fixture .so files */
  char ini[PATH_MAX];
  struct cp_config *cfg;
  struct cp_registry reg;
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

/* Reads fixture `build` (upgradable_BUILD.so) whole. */
static char *read_build(struct fixture *f, const char *build, size_t *len) {
  char path[PATH_MAX + 64];
  struct stat st;
  char *buf;
  int fd;

  snprintf(path, sizeof path, "%s/upgradable_%s.so", f->fixtures, build);
  fd = open(path, O_RDONLY);
  if (fd < 0)
    fail_msg("fixture %s missing: build it with make", path);
  assert_int_equal(fstat(fd, &st), 0);
  buf = malloc((size_t)st.st_size);
  assert_non_null(buf);
  assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
  close(fd);
  *len = (size_t)st.st_size;
  return buf;
}

/* Installs a build as upgradable.so the way a package manager does: a
 * new file renamed over the old name (a new inode). */
static void install(struct fixture *f, const char *build) {
  char tmp[128], to[128];
  size_t len;
  char *buf = read_build(f, build, &len);
  int fd;

  snprintf(tmp, sizeof tmp, "%s/.upgradable.tmp", f->dir);
  snprintf(to, sizeof to, "%s/upgradable.so", f->dir);
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0755);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, buf, len), (ssize_t)len);
  close(fd);
  assert_int_equal(rename(tmp, to), 0);
  free(buf);
}

/* Overwrites upgradable.so in place (`cp new.so upgradable.so`): the same
 * inode, new bytes. Returns the inode. */
static ino_t overwrite(struct fixture *f, const char *build) {
  char to[128];
  struct stat st;
  size_t len;
  char *buf = read_build(f, build, &len);
  int fd;

  snprintf(to, sizeof to, "%s/upgradable.so", f->dir);
  fd = open(to, O_WRONLY | O_TRUNC);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, buf, len), (ssize_t)len);
  assert_int_equal(fstat(fd, &st), 0);
  close(fd);
  free(buf);
  return st.st_ino;
}

static ino_t inode_of(struct fixture *f) {
  char path[128];
  struct stat st;

  snprintf(path, sizeof path, "%s/upgradable.so", f->dir);
  assert_int_equal(stat(path, &st), 0);
  return st.st_ino;
}

static struct cplane_plugin_ctx *plugin(struct fixture *f) {
  struct cplane_plugin_ctx *p = cp_registry_find(&f->reg, "upgradable");

  assert_non_null(p);
  return p;
}

static struct upgradable_stats *stats_of(struct cplane_plugin_ctx *p) {
  upgradable_stats_fn fn;

  *(void **)&fn = dlsym(p->dl, "fixture_upgradable_stats");
  assert_non_null(fn);
  return fn();
}

/* Loads the registry with v1 installed and `workers`; starts its caches,
 * and its controllers unless `standby` (leader election, not leading). */
static void start_as(struct fixture *f, int workers, int standby) {
  char *err = NULL;
  FILE *fp = fopen(f->ini, "w");

  assert_non_null(fp);
  fprintf(fp, "[plugin.upgradable]\nenabled = true\nfile = upgradable.so\n"
              "workers = %d\n", workers);
  fclose(fp);
  install(f, "v1");
  if (cp_config_load(f->ini, &f->cfg, &err) != 0)
    fail_msg("%s", err);
  assert_int_equal(cp_registry_load(&f->reg, f->cfg, f->dir, 1, &err), 0);
  f->started = 1;
  assert_int_equal(cp_registry_start_caches(&f->reg, &err), 0);
  if (!standby)
    assert_int_equal(cp_registry_start_controllers(&f->reg, &err), 0);
  assert_string_equal(plugin(f)->desc.version, "0.1.0");
}

static void start(struct fixture *f, int workers) { start_as(f, workers, 0); }

static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof *f);
  int fd;

  assert_non_null(f);
  strcpy(f->dir, "/tmp/cplane-upgrade-XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  chmod(f->dir, 0755);
  find_fixtures(f->fixtures, sizeof f->fixtures);
  strcpy(f->ini, "/tmp/cplane-upgrade-ini-XXXXXX");
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

static cplane_object *configmap(const char *name, int rv, int sleep_ms) {
  char json[512];
  cplane_object *obj = NULL;
  char *err = NULL;

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{"
           "\"name\":\"%s\",\"namespace\":\"ns\",\"resourceVersion\":\"%d\","
           "\"labels\":{\"upgrade\":\"yes\"}},\"data\":{\"sleep_ms\":"
           "\"%d\"}}",
           name, rv, sleep_ms);
  assert_int_equal(cp_object_parse(json, strlen(json), &obj, &err), 0);
  return obj;
}

static void feed(struct fixture *f, const char *name, int rv, int sleep_ms) {
  assert_int_equal(
      cp_informer_upsert(plugin(f)->informers[0], configmap(name, rv, sleep_ms)),
      CPLANE_OK);
}

/* Waits up to 10 s for *counter >= want. */
static void wait_for(atomic_int *counter, int want) {
  int i;

  for (i = 0; i < 3000 && atomic_load(counter) < want; i++)
    usleep(10000);
  assert_true(atomic_load(counter) >= want);
}

static enum cp_upgrade_result upgrade(struct fixture *f, unsigned max,
                                      char **why) {
  return cp_upgrade_plugin(&f->reg, &f->cfg->plugins[0], f->dir, max, why);
}

static void test_changed_content_upgrades(void **state) {
  struct fixture *f = *state;
  struct cplane_plugin_ctx *old;
  struct upgradable_stats *s1, *s2;
  struct cp_informer *inf;
  size_t informers;
  char *why = NULL;
  int i;

  start(f, 2);
  old = plugin(f);
  s1 = stats_of(old);
  inf = old->informers[0];
  informers = f->reg.n_informers;
  for (i = 0; i < 5; i++) {
    char name[16];

    snprintf(name, sizeof name, "cm%d", i);
    feed(f, name, i + 1, 0);
  }
  wait_for(&s1->reconciles, 5);
  install(f, "v2");
  assert_int_equal(upgrade(f, 8, &why), CP_UPGRADE_DONE);
  assert_null(why);
  assert_string_equal(plugin(f)->desc.version, "0.2.0");
  assert_int_equal(plugin(f)->state, CP_PLUGIN_RUNNING);
  assert_int_equal(plugin(f)->images, 2);
  s2 = stats_of(plugin(f));
  assert_ptr_not_equal(s1, s2); /* two images, two sets of statics */
  assert_int_equal(s1->finis, 1);
  assert_int_equal(s2->inits, 1);
  /* The same shared cache, no new informer: the new build got the cached
   * objects as adds. */
  assert_ptr_equal(plugin(f)->informers[0], inf);
  assert_int_equal(f->reg.n_informers, informers);
  wait_for(&s2->adds, 5);
  wait_for(&s2->reconciles, 5);
  /* Later events go to the new build only. */
  feed(f, "late", 100, 0);
  wait_for(&s2->reconciles, 6);
  assert_int_equal(s1->reconciles, 5);
  /* The metrics counters carried on. */
  assert_true(atomic_load(&plugin(f)->reconciles) >= 11);
}

static void test_same_content_does_nothing(void **state) {
  struct fixture *f = *state;
  struct cplane_plugin_ctx *old;

  start(f, 1);
  old = plugin(f);
  install(f, "v1"); /* a new file, a new mtime, the same bytes */
  assert_int_equal(upgrade(f, 8, NULL), CP_UPGRADE_UNCHANGED);
  assert_ptr_equal(plugin(f), old);
  assert_int_equal(old->images, 1);
  assert_int_equal(stats_of(old)->finis, 0);
  assert_int_equal(cp_upgrade_all(&f->reg, f->cfg, f->dir), 0);
  assert_ptr_equal(plugin(f), old);
}

static void test_replaced_in_place_upgrades(void **state) {
  struct fixture *f = *state;
  struct upgradable_stats *s1;
  ino_t before;

  start(f, 1);
  s1 = stats_of(plugin(f));
  before = inode_of(f);
  assert_int_equal(overwrite(f, "v2"), before);
  assert_int_equal(upgrade(f, 8, NULL), CP_UPGRADE_DONE);
  /* Not the old handle under the same inode: the new bytes run. */
  assert_string_equal(plugin(f)->desc.version, "0.2.0");
  assert_ptr_not_equal(stats_of(plugin(f)), s1);
  assert_int_equal(s1->finis, 1);
  /* The old image did not change under the old code when its file was
   * overwritten: its statics and code are its own still. */
  feed(f, "after", 1, 0);
  wait_for(&stats_of(plugin(f))->reconciles, 1);
  assert_int_equal(s1->reconciles, 0);
}

static void test_init_failure_keeps_old(void **state) {
  struct fixture *f = *state;
  struct cplane_plugin_ctx *old;
  struct upgradable_stats *s1;
  char *why = NULL;

  start(f, 1);
  old = plugin(f);
  s1 = stats_of(old);
  install(f, "bad");
  assert_int_equal(upgrade(f, 8, &why), CP_UPGRADE_REFUSED);
  assert_non_null(why);
  assert_non_null(strstr(why, "this build refuses to start"));
  free(why);
  assert_ptr_equal(plugin(f), old);
  assert_int_equal(old->state, CP_PLUGIN_RUNNING);
  assert_int_equal(s1->finis, 0);
  feed(f, "still", 1, 0);
  wait_for(&s1->reconciles, 1);
  /* The same refused content is not mapped again. */
  assert_int_equal(old->images, 2);
  assert_int_equal(upgrade(f, 8, &why), CP_UPGRADE_REFUSED);
  assert_non_null(strstr(why, "was refused before"));
  free(why);
  assert_int_equal(old->images, 2);
  /* A good build afterwards goes in. */
  install(f, "v2");
  assert_int_equal(upgrade(f, 8, NULL), CP_UPGRADE_DONE);
  assert_string_equal(plugin(f)->desc.version, "0.2.0");
  assert_int_equal(plugin(f)->images, 3);
}

static void test_bound_refuses_with_restart_advice(void **state) {
  struct fixture *f = *state;
  char *why = NULL;

  start(f, 1);
  install(f, "v2");
  assert_int_equal(upgrade(f, 1, NULL), CP_UPGRADE_DONE);
  install(f, "v1");
  assert_int_equal(upgrade(f, 1, &why), CP_UPGRADE_REFUSED);
  assert_non_null(strstr(why, "max_retained_images = 1"));
  assert_non_null(strstr(why, "restart"));
  free(why);
  assert_string_equal(plugin(f)->desc.version, "0.2.0");
  assert_int_equal(plugin(f)->state, CP_PLUGIN_RUNNING);
  /* 0 forbids upgrades altogether. */
  assert_int_equal(upgrade(f, 0, NULL), CP_UPGRADE_REFUSED);
}

static void test_running_key_finishes_on_old_queue_moves(void **state) {
  struct fixture *f = *state;
  struct cplane_plugin_ctx *old;
  struct upgradable_stats *s1, *s2;
  struct cp_workqueue *queue;

  start(f, 1); /* one worker: the other keys wait behind the slow one */
  old = plugin(f);
  s1 = stats_of(old);
  queue = old->queue;
  feed(f, "slow", 1, 400);
  wait_for(&s1->running, 1);
  feed(f, "q1", 1, 0);
  feed(f, "q2", 1, 0);
  install(f, "v2");
  assert_int_equal(upgrade(f, 8, NULL), CP_UPGRADE_DONE);
  /* The slow key finished on the old build, before its fini(). */
  assert_int_equal(s1->reconciles, 1);
  assert_int_equal(s1->finis, 1);
  assert_int_equal(s1->running_at_fini, 0);
  /* The queue itself moved over with q1 and q2 in it. */
  assert_ptr_equal(plugin(f)->queue, queue);
  s2 = stats_of(plugin(f));
  wait_for(&s2->reconciles, 3);
}

/* A standby's plugin (no workers yet) is swapped without starting; the
 * new build's workers start when the host leads. */
static void test_standby_swaps_without_starting(void **state) {
  struct fixture *f = *state;
  struct upgradable_stats *s1, *s2;
  char *err = NULL;

  start_as(f, 1, 1);
  s1 = stats_of(plugin(f));
  feed(f, "cm", 1, 0);
  install(f, "v2");
  assert_int_equal(upgrade(f, 8, NULL), CP_UPGRADE_DONE);
  assert_int_equal(plugin(f)->state, CP_PLUGIN_READY);
  assert_null(plugin(f)->queue);
  assert_int_equal(s1->finis, 1);
  s2 = stats_of(plugin(f));
  assert_int_equal(s2->reconciles, 0);
  assert_int_equal(cp_registry_start_controllers(&f->reg, &err), 0);
  wait_for(&s2->reconciles, 1);
  assert_int_equal(s1->reconciles, 0);
}

static void test_queue_pause_keeps_keys(void **state) {
  struct cp_workqueue *q = cp_workqueue_new("paused", NULL);
  const char *k;

  (void)state;
  assert_non_null(q);
  assert_int_equal(cp_workqueue_add(q, "a"), CPLANE_OK);
  k = cp_workqueue_get(q);
  assert_string_equal(k, "a");
  cp_workqueue_pause(q, 1);
  assert_null(cp_workqueue_get(q)); /* at once, not blocking */
  assert_int_equal(cp_workqueue_add(q, "b"), CPLANE_OK);
  assert_int_equal(cp_workqueue_add(q, "a"), CPLANE_OK); /* while running */
  cp_workqueue_done(q, k);
  assert_null(cp_workqueue_get(q));
  assert_int_equal(cp_workqueue_len(q), 2);
  cp_workqueue_pause(q, 0);
  k = cp_workqueue_get(q);
  assert_string_equal(k, "b");
  cp_workqueue_done(q, k);
  k = cp_workqueue_get(q);
  assert_string_equal(k, "a");
  cp_workqueue_done(q, k);
  cp_workqueue_free(q);
}

/* [host] max_retained_images: default 8, 0 allowed, bounded. */
static void test_max_retained_images_key(void **state) {
  static const char *bad[] = {"-1", "1025", "eight", ""};
  struct cp_config *cfg = NULL;
  char text[128], *err = NULL;
  size_t i;

  (void)state;
  assert_int_equal(cp_config_parse("t.ini", "[host]\n", 7, &cfg, &err), 0);
  assert_int_equal(cfg->max_retained_images, 8);
  cp_config_free(cfg);
  snprintf(text, sizeof text, "[host]\nmax_retained_images = 0\n");
  assert_int_equal(cp_config_parse("t.ini", text, strlen(text), &cfg, &err),
                   0);
  assert_int_equal(cfg->max_retained_images, 0);
  cp_config_free(cfg);
  for (i = 0; i < sizeof bad / sizeof *bad; i++) {
    snprintf(text, sizeof text, "[host]\nmax_retained_images = %s\n",
             bad[i]);
    assert_int_equal(
        cp_config_parse("t.ini", text, strlen(text), &cfg, &err), -1);
    assert_non_null(strstr(err, "t.ini:2: max_retained_images must be a "
                                "whole number from 0 to 1024"));
    free(err);
    err = NULL;
  }
}

/* /metrics while the plugin is swapped, disabled and enabled: the scrape
 * reads each plugin's queue under the registry's lock, and the main
 * thread clears it under that lock before freeing it (TSan, ASan). */
static atomic_int scraping;

static void *scrape(void *arg) {
  struct fixture *f = arg;
  FILE *out = fopen("/dev/null", "w");

  assert_non_null(out);
  while (atomic_load(&scraping)) {
    cp_registry_metrics_write(&f->reg, out);
    usleep(100); /* a busy scraper, not a lock hog */
  }
  fclose(out);
  return NULL;
}

static void reload(struct fixture *f, int enabled, struct cp_config **cfg) {
  char *err = NULL;
  FILE *fp = fopen(f->ini, "w");

  assert_non_null(fp);
  fprintf(fp, "[plugin.upgradable]\nenabled = %s\nfile = upgradable.so\n",
          enabled ? "true" : "false");
  fclose(fp);
  if (cp_config_load(f->ini, cfg, &err) != 0)
    fail_msg("%s", err);
  assert_int_equal(cp_registry_reload(&f->reg, *cfg, f->dir, &err), 1);
}

static void test_metrics_while_swapping(void **state) {
  struct fixture *f = *state;
  struct cp_config *off = NULL, *on = NULL;
  pthread_t t;
  int i;

  start(f, 2);
  for (i = 0; i < 20; i++) {
    char name[16];

    snprintf(name, sizeof name, "cm%d", i);
    feed(f, name, i + 1, 0);
  }
  atomic_store(&scraping, 1);
  assert_int_equal(pthread_create(&t, NULL, scrape, f), 0);
  install(f, "v2");
  assert_int_equal(upgrade(f, 8, NULL), CP_UPGRADE_DONE);
  reload(f, 0, &off);
  assert_int_equal(plugin(f)->state, CP_PLUGIN_STOPPED);
  reload(f, 1, &on);
  assert_int_equal(plugin(f)->state, CP_PLUGIN_RUNNING);
  atomic_store(&scraping, 0);
  pthread_join(t, NULL);
  cp_registry_free(&f->reg);
  f->started = 0;
  cp_config_free(off);
  cp_config_free(on);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_changed_content_upgrades, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_same_content_does_nothing, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_replaced_in_place_upgrades, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_init_failure_keeps_old, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_bound_refuses_with_restart_advice,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_running_key_finishes_on_old_queue_moves, setup, teardown),
      cmocka_unit_test_setup_teardown(test_standby_swaps_without_starting,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_metrics_while_swapping, setup,
                                      teardown),
      cmocka_unit_test(test_queue_pause_keeps_keys),
      cmocka_unit_test(test_max_retained_images_key),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
