/*
 * test_loader - loads the fixture plugins in tests/plugins/ for real and
 * checks every refusal: missing file, bad permissions, wrong owner,
 * symbolic link, missing entry symbol, wrong ABI major, newer minor, short
 * descriptor, init failing with a message, duplicate name, name mismatch,
 * strict mode, a wrong or missing ABI note refused before any of the
 * plugin's code runs, a symlinked plugin directory, a truncated ELF file; and that a good plugin is loaded, initialised and finished.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "log/log.h"
#include "plugin/plugin.h"
#include "plugin/registry.h"

#include "../plugins/good_stats.h"

struct fixture {
  char dir[64];        /* temp plugin directory */
  char fixtures[PATH_MAX]; /* where the build put the fixture .so files */
};

/* The fixtures sit beside this binary: build/<variant>/tests/plugins. */
static void find_fixtures(char *out, size_t len) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

  assert_true(n > 0);
  exe[n] = '\0';
  *strrchr(exe, '/') = '\0';
  assert_true(snprintf(out, len, "%s/plugins", exe) < (int)len);
}

static void copy_file(const char *from, const char *to, mode_t mode) {
  char buf[65536];
  int in = open(from, O_RDONLY), out;
  ssize_t n;

  if (in < 0)
    fail_msg("fixture %s missing: build it with make", from);
  out = open(to, O_WRONLY | O_CREAT | O_TRUNC, mode);
  assert_true(out >= 0);
  while ((n = read(in, buf, sizeof buf)) > 0)
    assert_int_equal(write(out, buf, (size_t)n), n);
  close(in);
  close(out);
  assert_int_equal(chmod(to, mode), 0);
}

/* Installs fixture `name`.so into the temp dir as `as` (NULL: same). */
static void install(struct fixture *f, const char *name, const char *as) {
  char from[PATH_MAX + 64], to[128];

  snprintf(from, sizeof from, "%s/%s.so", f->fixtures, name);
  snprintf(to, sizeof to, "%s/%s", f->dir, as != NULL ? as : name);
  if (as == NULL)
    strcat(to, ".so");
  copy_file(from, to, 0755);
}

