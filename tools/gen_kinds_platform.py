#!/usr/bin/env python3
"""Writes host/apiserver/schemas/kinds_platform.json: the OpenAPI v3
definitions of the platform kinds (networking Ingress, IngressClass,
NetworkPolicy; rbac Role, ClusterRole, RoleBinding, ClusterRoleBinding;
storage StorageClass, CSIDriver, CSINode, VolumeAttachment;
admissionregistration Validating/MutatingWebhookConfiguration,
ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding;
apiregistration APIService; certificates CertificateSigningRequest),
field for field as k8s.io/api types them and kube-apiserver's
/openapi/v3 publishes them: formats, x-kubernetes-* list/map markers and
patch merge keys. Defaults are the ones kube's defaulting functions set
(StorageClass reclaimPolicy/volumeBindingMode, webhook failurePolicy,
matchPolicy, timeoutSeconds, ...). Descriptions are left out.

Definitions other files hold (meta.json) are referred to by "$ref" and
never defined here; types other helpers' files may define (core/v1
PersistentVolumeSpec, meta/v1 Condition) are written inline so that no
name is defined twice.

Run: python3 tools/gen_kinds_platform.py > host/apiserver/schemas/kinds_platform.json
"""
import json
import sys

META = "io.k8s.apimachinery.pkg.apis.meta.v1."
NET = "io.k8s.api.networking.v1."
RBAC = "io.k8s.api.rbac.v1."
STO = "io.k8s.api.storage.v1."
ADM = "io.k8s.api.admissionregistration.v1."
AREG = "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1."
CERT = "io.k8s.api.certificates.v1."


def ref(name):
    return {"$ref": "#/components/schemas/" + name}


def obj(props, required=None, **extra):
    o = {"type": "object", "properties": props}
    if required:
        o["required"] = required
    o.update(extra)
    return o


S = {"type": "string"}
I32 = {"type": "integer", "format": "int32"}
I64 = {"type": "integer", "format": "int64"}
B = {"type": "boolean"}
T = {"type": "string", "format": "date-time"}
BYTES = {"type": "string", "format": "byte"}
IOS = {"x-kubernetes-int-or-string": True}
STRMAP = {"type": "object", "additionalProperties": S}
SEL = ref(META + "LabelSelector")


def arr(items, **extra):
    a = {"type": "array", "items": items}
    a.update(extra)
    return a


def atomic(items):
    return arr(items, **{"x-kubernetes-list-type": "atomic"})


def strset():
    return arr(S, **{"x-kubernetes-list-type": "set"})


def map_list(items, key, patch=True):
    a = arr(items, **{"x-kubernetes-list-type": "map",
                      "x-kubernetes-list-map-keys": [key]})
    if patch:
        a["x-kubernetes-patch-merge-key"] = key
        a["x-kubernetes-patch-strategy"] = "merge"
    return a


def kind(group, version, k, props, required=None):
    p = {"apiVersion": S, "kind": S, "metadata": ref(META + "ObjectMeta")}
    p.update(props)
    o = obj(p, required)
    o["x-kubernetes-group-version-kind"] = [
        {"group": group, "version": version, "kind": k}]
    return o


def condition(time_fields, extra=None):
    props = {"type": S, "status": S, "reason": S, "message": S}
    for t in time_fields:
        props[t] = T
    props.update(extra or {})
    return obj(props, ["type", "status"])


D = {}

# ------------------------------------------------------------ networking
G = "networking.k8s.io"
D[NET + "ServiceBackendPort"] = obj({"name": S, "number": I32},
                                    **{"x-kubernetes-map-type": "atomic"})
D[NET + "IngressServiceBackend"] = obj(
    {"name": S, "port": ref(NET + "ServiceBackendPort")}, ["name"])
TYPED_LOCAL_REF = obj({"apiGroup": S, "kind": S, "name": S},
                      ["kind", "name"], **{"x-kubernetes-map-type": "atomic"})
