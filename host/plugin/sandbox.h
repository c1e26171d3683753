/*
 * sandbox - what an isolated plugin's child process (isolated.h) and the
 * process that reads its descriptor (isolated_describe.h) may still do
 * once they run the plugin's code: read only what they need, so that a
 * faulty or hostile plugin cannot read the host's credentials (the admin
 * kubeconfig, the CA key under <data_dir>/pki, the other plugins'
 * tokens) even though it runs as the host's user.
 *
 * With Landlock (Linux 5.13+, unprivileged) the process may, from then
 * on, only
 *   - read and execute under /usr, /lib, /lib64, /bin (libraries, the
 *     sanitizers' symbolizer), read a few files of /etc (the loader's
 *     cache, TLS and name resolution settings, the time zone), read /proc
 *     and /sys, read and write devices under /dev;
 *   - read and execute the plugin directory, read the INI file, and read
 *     its own credential directory (isolated_identity.h), when given;
 * it can write no file, signal no process outside its sandbox (Landlock
 * ABI 6: the host cannot be killed from there), and ptrace none (so not
 * /proc/<host>/mem or environ either). It also drops every capability
 * (a host run as root gives its children none) and sets no_new_privs.
 * A kernel without Landlock leaves the files readable: that is logged
 * (WARN) once, and the child runs.
 *
 * Threading: call it on the process's only thread, before any plugin
 * code runs (a ruleset binds the calling thread and its future threads).
 * Ownership: nothing is kept.
 */
#ifndef CPLANE_HOST_PLUGIN_SANDBOX_H
#define CPLANE_HOST_PLUGIN_SANDBOX_H

struct cp_sandbox_paths {
  const char *plugin_dir; /* read + execute */
  const char *config;     /* the INI file: read */
  const char *own_dir;    /* the child's credential directory: read; or
                             NULL */
};

/* Applies it. Returns 0 when the sandbox holds, 1 when the kernel has no
 * Landlock (capabilities are dropped all the same), -1 with *errmsg
 * (malloc'd) when a step failed: the caller must not run the plugin. */
int cp_sandbox_apply(const struct cp_sandbox_paths *p, char **errmsg);
/* The Landlock ABI this kernel offers (0: none). */
int cp_sandbox_abi(void);

#endif /* CPLANE_HOST_PLUGIN_SANDBOX_H */
