/*
 * token_file - a bearer token read from a file and re-read when the file
 * changes, as client-go reads a kubeconfig's tokenFile (its
 * cachingTokenSource): whoever writes the file (the host, for an isolated
 * plugin's child: plugin/isolated_identity.h) renews the credential by
 * replacing the file (write and rename), and the next request carries the
 * new token. The file is looked at (stat) at most once a second; it is
 * read again only when its inode, size or modification time changed. A
 * file that cannot be read, or is empty or too large, keeps the token
 * last read (and the next look tries again).
 *
 * Threading: any thread (a mutex guards the token). Ownership: the token
 * file owns its copy of the path and of the token (cleansed when freed or
 * replaced); cp_token_file_auth() copies into a malloc'd string the
 * caller frees (after cleansing: it is a credential).
 */
#ifndef CPLANE_HOST_CLIENT_TOKEN_FILE_H
#define CPLANE_HOST_CLIENT_TOKEN_FILE_H

#include <stddef.h>

struct cp_token_file;

/* A token longer than this is refused (kube's own are ~1 KiB). */
#define CP_TOKEN_FILE_MAX_BYTES 16384

/* Reads path once. Returns 0 with *out, or -1 with *errmsg (malloc'd)
 * naming the file and what is wrong (unreadable, empty, too large). */
int cp_token_file_open(const char *path, struct cp_token_file **out,
                       char **errmsg);
void cp_token_file_free(struct cp_token_file *tf);

/* "Bearer TOKEN" for the next request, the file looked at again when a
 * second has passed (now_ms: CLOCK_MONOTONIC milliseconds; < 0: now).
 * NULL when out of memory. */
char *cp_token_file_auth(struct cp_token_file *tf, long long now_ms);

/* How many times the token was read (the first included): tests. */
unsigned cp_token_file_reads(struct cp_token_file *tf);

#endif /* CPLANE_HOST_CLIENT_TOKEN_FILE_H */
