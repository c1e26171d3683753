/*
 * pidfile - <data_dir>/cplane.pid, how `cplane plugins reload` finds the
 * running daemon to send it SIGHUP.
 *
 * The daemon creates the file exclusively; one that names a live process
 * is left alone (another cplane on the same data directory, or a child of
 * this one), one naming a dead process is replaced. It is removed at exit
 * only while it still holds this process's pid.
 *
 * Threading: main thread. Ownership: strings returned are malloc'd.
 */
#ifndef CPLANE_HOST_ADMIN_PIDFILE_H
#define CPLANE_HOST_ADMIN_PIDFILE_H

#include <sys/types.h>

#define CP_PIDFILE_NAME "cplane.pid"

/* "<data_dir>/cplane.pid" (malloc'd), or NULL when out of memory. */
char *cp_pidfile_path(const char *data_dir);
/* Writes getpid() into path. Returns 0 when written, 1 when a live
 * process holds it (*errmsg says which), -1 on error (*errmsg). */
int cp_pidfile_write(const char *path, char **errmsg);
/* Removes path if it holds this process's pid. */
void cp_pidfile_remove(const char *path);
/* The live process path names, or -1 with *errmsg. */
pid_t cp_pidfile_read(const char *path, char **errmsg);

#endif /* CPLANE_HOST_ADMIN_PIDFILE_H */
