/*
 * continue_token - the opaque token a paginated list hands back in
 * metadata.continue: "<revision>.<hex of the next key>". The revision pins
 * every page to one snapshot (kube's etcd3 store does the same with its
 * base64 {"v":"meta.k8s.io/v1","rv":N,"start":"key"}).
 *
 * The token comes straight from a client, so decoding accepts exactly what
 * the encoder writes and nothing else: a positive decimal revision without
 * sign, spaces or overflow, one '.', and a non-empty, even-length run of
 * hex digits (bounded by CP_CONTINUE_MAX_KEY bytes).
 *
 * Threading: pure functions, safe from any thread.
 * Ownership: cp_continue_encode returns malloc'd text; cp_continue_decode
 * hands back a malloc'd *start that the caller frees, and leaves *start
 * NULL whenever it fails, so the caller's cleanup never frees twice.
 */
#ifndef CPLANE_HOST_APISERVER_CONTINUE_TOKEN_H
#define CPLANE_HOST_APISERVER_CONTINUE_TOKEN_H

#include <stddef.h>
#include <stdint.h>

/* The longest key a token may carry (store keys are far shorter). */
#define CP_CONTINUE_MAX_KEY 4096

/* "<rev>.<hex(start)>", or NULL when out of memory, rev <= 0, start is
 * empty or longer than CP_CONTINUE_MAX_KEY. */
char *cp_continue_encode(int64_t rev, const uint8_t *start, size_t start_len);

/* 0 with *rev, *start (malloc'd, NUL-terminated for convenience) and
 * *start_len filled; -1 for a malformed token or out of memory, with
 * *start NULL and *start_len 0. */
int cp_continue_decode(const char *tok, int64_t *rev, uint8_t **start,
                       size_t *start_len);

#endif /* CPLANE_HOST_APISERVER_CONTINUE_TOKEN_H */
