#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/NAME/ from the inputs the
unit and integration tests use (selectors, patches, kubeconfigs, the INI
file, protobuf bodies kubectl sends, request lines), so every target starts
from valid input the suite already knows. Idempotent: a seed's file name is
the hash of its content; inputs kept from crashes are left alone.

    python3 tests/fuzz/make_seeds.py
"""
import hashlib
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def put(name, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    h = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, "seed-" + h), "wb") as f:
        f.write(data)


def j(o):
    return json.dumps(o, separators=(",", ":"))


POD = {"apiVersion": "v1", "kind": "Pod",
       "metadata": {"name": "p", "namespace": "default",
                    "labels": {"app": "web"}, "annotations": {"a": "b"},
                    "ownerReferences": [{"apiVersion": "apps/v1",
                                         "kind": "ReplicaSet", "name": "rs",
                                         "uid": "u1", "controller": True}]},
       "spec": {"nodeName": "n1", "containers": [
           {"name": "a", "image": "nginx", "ports": [{"containerPort": 80}],
            "env": [{"name": "X", "value": "1"}]},
           {"name": "b", "image": "busybox", "args": ["sh", "-c", "true"]}]},
       "status": {"phase": "Running", "conditions": [
           {"type": "Ready", "status": "True"}]}}
DEPLOY = {"apiVersion": "apps/v1", "kind": "Deployment",
          "metadata": {"name": "web", "namespace": "default",
                       "labels": {"app": "web"}},
          "spec": {"replicas": 2,
                   "selector": {"matchLabels": {"app": "web"},
                                "matchExpressions": [
                                    {"key": "tier", "operator": "In",
                                     "values": ["a", "b"]},
                                    {"key": "canary",
                                     "operator": "DoesNotExist"}]},
                   "template": {"metadata": {"labels": {"app": "web"}},
                                "spec": {"containers": [
                                    {"name": "a", "image": "nginx"}]}}}}
CM = {"apiVersion": "v1", "kind": "ConfigMap",
      "metadata": {"name": "c", "namespace": "default"},
      "data": {"k": "v", "x": "y"}}
NS = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns1"}}
SECRET = {"apiVersion": "v1", "kind": "Secret",
          "metadata": {"name": "s", "namespace": "default"},
          "stringData": {"a": "b"}, "type": "Opaque"}
SVC = {"apiVersion": "v1", "kind": "Service",
       "metadata": {"name": "svc", "namespace": "default"},
       "spec": {"selector": {"app": "web"},
                "ports": [{"port": 80, "targetPort": 8080,
                           "protocol": "TCP"}]}}
CRD_SCHEMA = {"type": "object", "properties": {
    "spec": {"type": "object", "required": ["size"], "properties": {
        "size": {"type": "integer", "minimum": 1, "maximum": 10},
        "color": {"type": "string", "enum": ["red", "blue"],
                  "default": "red"},
        "tags": {"type": "array", "items": {"type": "string"},
                 "maxItems": 3},
        "extra": {"type": "object",
                  "x-kubernetes-preserve-unknown-fields": True},
        "ratio": {"type": "number", "exclusiveMaximum": True,
                  "maximum": 1.5},
        "when": {"type": "string", "format": "date-time",
                 "pattern": "^[0-9]"},
        "labels": {"type": "object",
                   "additionalProperties": {"type": "string"}},
        "any": {"x-kubernetes-int-or-string": True},
        "opt": {"type": "string", "nullable": True}}}}}
WIDGET = {"apiVersion": "example.com/v1", "kind": "Widget",
          "metadata": {"name": "w"},
          "spec": {"size": 3, "tags": ["a"], "extra": {"z": 1},
                   "ratio": 1.0, "any": "50%", "unknown": 1}}
OBJECTS = [POD, DEPLOY, CM, NS, SECRET, SVC]


def patches():
    put("patch_json", j([{"op": "add", "path": "/metadata/labels/x",
                          "value": "y"}]))
    put("patch_json", j([{"op": "replace", "path": "/spec/replicas",
                          "value": 3},
                         {"op": "test", "path": "/spec/replicas",
                          "value": 3}]))
    put("patch_json", j([{"op": "remove",
                          "path": "/spec/template/spec/containers/1"}]))
    put("patch_json", j([{"op": "move", "from": "/metadata/labels",
                          "path": "/metadata/annotations"}]))
    put("patch_json", j([{"op": "copy", "from": "/metadata/name",
                          "path": "/metadata/labels/n"}]))
    put("patch_json", j([{"op": "add",
                          "path": "/spec/template/spec/containers/-",
                          "value": {"name": "c", "image": "x"}}]))
    put("patch_json", j([{"op": "add", "path": "/metadata/labels/a~1b~0c",
                          "value": "1"}]))
    put("patch_json", j(DEPLOY) + "\0" + j([{"op": "test",
                                             "path": "/kind",
                                             "value": "Deployment"}]))
    put("patch_merge", j({"metadata": {"labels": {"app": None, "x": "y"}}}))
    put("patch_merge", j({"spec": {"replicas": 5, "template": None}}))
    put("patch_merge", j({"a": {"b": {"c": [1, 2, {"d": None}]}}}))
    put("patch_merge", j(POD) + "\0" + j({"status": {"phase": "Failed"}}))
    put("patch_merge", "[1,2]")
    smp = [
        {"spec": {"template": {"spec": {"containers": [
            {"name": "a", "image": "nginx:2"}]}}}},
        {"spec": {"template": {"spec": {"containers": [
            {"name": "b", "$patch": "delete"}]}}}},
        {"spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "b"}, {"name": "a"}],
            "containers": [{"name": "a", "env": [
                {"name": "X", "$patch": "delete"},
                {"name": "Y", "value": "2"}]}]}}}},
        {"spec": {"template": {"spec": {"containers": [
            {"name": "a", "$deleteFromPrimitiveList/args": ["x"],
             "args": ["z"]}]}}}},
        {"spec": {"$retainKeys": ["replicas"], "replicas": 1}},
        {"metadata": {"labels": {"$patch": "replace", "z": "1"}}},
        {"spec": {"template": {"spec": {"volumes": [
            {"name": "v", "configMap": {"name": "c"}}]}}}},
        {"status": {"conditions": [{"type": "Available",
                                    "status": "False"}]}},
    ]
    for p in smp:
        put("patch_strategic", j(p))
    put("patch_strategic", j(POD) + "\0" + j(
        {"spec": {"containers": [{"name": "a", "ports": [
            {"containerPort": 81}]}]}}))
    put("patch_strategic", j(SVC) + "\0" + j(
        {"spec": {"ports": [{"port": 80, "$patch": "delete"}]}}))
    # kubectl apply's own body: the last-applied annotation and all.
    put("patch_strategic", j({"metadata": {"annotations": {
        "kubectl.kubernetes.io/last-applied-configuration": j(DEPLOY)}},
        "spec": {"replicas": 4}}))


LABELS = ["app=web", "app==web", "app!=db", "missing!=x",
          "app=web,tier=backend", "app.kubernetes.io/name=nginx",
          "app,!missing,tier in (frontend),app!=x", "x notin (y,z)",
          "tier in (a,b),!canary,zone", "replicas>1", "replicas<10", "",
          "app in (a", "=web", "a/b/c=x", "Bad_Prefix/app=x", "app,"]
FIELDS = ["metadata.name=p", "metadata.name==p", "metadata.name!=q",
          "spec.nodeName=n1,status.phase=Running",
          "metadata.namespace=default", "status.podIP=10.0.0.1",
          "nonsense", "spec.nodeName=", "metadata.name=p,metadata.name!=p",
          "a.b.c=d"]


def selectors():
    for s in LABELS:
        put("label_selector", s)
    put("label_selector", "app=web\0" + j(DEPLOY))
    put("label_selector", "x\0" + j({"spec": {"selector": {
        "matchExpressions": [{"key": "a", "operator": "Exists"},
                             {"key": "b", "operator": "NotIn",
                              "values": ["c"]}]}}}))
    for f in FIELDS:
        put("field_selector", f)
    put("field_selector", "metadata.name=p\0app=web")
    put("field_selector", "status.phase!=Failed\0tier in (a,b)")


QUERIES = ["limit=10&continue=abc", "labelSelector=app%3Dweb&watch=1",
           "fieldSelector=metadata.name%3Dp&resourceVersion=0",
           "resourceVersion=12&resourceVersionMatch=NotOlderThan",
           "timeoutSeconds=30&allowWatchBookmarks=true&watch",
           "dryRun=All&fieldValidation=Strict&fieldManager=kubectl",
           "propagationPolicy=Foreground&gracePeriodSeconds=0",
           "a=1&b=x+y&c=%2F%41", "pretty=true&sendInitialEvents=false",
           "limit=-1", "limit=99999999999999999999", "%zz", "&&=&="]
PATHS = ["/api/v1/namespaces/default/pods",
         "/api/v1/namespaces/default/pods/p",
         "/api/v1/namespaces/default/pods/p/status", "/api/v1/pods",
         "/api/v1/namespaces", "/api/v1/namespaces/ns1",
         "/api/v1/namespaces/ns1/status", "/api/v1/namespaces/ns1/finalize",
         "/apis/apps/v1/namespaces/default/deployments/web/scale",
         "/apis/apps/v1/deployments", "/api", "/apis", "/api/v1",
         "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/x",
         "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/l",
         "//api//v1///nodes/n1", "/api/v1/nodes/n1/a/b/c/d/e/f/g",
         "/api/v1/namespaces/default/nodes/n1", "/openapi/v3", "/healthz"]


def query_route():
    for q in QUERIES:
        put("query", q)
    for p in PATHS:
        put("route", p)


def varint(v):
    out = b""
    while True:
        c = v & 0x7f
        v >>= 7
        out += bytes([c | (0x80 if v else 0)])
        if not v:
            return out


def field(num, payload):
    if isinstance(payload, int):
        return varint(num << 3) + varint(payload)
    if isinstance(payload, str):
        payload = payload.encode()
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def entry(num, k, v):
    return field(num, field(1, k) + field(2, v))


def meta(name, ns=None, labels=None):
    m = field(1, name)
    if ns:
        m += field(3, ns)
    for k, v in (labels or {}).items():
        m += entry(11, k, v)
    return field(1, m)


def envelope(api_version, kind, raw):
    tm = field(1, api_version) + field(2, kind)
    return b"k8s\0" + field(1, tm) + field(2, raw) + field(3, "") + \
        field(4, "")


def protobuf():
    put("protobuf", envelope("v1", "Namespace", meta("ns1", labels={
        "a": "b"})))
    put("protobuf", envelope("v1", "ConfigMap", meta("c", "default") +
                             entry(2, "k", "v") + entry(2, "x", "")))
    put("protobuf", envelope("v1", "Secret", meta("s", "default") +
                             entry(2, "k", b"\x00\xff") + field(3, "Opaque")))
    container = field(1, "a") + field(2, "nginx") + field(3, "sh") + \
        field(4, "-c") + field(6, field(3, 80) + field(4, "TCP")) + \
        field(7, field(1, "X") + field(2, "1")) + field(14, "IfNotPresent")
    template = meta("", labels={"app": "web"}) + field(2, field(2, container))
    spec = field(1, 2) + field(2, entry(1, "app", "web")) + field(3, template)
    put("protobuf", envelope("apps/v1", "Deployment",
                             meta("web", "default") + field(2, spec)))
    put("protobuf", envelope("v1", "Pod", meta("p")))
    put("protobuf", b"k8s\0")


KUBECONFIG = """apiVersion: v1
kind: Config
current-context: admin
clusters:
- name: c
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: LS0tLS1CRUdJTg==
    insecure-skip-tls-verify: true
