/*
 * plugins_cmd - `cplane plugins reload`: the admin trigger of a reload
 * (and so of hot upgrades, plugin/upgrade.h) for scripts and people who do
 * not want to look up a pid: it reads the running daemon's pid file
 * (admin/pidfile.h) and sends it SIGHUP. The daemon's log says what each
 * plugin did.
 *
 * Threading: a command of its own process.
 */
#ifndef CPLANE_HOST_ADMIN_PLUGINS_CMD_H
#define CPLANE_HOST_ADMIN_PLUGINS_CMD_H

/* argv[0] is "plugins". Returns the process exit status. */
int cp_plugins_command(int argc, char **argv);

#endif /* CPLANE_HOST_ADMIN_PLUGINS_CMD_H */
