/*
 * plugins_cmd - see plugins_cmd.h.
 */
#include "admin/plugins_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/pidfile.h"
#include "config/config.h"

static void usage(FILE *out) {
  fprintf(out,
          "usage: cplane plugins reload [options]\n"
          "  re-reads the INI of the running cplane and hot-upgrades every\n"
          "  plugin whose file changed (the same as SIGHUP)\n"
          "  -c, --config FILE     its INI file (default config/cplane.ini),\n"
          "                        to find [host] data_dir\n"
          "  -d, --data-dir DIR    its data directory (as cplane -d)\n"
          "      --pid-file FILE   its pid file (default DIR/cplane.pid)\n");
}

/* The pid file named by the options, malloc'd, or NULL. */
static char *pidfile_of(const char *config, const char *data_dir,
                        const char *pidfile) {
  struct cp_config *cfg = NULL;
  char *err = NULL, *path;

  if (pidfile != NULL)
    return strdup(pidfile);
  if (data_dir != NULL)
    return cp_pidfile_path(data_dir);
  if (cp_config_load(config, &cfg, &err) < 0) {
    fprintf(stderr, "cplane plugins: %s\n", err != NULL ? err : "out of memory");
    free(err);
    return NULL;
  }
  path = cp_pidfile_path(cfg->data_dir);
  cp_config_free(cfg);
  return path;
}

int cp_plugins_command(int argc, char **argv) {
  static const struct option longopts[] = {
      {"config", required_argument, NULL, 'c'},
      {"data-dir", required_argument, NULL, 'd'},
      {"pid-file", required_argument, NULL, 'P'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *config = "config/cplane.ini", *data_dir = NULL,
             *pidfile = NULL;
  char *path, *err = NULL;
  pid_t pid;
  int c;

  if (argc < 2 || strcmp(argv[1], "reload") != 0) {
    usage(stderr);
    return 2;
  }
  optind = 2;
  while ((c = getopt_long(argc, argv, "c:d:h", longopts, NULL)) != -1) {
    switch (c) {
    case 'c': config = optarg; break;
    case 'd': data_dir = optarg; break;
    case 'P': pidfile = optarg; break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (optind != argc) {
    usage(stderr);
    return 2;
  }
  path = pidfile_of(config, data_dir, pidfile);
  if (path == NULL)
    return 1;
  pid = cp_pidfile_read(path, &err);
  if (pid > 0 && kill(pid, SIGHUP) < 0 &&
      asprintf(&err, "cannot signal pid %d: %s", (int)pid,
               strerror(errno)) < 0)
    err = NULL;
  if (err != NULL || pid <= 0) {
    fprintf(stderr, "cplane plugins reload: %s\n",
            err != NULL ? err : "out of memory");
    free(err);
    free(path);
    return 1;
  }
  printf("sent SIGHUP to cplane (pid %d, %s): its log says what each plugin "
         "did\n", (int)pid, path);
  free(path);
  return 0;
}