contexts:
- name: admin
  context: {cluster: c, user: u}
- name: other
  context: {cluster: c, user: missing}
users:
- name: u
  user:
    token: abc
    client-certificate: cert.pem
    client-key-data: a2V5
"""


def files():
    put("kubeconfig", KUBECONFIG)
    put("kubeconfig", KUBECONFIG.replace("current-context: admin",
                                         "current-context: other"))
    put("kubeconfig", "current-context: x\ncontexts:\n- name: x\n  context: "
        "{cluster: c, user: u}\nclusters:\n- name: c\n  cluster: {}\n")
    put("kubeconfig", "a: &x [*x, {b: !!binary aGk=}]\n")
    with open(os.path.join(ROOT, "config", "cplane.ini"), "rb") as f:
        put("config", f.read())
    put("config", "[host]\nworkers = 4\nlog_level = debug\nleader_elect = "
        "yes\nleader_lease = 15s\n[apiserver]\nport = 0\ntls = off\nstore = "
        "etcd\netcd_endpoints = http://127.0.0.1:2379\n[authz.ops]\nusers ="
        " alice\nverbs = get,list\nresources = *\n[plugin.namespace]\n"
        "enabled = true\nworkers = 2\nresync = 250ms\nreconcile_deadline = "
        "2m\ncustom = x\n")
    put("config", "[plugin.x]\nenabled = maybe\n[bad\nkey without value\n")


def objects():
    for o in OBJECTS:
        put("object", j(o))
        put("schema", j(o))
    put("object", "spec.containers[1].args[0]\0" + j(POD))
    put("object", "metadata.labels\0" + j(DEPLOY))
    put("object", '{"a":"\\u00e9\\ud83d\\ude00","b":[1.5e3,-0,true,null]}')
    put("schema", j(CRD_SCHEMA) + "\0" + j(WIDGET))
    put("schema", j({"type": "object", "properties": {"a": {
        "allOf": [{"type": "string"}], "anyOf": [{"maxLength": 2}],
        "oneOf": [{"minLength": 1}], "not": {"enum": ["x"]}}}}) + "\0" +
        j({"a": "y"}))


def requests():
    ns = "/api/v1/namespaces/default"
    js = "application/json"
    reqs = [
        ("POST /api/v1/namespaces", js, j({**NS, "metadata": {
            "name": "default"}})),
        ("POST " + ns + "/configmaps", js, j(CM)),
        ("POST " + ns + "/pods?dryRun=All&fieldValidation=Strict", js,
         j(POD)),
        ("POST /apis/apps/v1/namespaces/default/deployments", js,
         j(DEPLOY)),
        ("POST " + ns + "/secrets", js, j(SECRET)),
        ("POST " + ns + "/services", js, j(SVC)),
        ("PUT " + ns + "/configmaps/c", js, j(CM)),
        ("GET " + ns + "/configmaps?limit=1", "", ""),
        ("GET " + ns + "/configmaps?labelSelector=a%3Db&fieldSelector="
         "metadata.name%3Dc", "", ""),
        ("GET /api/v1/configmaps", "", ""),
        ("GET " + ns + "/configmaps/c", "", ""),
        ("PATCH " + ns + "/configmaps/c", "application/merge-patch+json",
         j({"data": {"k": None, "n": "1"}})),
        ("PATCH " + ns + "/configmaps/c", "application/json-patch+json",
         j([{"op": "add", "path": "/data/z", "value": "1"}])),
        ("PATCH /apis/apps/v1/namespaces/default/deployments/web",
         "application/strategic-merge-patch+json",
         j({"spec": {"template": {"spec": {"containers": [
             {"name": "a", "image": "nginx:2"}]}}}})),
        ("PATCH /apis/apps/v1/namespaces/default/deployments/web/scale",
         "application/merge-patch+json", j({"spec": {"replicas": 3}})),
        ("PATCH " + ns + "/pods/p/status", "application/merge-patch+json",
         j({"status": {"phase": "Failed"}})),
        ("DELETE " + ns + "/configmaps/c", js,
         j({"kind": "DeleteOptions", "apiVersion": "v1",
            "propagationPolicy": "Background",
            "preconditions": {"uid": "x"}})),
        ("DELETE " + ns + "/pods/p?gracePeriodSeconds=0", "", ""),
        ("POST /apis/apiextensions.k8s.io/v1/customresourcedefinitions", js,
         j({"apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced",
                     "names": {"plural": "widgets", "singular": "widget",
                               "kind": "Widget", "listKind": "WidgetList"},
                     "versions": [{"name": "v1", "served": True,
                                   "storage": True,
                                   "schema": {"openAPIV3Schema":
                                              CRD_SCHEMA}}]}})),
        ("POST /apis/coordination.k8s.io/v1/namespaces/default/leases", js,
         j({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "l"},
            "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15}})),
        ("POST " + ns + "/events", js,
         j({"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": "e"},
            "involvedObject": {"kind": "Pod", "name": "p"},
            "reason": "X", "message": "y"})),
        ("POST " + ns + "/configmaps", "application/yaml", "a: b\n"),
        ("POST " + ns + "/configmaps", js, "{\"metadata\":"),
        ("PUT /api/v1/namespaces/default/finalize", js,
         j({**NS, "metadata": {"name": "default"},
            "spec": {"finalizers": []}})),
    ]
    for line, ct, body in reqs:
        put("request", line + "\n" + ct + "\n" + body)
    b = envelope("v1", "ConfigMap", meta("pb", "default") +
                 entry(2, "k", "v"))
    put("request", b"POST " + ns.encode() + b"/configmaps\n" +
        b"application/vnd.kubernetes.protobuf\n" + b)


if __name__ == "__main__":
    patches()
    selectors()
    query_route()
    protobuf()
    files()
    objects()
    requests()