D[NET + "IngressBackend"] = obj({
    "service": ref(NET + "IngressServiceBackend"),
    "resource": TYPED_LOCAL_REF})
# pathType and backend are required upstream; the strategy says so with
# kube's words ("pathType must be specified").
D[NET + "HTTPIngressPath"] = obj({
    "path": S,
    "pathType": {"type": "string",
                 "enum": ["Exact", "ImplementationSpecific", "Prefix"]},
    "backend": ref(NET + "IngressBackend")})
D[NET + "HTTPIngressRuleValue"] = obj(
    {"paths": atomic(ref(NET + "HTTPIngressPath"))}, ["paths"])
D[NET + "IngressRule"] = obj(
    {"host": S, "http": ref(NET + "HTTPIngressRuleValue")})
D[NET + "IngressTLS"] = obj({"hosts": atomic(S), "secretName": S})
D[NET + "IngressSpec"] = obj({
    "ingressClassName": S,
    "defaultBackend": ref(NET + "IngressBackend"),
    "tls": atomic(ref(NET + "IngressTLS")),
    "rules": atomic(ref(NET + "IngressRule"))})
PORT_STATUS = obj({"port": I32, "protocol": S, "error": S},
                  ["port", "protocol"])
D[NET + "IngressLoadBalancerIngress"] = obj(
    {"ip": S, "hostname": S, "ports": atomic(PORT_STATUS)})
D[NET + "IngressStatus"] = obj({"loadBalancer": obj({
    "ingress": atomic(ref(NET + "IngressLoadBalancerIngress"))})})
D[NET + "Ingress"] = kind(G, "v1", "Ingress", {
    "spec": ref(NET + "IngressSpec"), "status": ref(NET + "IngressStatus")})

D[NET + "IngressClassParametersReference"] = obj(
    {"apiGroup": S, "kind": S, "name": S, "namespace": S, "scope": S},
    ["kind", "name"])
D[NET + "IngressClassSpec"] = obj({
    "controller": S,
    "parameters": ref(NET + "IngressClassParametersReference")})
D[NET + "IngressClass"] = kind(G, "v1", "IngressClass",
                               {"spec": ref(NET + "IngressClassSpec")})

D[NET + "IPBlock"] = obj({"cidr": S, "except": atomic(S)}, ["cidr"])
D[NET + "NetworkPolicyPeer"] = obj({
    "podSelector": SEL, "namespaceSelector": SEL,
    "ipBlock": ref(NET + "IPBlock")})
D[NET + "NetworkPolicyPort"] = obj({
    "protocol": dict(S, default="TCP"), "port": IOS, "endPort": I32})
D[NET + "NetworkPolicyIngressRule"] = obj({
    "ports": atomic(ref(NET + "NetworkPolicyPort")),
    "from": atomic(ref(NET + "NetworkPolicyPeer"))})
D[NET + "NetworkPolicyEgressRule"] = obj({
    "ports": atomic(ref(NET + "NetworkPolicyPort")),
    "to": atomic(ref(NET + "NetworkPolicyPeer"))})
D[NET + "NetworkPolicySpec"] = obj({
    "podSelector": SEL,
    "ingress": atomic(ref(NET + "NetworkPolicyIngressRule")),
    "egress": atomic(ref(NET + "NetworkPolicyEgressRule")),
    "policyTypes": atomic(S)})
D[NET + "NetworkPolicy"] = kind(G, "v1", "NetworkPolicy",
                                {"spec": ref(NET + "NetworkPolicySpec")})

# ------------------------------------------------------------ rbac
G = "rbac.authorization.k8s.io"
# verbs is required upstream; kube's message ("verbs must contain at
# least one value") comes from the strategy.
D[RBAC + "PolicyRule"] = obj({
    "verbs": atomic(S), "apiGroups": atomic(S), "resources": atomic(S),
    "resourceNames": atomic(S), "nonResourceURLs": atomic(S)})
D[RBAC + "AggregationRule"] = obj(
    {"clusterRoleSelectors": atomic(SEL)})
