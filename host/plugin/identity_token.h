/*
 * identity_token - a plugin's ServiceAccount token, for when the host has
 * no CA key to issue it a client certificate (identity.h): an external
 * API server or a real cluster, and for every isolated plugin's child
 * (isolated_identity.h, which writes it to a file for the child). As
 * kube-controller-manager's --use-service-account-credentials does
 * (pkg/controller/client_builder_dynamic.go), the host asks with its own
 * client for a token of the ServiceAccount kube-system/<plugin> by
 * TokenRequest (POST .../serviceaccounts/<plugin>/token, no audiences:
 * the server's own, expirationSeconds as asked, at least kube's 600) and
 * the plugin calls with it as a bearer token; identity.c renews it at 80 %
 * of the life the server granted (its expirationTimestamp).
 *
 * Threading: any thread (one blocking request on the caller's thread).
 * Ownership: *token and *errmsg are malloc'd (the caller frees; the token
 * is a credential: cleanse it before freeing).
 */
#ifndef CPLANE_HOST_PLUGIN_IDENTITY_TOKEN_H
#define CPLANE_HOST_PLUGIN_IDENTITY_TOKEN_H

#include <stddef.h>
#include <stdint.h>

struct cp_client;

/* kube-controller-manager's token life (its tokenSourceImpl's
 * expirationSeconds default) and TokenRequest's minimum. */
#define CP_IDENTITY_TOKEN_SECONDS 3600
#define CP_IDENTITY_TOKEN_MIN_SECONDS 600
/* A token longer than this is refused as a broken answer. */
#define CP_IDENTITY_TOKEN_MAX_BYTES 16384

/* Reads a TokenRequest answer (body, len bytes): *token (malloc'd) and
 * how many seconds it is good for, counted from now_s (wall clock, Unix
 * seconds) to status.expirationTimestamp and kept within (0, asked_s]: a
 * clock that disagrees with the server's must not make us keep a token
 * longer than we asked for. Returns 0, or -1 with *errmsg naming what is
 * wrong with the answer. */
int cp_identity_token_parse(const char *body, size_t len, int64_t now_s,
                            int64_t asked_s, char **token, int64_t *life_s,
                            char **errmsg);

/* Asks admin's server for a token of kube-system/<plugin> valid
 * `seconds` (CP_IDENTITY_TOKEN_MIN_SECONDS at least). Returns 0 with
 * *token and *life_s, or -1 with *errmsg (the HTTP status and the
 * server's message, or what is wrong with its answer). */
int cp_identity_token_request(struct cp_client *admin, const char *plugin,
                              int64_t seconds, char **token, int64_t *life_s,
                              char **errmsg);

#endif /* CPLANE_HOST_PLUGIN_IDENTITY_TOKEN_H */
