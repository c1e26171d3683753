/*
 * front_proxy - the aggregator's client identity, as kubeadm makes it:
 * a front-proxy CA (front-proxy-ca.crt/.key) and a client certificate it
 * signs (front-proxy-client.crt/.key, CN=front-proxy-client, client
 * auth) in the pki directory, made on first start and kept. Extension
 * API servers trust requests carrying it (their
 * --requestheader-client-ca-file is front-proxy-ca.crt) and read the
 * caller from X-Remote-User / X-Remote-Group.
 *
 * Threading: call from the thread that starts the server.
 * Ownership: paths borrowed; *errmsg malloc'd.
 */
#ifndef CPLANE_HOST_APISERVER_AGGREGATOR_FRONT_PROXY_H
#define CPLANE_HOST_APISERVER_AGGREGATOR_FRONT_PROXY_H

/* Makes dir/front-proxy-{ca,client}.{crt,key} unless
 * front-proxy-client.crt exists. 0, or -1 with *errmsg. */
int cp_front_proxy_ensure(const char *dir, char **errmsg);

#endif /* CPLANE_HOST_APISERVER_AGGREGATOR_FRONT_PROXY_H */