D[RBAC + "Subject"] = obj({"kind": S, "apiGroup": S, "name": S,
                           "namespace": S},
                          **{"x-kubernetes-map-type": "atomic"})
D[RBAC + "RoleRef"] = obj({"apiGroup": S, "kind": S, "name": S},
                          **{"x-kubernetes-map-type": "atomic"})
D[RBAC + "Role"] = kind(G, "v1", "Role",
                        {"rules": atomic(ref(RBAC + "PolicyRule"))})
D[RBAC + "ClusterRole"] = kind(G, "v1", "ClusterRole", {
    "rules": atomic(ref(RBAC + "PolicyRule")),
    "aggregationRule": ref(RBAC + "AggregationRule")})
for k in ("RoleBinding", "ClusterRoleBinding"):
    D[RBAC + k] = kind(G, "v1", k, {
        "subjects": atomic(ref(RBAC + "Subject")),
        "roleRef": ref(RBAC + "RoleRef")})

# ------------------------------------------------------------ storage
G = "storage.k8s.io"
D[STO + "StorageClass"] = kind(G, "v1", "StorageClass", {
    "provisioner": S,
    "parameters": STRMAP,
    "reclaimPolicy": dict(S, default="Delete"),
    "mountOptions": atomic(S),
    "allowVolumeExpansion": B,
    "volumeBindingMode": dict(S, default="Immediate"),
    "allowedTopologies": atomic(obj({"matchLabelExpressions": atomic(obj(
        {"key": S, "values": atomic(S)}, ["key", "values"]))}))})

D[STO + "TokenRequest"] = obj({"audience": S, "expirationSeconds": I64},
                              ["audience"])
D[STO + "CSIDriverSpec"] = obj({
    "attachRequired": dict(B, default=True),
    "podInfoOnMount": dict(B, default=False),
    "volumeLifecycleModes": dict(strset(), default=["Persistent"]),
    "storageCapacity": dict(B, default=False),
    "fsGroupPolicy": dict(S, default="ReadWriteOnceWithFSType"),
    "tokenRequests": atomic(ref(STO + "TokenRequest")),
    "requiresRepublish": dict(B, default=False),
    "seLinuxMount": dict(B, default=False)})
D[STO + "CSIDriver"] = kind(G, "v1", "CSIDriver",
                            {"spec": ref(STO + "CSIDriverSpec")}, ["spec"])

D[STO + "CSINodeDriver"] = obj({
    "name": S, "nodeID": S, "topologyKeys": atomic(S),
    "allocatable": obj({"count": I32})}, ["name", "nodeID"])
D[STO + "CSINodeSpec"] = obj(
    {"drivers": map_list(ref(STO + "CSINodeDriver"), "name")}, ["drivers"])
D[STO + "CSINode"] = kind(G, "v1", "CSINode",
                          {"spec": ref(STO + "CSINodeSpec")}, ["spec"])

VOLUME_ERROR = obj({"time": T, "message": S, "errorCode": I32})
D[STO + "VolumeAttachmentSource"] = obj({
    "persistentVolumeName": S,
    # a core/v1 PersistentVolumeSpec, kept whole (core's kinds file
    # defines that type).
    "inlineVolumeSpec": {"type": "object",
                         "x-kubernetes-preserve-unknown-fields": True}})
D[STO + "VolumeAttachmentSpec"] = obj({
    "attacher": S, "source": ref(STO + "VolumeAttachmentSource"),
    "nodeName": S}, ["attacher", "source", "nodeName"])
D[STO + "VolumeAttachmentStatus"] = obj({
    "attached": B, "attachmentMetadata": STRMAP,
    "attachError": VOLUME_ERROR, "detachError": VOLUME_ERROR}, ["attached"])
D[STO + "VolumeAttachment"] = kind(G, "v1", "VolumeAttachment", {
    "spec": ref(STO + "VolumeAttachmentSpec"),
    "status": ref(STO + "VolumeAttachmentStatus")}, ["spec"])

