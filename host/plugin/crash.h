/*
 * crash - the last words of a process a plugin crashed.
 *
 * A plugin runs in the host's address space: a NULL dereference in its
 * reconcile ends the whole process, API server included. What the operator
 * needs then is which plugin, which callback and which key did it. So each
 * thread that calls into a plugin marks the call (cp_inflight_begin does,
 * for every call the host makes), and a handler for SIGSEGV, SIGBUS,
 * SIGILL, SIGFPE and SIGABRT writes, before the process dies:
 *
 *   2026-12-06T16:03:54.123Z ERROR crash: plugin crasher crashed in
 *   reconcile default/boom: SIGSEGV (fault address 0x0), thread ctl-worker;
 *   backtrace follows
 *   crash: backtrace: ./crasher.so(+0x11a9)[0x7f...]
 *   ...
 *
 * (the first line is one line) and then lets the signal take its earlier
 * action: the default (death, core dump) or, under ASan, the sanitizer's
 * own report. A fault outside any plugin call is reported the same way
 * with "the host" in place of the plugin.
 *
 * The handler runs on an alternate signal stack (installed per thread on
 * its first marked call, unless the thread has one already, as ASan gives
 * its threads), so a stack overflow is reported too; it uses only
 * async-signal-safe calls (write, readlink, sigaction, raise) besides
 * backtrace (warmed up at install, so it no longer allocates) and dladdr
 * (which backtrace_symbols_fd uses too); plugin frames name the plugin's
 * file, not the /proc/self/fd/N it was loaded through.
 *
 * Threading: cp_crash_install from the main thread before other threads
 * start; mark/unmark from the calling thread only (thread-local).
 * Ownership: the mark borrows the plugin name and the slot, which must
 * outlive the call; each thread's alternate stack is freed at its exit.
 */
#ifndef CPLANE_HOST_PLUGIN_CRASH_H
#define CPLANE_HOST_PLUGIN_CRASH_H

#include "plugin/inflight.h"

/* Installs the handlers, writing to fd (2 in the daemon). Returns 0, or -1
 * when a sigaction failed. Calling it again changes only fd. */
int cp_crash_install(int fd);
/* Removes the handlers again (the earlier actions return). */
void cp_crash_uninstall(void);

/* The calling thread now runs `call` of `plugin` (both borrowed until
 * unmark); the first mark on a thread gives it an alternate stack. */
void cp_crash_mark(const char *plugin, const struct cp_inflight *call);
void cp_crash_unmark(void);
/* The same for a call without a slot (init, fini on the main thread):
 * plugin and callback borrowed until unmark; the key reads "(no key)". */
void cp_crash_mark_call(const char *plugin, const char *callback);

/* Formats the crash line for sig into buf (at most len bytes, always
 * NUL-terminated) without allocating: what the handler writes, for tests.
 * Returns its length. */
size_t cp_crash_format(char *buf, size_t len, int sig, const void *addr,
                       const char *plugin, const char *callback,
                       const char *key, const char *thread);

#endif /* CPLANE_HOST_PLUGIN_CRASH_H */
