/*
 * yaml_body - request bodies in YAML (Content-Type application/yaml), as
 * kube-apiserver's YAML serializer takes them: on the verbs that decode
 * an object with the negotiated serializer (create, update and their
 * subresources, DeleteOptions); a patch names its own types and keeps
 * its 415 for application/yaml (patch.c). The body is turned into JSON
 * (object/yaml_json: sigs.k8s.io/yaml's YAMLToJSON) before any verb reads
 * it, so every verb reads one format.
 *
 * Not carried over: duplicate keys in the YAML (the last wins, as Go's
 * non-strict decoding) are not reported to fieldValidation.
 *
 * Threading: runs on the request's worker.
 * Ownership: replaces rq->body and rq->content_type (freeing the old);
 * responders set rs.
 */
#ifndef CPLANE_HOST_APISERVER_YAML_BODY_H
#define CPLANE_HOST_APISERVER_YAML_BODY_H

#include "apiserver/request.h"

/* Returns 0 (converted, or nothing to convert), -1 having responded:
 * 400 as kube's decoder words a YAML error ("the object provided is
 * unrecognized (must be of type Pod): error converting YAML to JSON:
 * yaml: line 3: ...  (<first bytes>)"), 500 out of memory. */
int cp_yaml_body_to_json(struct cp_api_request *rq,
                         struct cp_api_response *rs);

#endif /* CPLANE_HOST_APISERVER_YAML_BODY_H */