# ------------------------------------------------------------ admission
G = "admissionregistration.k8s.io"
D[ADM + "ServiceReference"] = obj({
    "namespace": S, "name": S, "path": S,
    "port": dict(I32, default=443)}, ["namespace", "name"])
D[ADM + "WebhookClientConfig"] = obj({
    "url": S, "service": ref(ADM + "ServiceReference"), "caBundle": BYTES})
D[ADM + "RuleWithOperations"] = obj({
    "operations": atomic(S), "apiGroups": atomic(S),
    "apiVersions": atomic(S), "resources": atomic(S),
    "scope": dict(S, default="*")})
D[ADM + "MatchCondition"] = obj({"name": S, "expression": S},
                                ["name", "expression"])
# kube defaults both selectors to {} (match all); a "$ref" carries no
# default of its own here, so the strategy sets them.
SEL_ALL = SEL


def webhook(mutating):
    p = {
        "name": S,
        "clientConfig": ref(ADM + "WebhookClientConfig"),
        "rules": atomic(ref(ADM + "RuleWithOperations")),
        "failurePolicy": dict(S, default="Fail"),
        "matchPolicy": dict(S, default="Equivalent"),
        "namespaceSelector": SEL_ALL,
        "objectSelector": SEL_ALL,
        "sideEffects": S,
        "timeoutSeconds": dict(I32, default=10),
        "admissionReviewVersions": atomic(S),
        "matchConditions": map_list(ref(ADM + "MatchCondition"), "name")}
    if mutating:
        p["reinvocationPolicy"] = dict(S, default="Never")
    # name, clientConfig, sideEffects and admissionReviewVersions are
    # required upstream; the strategy says so with kube's details.
    return obj(p)


D[ADM + "ValidatingWebhook"] = webhook(False)
D[ADM + "MutatingWebhook"] = webhook(True)
for k, w in (("ValidatingWebhookConfiguration", "ValidatingWebhook"),
             ("MutatingWebhookConfiguration", "MutatingWebhook")):
    D[ADM + k] = kind(G, "v1", k, {
        "webhooks": map_list(ref(ADM + w), "name")})

# ValidatingAdmissionPolicy and its binding (GA in 1.30): in-process CEL
# admission (host/apiserver/vap/). kube defaults matchPolicy to Equivalent
# and both selectors to {} (the strategy sets the selectors).
D[ADM + "NamedRuleWithOperations"] = obj({
    "resourceNames": atomic(S), "operations": atomic(S),
    "apiGroups": atomic(S), "apiVersions": atomic(S),
    "resources": atomic(S), "scope": dict(S, default="*")},
    **{"x-kubernetes-map-type": "atomic"})
D[ADM + "MatchResources"] = obj({
    "namespaceSelector": SEL_ALL, "objectSelector": SEL_ALL,
    "resourceRules": atomic(ref(ADM + "NamedRuleWithOperations")),
    "excludeResourceRules": atomic(ref(ADM + "NamedRuleWithOperations")),
    "matchPolicy": dict(S, default="Equivalent")},
    **{"x-kubernetes-map-type": "atomic"})
D[ADM + "ParamKind"] = obj({"apiVersion": S, "kind": S},
                           **{"x-kubernetes-map-type": "atomic"})
D[ADM + "Validation"] = obj({"expression": S, "message": S, "reason": S,
                             "messageExpression": S}, ["expression"])
D[ADM + "AuditAnnotation"] = obj({"key": S, "valueExpression": S},
                                 ["key", "valueExpression"])
D[ADM + "Variable"] = obj({"name": S, "expression": S},
                          ["name", "expression"],
                          **{"x-kubernetes-map-type": "atomic"})
D[ADM + "ValidatingAdmissionPolicySpec"] = obj({
    "paramKind": ref(ADM + "ParamKind"),
    "matchConstraints": ref(ADM + "MatchResources"),
    "validations": atomic(ref(ADM + "Validation")),
    "failurePolicy": dict(S, default="Fail"),
    "auditAnnotations": atomic(ref(ADM + "AuditAnnotation")),
    "matchConditions": map_list(ref(ADM + "MatchCondition"), "name"),
    "variables": atomic(ref(ADM + "Variable"))})
