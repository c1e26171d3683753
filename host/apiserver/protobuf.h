/*
 * protobuf - reads the Kubernetes protobuf encoding kubectl >= 1.32 sends
 * for `kubectl create namespace|configmap|secret|deployment` (client-go's
 * typed clients default to it, and a 415 is not retried as JSON) and
 * turns the body into the JSON the handlers take.
 *
 * Only the kinds and fields those commands send are known: Namespace,
 * ConfigMap, Secret and Deployment (replicas, selector, and a template's
 * labels and containers: name, image, command, args, ports, env, pull
 * policy), with their ObjectMeta. Anything else stays protobuf and gets
 * the usual 415.
 *
 * Threading: pure functions.
 */
#ifndef CPLANE_HOST_APISERVER_PROTOBUF_H
#define CPLANE_HOST_APISERVER_PROTOBUF_H

#include <stddef.h>

#define CP_PROTOBUF_CONTENT_TYPE "application/vnd.kubernetes.protobuf"

/* Nonzero when a Content-Type names the Kubernetes protobuf encoding. */
int cp_protobuf_is(const char *content_type);

/* Decodes a "k8s\0"-enveloped runtime.Unknown of a known kind into JSON
 * text. Returns 0 with *json (owned: free()), or -1 with *why (static
 * text) for an unknown kind or a malformed body. */
int cp_protobuf_to_json(const char *body, size_t len, char **json,
                        const char **why);

#endif