static int setup(void **state) {
  struct fixture *f = calloc(1, sizeof *f);

  strcpy(f->dir, "/tmp/cplane-plugins-XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  chmod(f->dir, 0755);
  find_fixtures(f->fixtures, sizeof f->fixtures);
  cp_log_set_level(CPLANE_LOG_ERROR);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fixture *f = *state;
  char cmd[128];

  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  assert_int_equal(system(cmd), 0);
  free(f);
  return 0;
}

/* Loads one plugin section; returns the plugin or NULL with *err set. */
static struct cplane_plugin_ctx *load(struct fixture *f, const char *name,
                                      const char *file, char **err) {
  static struct cp_plugin_config pc;
  struct cplane_plugin_ctx *p = NULL;

  memset(&pc, 0, sizeof pc);
  pc.name = (char *)name;
  pc.file = (char *)file;
  pc.enabled = 1;
  pc.workers = 1;
  *err = NULL;
  if (cp_plugin_load(f->dir, &pc, &p, err) < 0) {
    assert_null(p);
    assert_non_null(*err);
    return NULL;
  }
  return p;
}

static void expect_refusal(struct fixture *f, const char *file,
                           const char *want1, const char *want2) {
  char *err = NULL;
  struct cplane_plugin_ctx *p = load(f, "x", file, &err);

  assert_null(p);
  if (strstr(err, want1) == NULL ||
      (want2 != NULL && strstr(err, want2) == NULL))
    fail_msg("refusal '%s' lacks '%s' / '%s'", err, want1,
             want2 ? want2 : "");
  free(err);
}

static void test_good_plugin_loads(void **state) {
  struct fixture *f = *state;
  struct cplane_plugin_ctx *p;
  char *err = NULL;

  install(f, "good", NULL);
  p = load(f, "good", "good.so", &err);
  assert_non_null(p);
  assert_string_equal(p->name, "good");
  assert_int_equal(p->desc.abi_major, CPLANE_ABI_MAJOR);
  assert_int_equal(p->desc.n_resources, 2);
  assert_string_equal(p->resources[0].resource, "pods");
  assert_string_equal(p->resources[0].group, "");
  assert_string_equal(p->resources[1].resource, "configmaps");
  assert_int_equal(p->state, CP_PLUGIN_LOADED);
  cp_plugin_free(p);
}

static void test_missing_file(void **state) {
  expect_refusal(*state, "absent.so", "absent.so", "No such file");
}

static void test_group_writable_file(void **state) {
  struct fixture *f = *state;
  char path[128];

  install(f, "good", NULL);
  snprintf(path, sizeof path, "%s/good.so", f->dir);
  chmod(path, 0775);
  expect_refusal(f, "good.so", "group- or world-writable", "chmod go-w");
  chmod(path, 0757);
  expect_refusal(f, "good.so", "group- or world-writable", "0757");
}

static void test_world_writable_dir(void **state) {
  struct fixture *f = *state;

  install(f, "good", NULL);
  chmod(f->dir, 0777);
  expect_refusal(f, "good.so", "plugin directory", "world-writable");
  chmod(f->dir, 0755);
}

static void test_foreign_owner(void **state) {
  struct fixture *f = *state;
  char path[128];

  if (geteuid() != 0)
    skip(); /* only root can give a file away */
  install(f, "good", NULL);
  snprintf(path, sizeof path, "%s/good.so", f->dir);
  assert_int_equal(chown(path, 65534, 65534), 0);
  expect_refusal(f, "good.so", "owned by uid 65534", "chown");
  assert_int_equal(chown(f->dir, 65534, 65534), 0);
  expect_refusal(f, "good.so", "plugin directory", "owned by uid 65534");
  assert_int_equal(chown(f->dir, 0, 0), 0);
}

static void test_symlink_refused(void **state) {
  struct fixture *f = *state;
  char link[128];

  install(f, "good", NULL);
  snprintf(link, sizeof link, "%s/link.so", f->dir);
  assert_int_equal(symlink("good.so", link), 0);
  expect_refusal(f, "link.so", "symbolic link", NULL);
}

/* The directory gets the files' rule: a link is refused, same wording. */
static void test_symlinked_dir_refused(void **state) {
  struct fixture *f = *state;
  char link[128], slash[132];
  char *err = NULL;
  struct cp_plugin_config pc = {.name = "good", .file = "good.so",
                                .enabled = 1};
  struct cplane_plugin_ctx *p = NULL;

  install(f, "good", NULL);
  snprintf(link, sizeof link, "%s-link", f->dir);
  unlink(link);
  assert_int_equal(symlink(f->dir, link), 0);
  assert_int_equal(cp_plugin_load(link, &pc, &p, &err), -1);
  assert_null(p);
  assert_non_null(strstr(err, "plugin directory"));
  assert_non_null(strstr(err, "is a symbolic link: refused"));
  free(err);
  /* A trailing slash must not make the link followed. */
  snprintf(slash, sizeof slash, "%s/", link);
  assert_int_equal(cp_plugin_load(slash, &pc, &p, &err), -1);
  assert_non_null(strstr(err, "is a symbolic link: refused"));
  free(err);
  unlink(link);
  /* The real directory, with or without a slash, still loads. */
  snprintf(slash, sizeof slash, "%s/", f->dir);
  assert_int_equal(cp_plugin_load(slash, &pc, &p, &err), 0);
  cp_plugin_free(p);
}

/* Refused from its ABI note: the constructor never ran, so the marker file
 * it would write does not exist. */
static void expect_refused_before_dlopen(struct fixture *f, const char *name,
                                         const char *want) {
  char marker[128], file[64];

  snprintf(marker, sizeof marker, "%s/constructor-ran", f->dir);
  snprintf(file, sizeof file, "%s.so", name);
  unlink(marker);
  setenv("CPLANE_TEST_MARKER", marker, 1);
  install(f, name, NULL);
  expect_refusal(f, file, want, file);
  unsetenv("CPLANE_TEST_MARKER");
  if (access(marker, F_OK) == 0)
    fail_msg("%s's constructor ran inside the host before the refusal",
             name);
}

static void test_wrong_abi_never_runs_constructor(void **state) {
  char want[64];

  snprintf(want, sizeof want, "abi_major is %d, this host supports %d",
           CPLANE_ABI_MAJOR + 1, CPLANE_ABI_MAJOR);
  expect_refused_before_dlopen(*state, "wrong_major", want);
}

static void test_no_abi_note_refused(void **state) {
  expect_refused_before_dlopen(*state, "no_note",
                               "no cplane ABI note (section cplane_abi)");
}

/* An ELF header promising sections past the end of the file. */
static void test_truncated_elf_refused(void **state) {
  struct fixture *f = *state;
  char from[PATH_MAX + 64], path[128], buf[256];
  int in, out;

  snprintf(from, sizeof from, "%s/good.so", f->fixtures);
  snprintf(path, sizeof path, "%s/short.so", f->dir);
  in = open(from, O_RDONLY);
  assert_true(in >= 0);
  assert_int_equal(read(in, buf, sizeof buf), (ssize_t)sizeof buf);
  close(in);
  out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
  assert_true(out >= 0);
  assert_int_equal(write(out, buf, sizeof buf), (ssize_t)sizeof buf);
  close(out);
  expect_refusal(f, "short.so", "cannot load", "malformed ELF");
}

static void test_path_outside_dir_refused(void **state) {
  expect_refusal(*state, "../good.so", "not a path", NULL);
}

static void test_no_entry_symbol(void **state) {
  install(*state, "no_entry", NULL);
  expect_refusal(*state, "no_entry.so", "no cplane_plugin_entry symbol",
                 "CPLANE_PLUGIN_DEFINE");
}

static void test_wrong_major(void **state) {
  char want[64];

  install(*state, "wrong_major", NULL);
  snprintf(want, sizeof want, "abi_major is %d, this host supports %d",
           CPLANE_ABI_MAJOR + 1, CPLANE_ABI_MAJOR);
  expect_refusal(*state, "wrong_major.so", want, "wrong_major.so");
}

static void test_newer_minor(void **state) {
  char want[64];

  install(*state, "newer_minor", NULL);
  snprintf(want, sizeof want, "abi_minor is %d, newer than this host's %d",
           CPLANE_ABI_MINOR + 1, CPLANE_ABI_MINOR);
  expect_refusal(*state, "newer_minor.so", want, NULL);
}

/* ABI 1.4's writes[]: copied with the plugin's stride, group "" for
 * NULL; a 1.3-sized descriptor has none, whatever lies past its size. */
static void test_declared_writes(void **state) {
  struct fixture *f = *state;
  struct cplane_plugin_ctx *p;
  char *err = NULL;

  install(f, "declares", NULL);
  p = load(f, "declares", "declares.so", &err);
  assert_non_null(p);
  assert_int_equal(p->desc.n_writes, 2);
  assert_ptr_equal(p->desc.writes, p->writes);
  assert_string_equal(p->writes[0].group, "");
  assert_string_equal(p->writes[0].resource, "pods/binding");
  assert_string_equal(p->writes[1].group, "*");
  assert_string_equal(p->writes[1].resource, "*");
  cp_plugin_free(p);

  install(f, "abi13_writes", NULL);
  p = load(f, "abi13_writes", "abi13_writes.so", &err);
  assert_non_null(p);
  assert_int_equal(p->desc.n_writes, 0);
  assert_null(p->desc.writes);
  assert_null(p->writes);
  cp_plugin_free(p);
}

static void test_small_descriptor(void **state) {
  install(*state, "small_struct", NULL);
  expect_refusal(*state, "small_struct.so", "struct_size is 40", NULL);
}

static void test_not_a_shared_object(void **state) {
  struct fixture *f = *state;
  char path[128];
  FILE *fp;

  snprintf(path, sizeof path, "%s/text.so", f->dir);
  fp = fopen(path, "w");
  fputs("not an ELF file\n", fp);
  fclose(fp);
  chmod(path, 0644);
  expect_refusal(f, "text.so", "cannot load", NULL);
}

/* Builds a config in a temp INI and loads it into a registry. */
static int load_registry(struct fixture *f, const char *ini, int strict,
                         struct cp_registry *reg, struct cp_config **cfg,
                         char **err) {
  char path[128];
  char *cerr = NULL;
  FILE *fp;
  int r;

  snprintf(path, sizeof path, "%s.ini", f->dir);
  fp = fopen(path, "w");
  fputs(ini, fp);
  fclose(fp);
  r = cp_config_load(path, cfg, &cerr);
  unlink(path);
  if (r != 0)
    fail_msg("%s", cerr);
  return cp_registry_load(reg, *cfg, f->dir, strict, err);
}

static void test_registry_refusals_do_not_stop_host(void **state) {
  struct fixture *f = *state;
  struct cp_registry reg;
  struct cp_config *cfg = NULL;
  char *err = NULL;
  good_stats_fn stats;

  install(f, "good", NULL);
  install(f, "good", "good_copy.so");
  install(f, "init_fails", NULL);
  install(f, "wrong_major", NULL);
  assert_int_equal(
      load_registry(f,
                    "[plugin.good]\nenabled=true\ngreeting=hello\n"
                    "[plugin.init_fails]\nenabled=true\n"
                    "[plugin.wrong_major]\nenabled=true\n"
                    "[plugin.missing]\nenabled=true\n"
                    "[plugin.other]\nenabled=true\nfile=good_copy.so\n"
                    "[plugin.off]\nenabled=false\nfile=absent.so\n",
                    0, &reg, &cfg, &err),
      0);
  assert_null(err);
  /* good loads; init_fails, wrong_major, missing and the duplicate don't;
   * the disabled section is never even opened. */
  assert_int_equal(reg.n_plugins, 1);
  assert_int_equal(reg.refused, 4);
  assert_non_null(cp_registry_find(&reg, "good"));
  assert_int_equal(cp_registry_find(&reg, "good")->state, CP_PLUGIN_READY);
  *(void **)&stats = dlsym(cp_registry_find(&reg, "good")->dl,
                           "fixture_good_stats");
  assert_non_null(stats);
  assert_int_equal(stats()->inits, 1);
  cp_registry_free(&reg);
  assert_int_equal(stats()->finis, 1); /* exactly once */
  cp_config_free(cfg);
}

static void test_duplicate_name(void **state) {
  struct fixture *f = *state;
  struct cp_registry reg;
  struct cp_config *cfg = NULL;
  char *err = NULL;

  install(f, "good", NULL);
  install(f, "good", "good2.so");
  assert_int_equal(
      load_registry(f,
                    "[plugin.good]\nenabled=true\n"
                    "[plugin.good2]\nenabled=true\n",
                    1, &reg, &cfg, &err),
      -1);
  assert_non_null(strstr(err, "duplicate plugin name 'good'"));
  free(err);
  cp_registry_free(&reg);
  cp_config_free(cfg);
}

static void test_name_mismatch_and_init_failure_strict(void **state) {
  struct fixture *f = *state;
  struct cp_registry reg;
  struct cp_config *cfg = NULL;
  char *err = NULL;

  install(f, "good", "renamed.so");
  assert_int_equal(load_registry(f, "[plugin.renamed]\nenabled=true\n", 1,
                                 &reg, &cfg, &err),
                   -1);
  assert_non_null(strstr(err, "its name is 'good'"));
  assert_non_null(strstr(err, "[plugin.renamed]"));
  free(err);
  cp_registry_free(&reg);
  cp_config_free(cfg);

  install(f, "init_fails", NULL);
  assert_int_equal(load_registry(f, "[plugin.init_fails]\nenabled=true\n", 1,
                                 &reg, &cfg, &err),
                   -1);
  assert_non_null(strstr(err, "init failed"));
  assert_non_null(strstr(err, "missing required key 'endpoint'"));
  free(err);
  /* fini of a plugin whose init failed would trap: it must not run. */
  cp_registry_free(&reg);
  cp_config_free(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_good_plugin_loads, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_group_writable_file, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_world_writable_dir, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_foreign_owner, setup, teardown),
      cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_symlinked_dir_refused, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_wrong_abi_never_runs_constructor,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_no_abi_note_refused, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_truncated_elf_refused, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_path_outside_dir_refused, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_no_entry_symbol, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wrong_major, setup, teardown),
      cmocka_unit_test_setup_teardown(test_newer_minor, setup, teardown),
      cmocka_unit_test_setup_teardown(test_declared_writes, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_small_descriptor, setup, teardown),
      cmocka_unit_test_setup_teardown(test_not_a_shared_object, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_registry_refusals_do_not_stop_host,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_duplicate_name, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_name_mismatch_and_init_failure_strict, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