D[ADM + "ExpressionWarning"] = obj({"fieldRef": S, "warning": S},
                                   ["fieldRef", "warning"])
D[ADM + "TypeChecking"] = obj({"expressionWarnings": atomic(
    ref(ADM + "ExpressionWarning"))})
D[ADM + "ValidatingAdmissionPolicyStatus"] = obj({
    "observedGeneration": I64,
    "typeChecking": ref(ADM + "TypeChecking"),
    "conditions": map_list(condition(["lastTransitionTime"],
                                     {"observedGeneration": I64}),
                           "type", patch=False)})
D[ADM + "ValidatingAdmissionPolicy"] = kind(
    G, "v1", "ValidatingAdmissionPolicy", {
        "spec": ref(ADM + "ValidatingAdmissionPolicySpec"),
        "status": ref(ADM + "ValidatingAdmissionPolicyStatus")})
D[ADM + "ParamRef"] = obj({"name": S, "namespace": S, "selector": SEL,
                           "parameterNotFoundAction": S},
                          **{"x-kubernetes-map-type": "atomic"})
D[ADM + "ValidatingAdmissionPolicyBindingSpec"] = obj({
    "policyName": S, "paramRef": ref(ADM + "ParamRef"),
    "matchResources": ref(ADM + "MatchResources"),
    "validationActions": strset()})
D[ADM + "ValidatingAdmissionPolicyBinding"] = kind(
    G, "v1", "ValidatingAdmissionPolicyBinding", {
        "spec": ref(ADM + "ValidatingAdmissionPolicyBindingSpec")})

# ------------------------------------------------------------ aggregation
G = "apiregistration.k8s.io"
D[AREG + "ServiceReference"] = obj({
    "namespace": S, "name": S, "port": dict(I32, default=443)})
D[AREG + "APIServiceSpec"] = obj({
    "service": ref(AREG + "ServiceReference"),
    "group": S, "version": S, "insecureSkipTLSVerify": B,
    "caBundle": dict(BYTES, **{"x-kubernetes-list-type": "atomic"}),
    "groupPriorityMinimum": I32, "versionPriority": I32},
    ["groupPriorityMinimum", "versionPriority"])
D[AREG + "APIServiceCondition"] = condition(["lastTransitionTime"])
D[AREG + "APIServiceStatus"] = obj({"conditions": map_list(
    ref(AREG + "APIServiceCondition"), "type")})
D[AREG + "APIService"] = kind(G, "v1", "APIService", {
    "spec": ref(AREG + "APIServiceSpec"),
    "status": ref(AREG + "APIServiceStatus")})

# ------------------------------------------------------------ certificates
G = "certificates.k8s.io"
D[CERT + "CertificateSigningRequestSpec"] = obj({
    "request": dict(BYTES, **{"x-kubernetes-list-type": "atomic"}),
    "signerName": S, "expirationSeconds": I32, "usages": atomic(S),
    "username": S, "uid": S, "groups": atomic(S),
    "extra": {"type": "object", "additionalProperties": atomic(S)}},
    ["request", "signerName"])
D[CERT + "CertificateSigningRequestCondition"] = condition(
    ["lastUpdateTime", "lastTransitionTime"])
D[CERT + "CertificateSigningRequestStatus"] = obj({
    "conditions": map_list(ref(CERT + "CertificateSigningRequestCondition"),
                           "type", patch=False),
    "certificate": dict(BYTES, **{"x-kubernetes-list-type": "atomic"})})
D[CERT + "CertificateSigningRequest"] = kind(
    G, "v1", "CertificateSigningRequest", {
        "spec": ref(CERT + "CertificateSigningRequestSpec"),
        "status": ref(CERT + "CertificateSigningRequestStatus")}, ["spec"])

json.dump({"components": {"schemas": D}}, sys.stdout, indent=1,
          sort_keys=True)
sys.stdout.write("\n")
