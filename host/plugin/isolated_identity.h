/*
 * isolated_identity - an isolated plugin's child process (isolated.h)
 * gets only its own credential, never the host's.
 *
 * Before each start of a child the host, with its admin client, makes
 * the plugin's ServiceAccount kube-system/<plugin> and its RBAC role
 * (identity_rbac.h; from the descriptor the plugin's file declares, read
 * by a credential-less process: isolated_describe.h), asks for the
 * ServiceAccount's token by TokenRequest ([host] plugin_token_seconds),
 * and writes, in a private directory of its own per plugin,
 *   DIR/<plugin>/          0700
 *   DIR/<plugin>/token     0600  the bearer token
 *   DIR/<plugin>/ca.crt    0600  the CA the API server's certificate
 *                                chains to (when it has one)
 *   DIR/<plugin>/kubeconfig 0600 server, certificate-authority: ca.crt,
 *                                user tokenFile: token
 * (DIR is <data_dir>/isolated, 0700). The child is started with
 * --kubeconfig DIR/<plugin>/kubeconfig: its informers and its plugin's
 * calls all go out as system:serviceaccount:kube-system:<plugin>, and
 * RBAC bounds what it reads as well as what it writes.
 *
 * Why a file rather than a pipe: the child's client re-reads a tokenFile
 * as client-go does (client/token_file.h), so a renewal is one atomic
 * rename by the host and needs no protocol, no descriptor kept open in
 * the child, and survives nothing the child must parse; and a kubeconfig
 * file is what kubectl reads too (an operator can check what a plugin may
 * do with `kubectl --kubeconfig DIR/P/kubeconfig auth can-i --list`).
 * The files are the host user's, 0600 in 0700 directories: another local
 * user reads none of them. The child itself runs as the host's user; that
 * it cannot read the host's credential files (the admin kubeconfig, the
 * CA key, the other plugins' tokens) is sandbox.h's part.
 *
 * Renewal: a thread renews each token at 80 % of the life the server
 * granted, rewriting DIR/<plugin>/token (write, fsync, rename); the
 * child's client sees the new file within a second. A failed renewal
 * keeps the old token and retries a minute later.
 *
 * Threading: cp_isolated_identity_prepare() blocks (requests, a
 * describing process) and is called by the supervisor's thread;
 * everything here may be called from any thread (a mutex guards the
 * plugins' table). Ownership: the issuer and its admin client are
 * borrowed and must outlive the cp_isolated_identity.
 */
#ifndef CPLANE_HOST_PLUGIN_ISOLATED_IDENTITY_H
#define CPLANE_HOST_PLUGIN_ISOLATED_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

struct cp_identity_issuer;
struct cplane_plugin;
struct cp_isolated_identity;

/* dir: where the plugins' directories go (made 0700 if missing). The
 * renewal thread starts here. NULL when out of memory or it cannot
 * start. */
struct cp_isolated_identity *
cp_isolated_identity_new(const char *dir, const struct cp_identity_issuer *is);
/* Stops the renewal thread and frees (the files stay: the next start
 * writes them anew). NULL does nothing. */
void cp_isolated_identity_free(struct cp_isolated_identity *ii);

/* "DIR/<plugin>/kubeconfig" (malloc'd), what the child is given. */
char *cp_isolated_identity_kubeconfig(const struct cp_isolated_identity *ii,
                                      const char *plugin);
/* Gives plugin its ServiceAccount (and, desc not NULL, its role), a
 * fresh token and the files above, and renews the token from now on.
 * Returns 0, or -1 with *errmsg (malloc'd): the child must not start. */
int cp_isolated_identity_prepare(struct cp_isolated_identity *ii,
                                 const char *plugin,
                                 const struct cplane_plugin *desc,
                                 char **errmsg);
/* Stops renewing the tokens of every plugin not in names[0..n) (no
 * longer isolated, or disabled) and removes their token files. Returns
 * how many. */
size_t cp_isolated_identity_retain(struct cp_isolated_identity *ii,
                                   const char *const *names, size_t n);
/* Renews plugin's token now (tests: TokenRequest's 10-minute minimum
 * makes waiting for 80 % too long). Returns 0, or -1 with *errmsg. */
int cp_isolated_identity_renew(struct cp_isolated_identity *ii,
                               const char *plugin, char **errmsg);
/* How many renewals have succeeded, for every plugin (tests). */
uint64_t cp_isolated_identity_renewals(struct cp_isolated_identity *ii);

/* The kubeconfig text for plugin at server: tokenFile `token`,
 * certificate-authority `ca.crt` when has_ca, else
 * insecure-skip-tls-verify when insecure. malloc'd, NULL when out of
 * memory. */
char *cp_isolated_kubeconfig_text(const char *server, const char *plugin,
                                  int has_ca, int insecure);
/* Writes data[0..len) to dir/name as a 0600 file that replaces any old
 * one at once (a temporary file, then rename: a reader sees the old file
 * or the new one whole). Not synced to disk: the files are remade before
 * every start of the child, so after a crash nothing reads them before
 * they are written again. Returns 0, or -1 with *errmsg. */
int cp_isolated_write_private(const char *dir, const char *name,
                              const char *data, size_t len, char **errmsg);
/* Makes path a directory of this user's, mode 0700 (made when missing;
 * its mode set when it exists). Refuses a symbolic link or a directory of
 * another user's. Returns 0, or -1 with *errmsg. */
int cp_isolated_private_dir(const char *path, char **errmsg);

#endif /* CPLANE_HOST_PLUGIN_ISOLATED_IDENTITY_H */
