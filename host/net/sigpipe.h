/*
 * sigpipe - make sure a peer that closes a socket mid-write is an error,
 * not the end of the process.
 *
 * libevent writes plain sockets with writev(2) and OpenSSL's socket BIO
 * with write(2); neither passes MSG_NOSIGNAL, so a write to a connection
 * the peer has closed (etcd refusing a client certificate, an apiserver
 * restarting) raises SIGPIPE, whose default action kills the process.
 * cplane's main ignores SIGPIPE; a library user (a test, a bench, an
 * embedding program) may not have. Every component that opens or
 * accepts such connections (the etcd store, the client, the API server,
 * the health server) calls this before its first connection.
 *
 * cp_net_ignore_sigpipe: if SIGPIPE's disposition is still the default,
 * set it to SIG_IGN; a handler or SIG_IGN the program installed is left
 * alone. Idempotent and cheap after the first call.
 *
 * Threading: any thread (pthread_once).
 */
#ifndef CPLANE_HOST_NET_SIGPIPE_H
#define CPLANE_HOST_NET_SIGPIPE_H

void cp_net_ignore_sigpipe(void);

#endif
