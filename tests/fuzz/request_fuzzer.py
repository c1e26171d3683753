#!/usr/bin/python3
"""A request fuzzer against the real cplane API server.

Starts $B/cplane (as the integration tests do: port 0, loopback, TLS, a
throw-away data directory) and for --seconds sends, from several threads:

  * mutated valid bodies of every kind through every verb: create, update,
    patch (merge, JSON, strategic), delete, deletecollection, get, list and
    watch, with random query parameters (limit, continue, resourceVersion,
    resourceVersionMatch, labelSelector, fieldSelector, fieldValidation,
    dryRun, timeoutSeconds, propagationPolicy, gracePeriodSeconds, ...);
  * raw malformed HTTP: slow headers, bodies shorter than Content-Length,
    garbage request lines, requests cut off mid-way;
  * floods of idle connections, after which a normal request must still be
    answered.

Every answer must be a 2xx, or a 4xx whose body is a Kubernetes Status
with the same code; never a 5xx, a dropped connection or a hang. The
server's resident memory is sampled throughout and must stay under
--rss-limit-mb. Afterwards every listable resource must still list and
parse (kubectl get -o json, and the Python client's typed lists), and the
server must stop cleanly on SIGTERM (under ASan: without leaks).

Prints figures (requests, status histogram, 5xx, hangs, drops, peak RSS)
and exits non-zero on any violation.

    B=build/asan /usr/bin/python3 tests/fuzz/request_fuzzer.py --seconds 600

(/usr/bin/python3: Debian's python3-kubernetes is installed for it.)
"""
import argparse
import base64
import collections
import copy
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# Answers a request may take at most (watches: their timeoutSeconds more).
# Generous: the machine is shared and the server may run under ASan.
HANG_SECONDS = 30

# Continue tokens the server handed out (list metadata.continue): sent back
# as they are, or damaged.
ISSUED = set()
ISSUED_LOCK = threading.Lock()


def issued_token(rng):
    with ISSUED_LOCK:
        return rng.choice(sorted(ISSUED)) if ISSUED else None


# ------------------------------------------------------------ the server
class Server:
    """The cplane process under test: its config, log and memory."""

    def __init__(self, build, tmp):
        self.tmp = tmp
        os.makedirs(os.path.join(tmp, "noplugins"), mode=0o755)
        ini = os.path.join(tmp, "c.ini")
        with open(ini, "w") as f:
            f.write("[host]\ndata_dir = %s/data\nplugin_dir = %s/noplugins\n"
                    "listen = 127.0.0.1:0\n"
                    "[apiserver]\nport = 0\ncompact_interval = 2s\n"
                    % (tmp, tmp))
        self.log_path = os.path.join(tmp, "log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([os.path.join(build, "cplane"), "-c",
                                      ini], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while b"ready: " not in self.read_log():
            if self.proc.poll() is not None or time.time() > deadline:
                raise SystemExit("server did not start:\n" +
                                 self.read_log().decode(errors="replace"))
            time.sleep(0.1)
        self.kubeconfig = os.path.join(tmp, "data", "admin.kubeconfig")
        self.load_kubeconfig()
        self.peak_rss_kb = 0

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read()

    def load_kubeconfig(self):
        import yaml
        with open(self.kubeconfig) as f:
            kc = yaml.safe_load(f)
        ctx = next(c["context"] for c in kc["contexts"]
                   if c["name"] == kc["current-context"])
        cluster = next(c["cluster"] for c in kc["clusters"]
                       if c["name"] == ctx["cluster"])
        user = next(u["user"] for u in kc["users"]
                    if u["name"] == ctx["user"])
        u = urllib.parse.urlsplit(cluster["server"])
        self.host, self.port = u.hostname, u.port
        self.tls = u.scheme == "https"
        self.token = user.get("token")
        self.ssl = None
        if self.tls:
            self.ssl = ssl.create_default_context()
            ca = cluster.get("certificate-authority-data")
            if ca:
                self.ssl.load_verify_locations(
                    cadata=base64.b64decode(ca).decode())
            else:
                self.ssl.check_hostname = False
                self.ssl.verify_mode = ssl.CERT_NONE

    def rss_kb(self):
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        kb = int(line.split()[1])
                        self.peak_rss_kb = max(self.peak_rss_kb, kb)
                        return kb
        except OSError:
            pass
        return 0

    def alive(self):
        return self.proc.poll() is None

    def connection(self, timeout=HANG_SECONDS):
        if self.tls:
            return http.client.HTTPSConnection(self.host, self.port,
                                               timeout=timeout,
                                               context=self.ssl)
        return http.client.HTTPConnection(self.host, self.port,
                                          timeout=timeout)

    def raw_socket(self, timeout=HANG_SECONDS):
        s = socket.create_connection((self.host, self.port), timeout=timeout)
        if self.tls:
            s = self.ssl.wrap_socket(s, server_hostname=self.host)
        return s

    def stop(self, seconds=60):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(seconds)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return "hang"


# ------------------------------------------------------- what we send
def obj(api_version, kind, name, ns, **rest):
    o = {"apiVersion": api_version, "kind": kind,
         "metadata": {"name": name, "labels": {"fuzz": "1", "app": name}}}
    if ns:
        o["metadata"]["namespace"] = ns
    o.update(rest)
    return o


CONTAINER = {"name": "c", "image": "nginx:1.27", "command": ["sh"],
             "args": ["-c", "sleep 1"], "ports": [{"containerPort": 80,
                                                   "protocol": "TCP"}],
             "env": [{"name": "A", "value": "1"}],
             "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}}}
TEMPLATE = {"metadata": {"labels": {"app": "x"}},
            "spec": {"containers": [CONTAINER]}}

# plural -> (group/version path prefix, namespaced, body maker, status?)
KINDS = {
    "namespaces": ("/api/v1", False, lambda n, ns: obj(
        "v1", "Namespace", n, None), True),
    "configmaps": ("/api/v1", True, lambda n, ns: obj(
        "v1", "ConfigMap", n, ns, data={"k": "v", "x": "y" * 10}), False),
    "secrets": ("/api/v1", True, lambda n, ns: obj(
        "v1", "Secret", n, ns, type="Opaque", data={"a": "YWJj"},
        stringData={"b": "c"}), False),
    "pods": ("/api/v1", True, lambda n, ns: obj(
        "v1", "Pod", n, ns, spec={"containers": [CONTAINER],
                                  "nodeName": "n1"}), True),
    "services": ("/api/v1", True, lambda n, ns: obj(
        "v1", "Service", n, ns, spec={"selector": {"app": "x"}, "ports": [
            {"port": 80, "targetPort": 8080}]}), True),
    "nodes": ("/api/v1", False, lambda n, ns: obj(
        "v1", "Node", n, None, spec={"unschedulable": False}), True),
    "events": ("/api/v1", True, lambda n, ns: obj(
        "v1", "Event", n, ns,
        involvedObject={"kind": "Pod", "name": "p", "namespace": ns},
        reason="Fuzz", message="m", type="Normal"), False),
    "serviceaccounts": ("/api/v1", True, lambda n, ns: obj(
        "v1", "ServiceAccount", n, ns), False),
    # issue #13's core kinds (kcore)
    "endpoints": ("/api/v1", True, lambda n, ns: obj(
        "v1", "Endpoints", n, ns, subsets=[{
            "addresses": [{"ip": "10.1.0.1"}], "ports": [{"port": 80}]}]),
        False),
    "persistentvolumes": ("/api/v1", False, lambda n, ns: obj(
        "v1", "PersistentVolume", n, None, spec={
            "capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
            "hostPath": {"path": "/tmp/x"}}), True),
    "persistentvolumeclaims": ("/api/v1", True, lambda n, ns: obj(
        "v1", "PersistentVolumeClaim", n, ns, spec={
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "1Gi"}}}), True),
    "resourcequotas": ("/api/v1", True, lambda n, ns: obj(
        "v1", "ResourceQuota", n, ns, spec={"hard": {"pods": "10"}}), True),
    "limitranges": ("/api/v1", True, lambda n, ns: obj(
        "v1", "LimitRange", n, ns, spec={"limits": [{
            "type": "Container", "default": {"cpu": "1"}}]}), False),
    "podtemplates": ("/api/v1", True, lambda n, ns: obj(
        "v1", "PodTemplate", n, ns, template=TEMPLATE), False),
    "replicationcontrollers": ("/api/v1", True, lambda n, ns: obj(
        "v1", "ReplicationController", n, ns, spec={
            "replicas": 1, "selector": {"app": "x"}, "template": TEMPLATE}),
        True),
    "endpointslices": ("/apis/discovery.k8s.io/v1", True, lambda n, ns: obj(
        "discovery.k8s.io/v1", "EndpointSlice", n, ns, addressType="IPv4",
        endpoints=[{"addresses": ["10.1.0.1"]}], ports=[{"port": 80}]),
        False),
    "deployments": ("/apis/apps/v1", True, lambda n, ns: obj(
        "apps/v1", "Deployment", n, ns, spec={
            "replicas": 1, "selector": {"matchLabels": {"app": "x"}},
            "template": TEMPLATE}), True),
    "replicasets": ("/apis/apps/v1", True, lambda n, ns: obj(
        "apps/v1", "ReplicaSet", n, ns, spec={
            "replicas": 1, "selector": {"matchLabels": {"app": "x"}},
            "template": TEMPLATE}), True),
    "leases": ("/apis/coordination.k8s.io/v1", True, lambda n, ns: obj(
        "coordination.k8s.io/v1", "Lease", n, ns, spec={
            "holderIdentity": "h", "leaseDurationSeconds": 15}), False),
    "widgets": ("/apis/example.com/v1", True, lambda n, ns: obj(
        "example.com/v1", "Widget", n, ns, spec={"size": 3, "color": "red",
                                                 "tags": ["a"]}), True),
}
WIDGET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {"group": "example.com", "scope": "Namespaced",
             "names": {"plural": "widgets", "singular": "widget",
                       "kind": "Widget", "listKind": "WidgetList"},
             "versions": [{"name": "v1", "served": True, "storage": True,
                           "subresources": {"status": {}},
                           "schema": {"openAPIV3Schema": {
                               "type": "object", "properties": {
                                   "spec": {"type": "object", "properties": {
                                       "size": {"type": "integer",
                                                "minimum": 0},
                                       "color": {"type": "string",
                                                 "enum": ["red", "blue"]},
                                       "tags": {"type": "array", "items": {
                                           "type": "string"}}}},
                                   "status": {
                                       "type": "object",
                                       "x-kubernetes-preserve-unknown-fields":
                                           True}}}}}]}}
NAMESPACES = ["default", "fz1", "fz2"]

WEIRD_STRINGS = ["", " ", "a" * 300, "A_B", "-x", "x" * 64, "\u00e9\u4e2d",
                 "\ud83d\ude00", "\x00", "\x7f", "../..", "%2F", "a/b",
                 "${x}", "'\"", "\\", "\n", "1e999", "-0", "null", "true"]
WEIRD_VALUES = [None, True, False, 0, -1, 2 ** 31, 2 ** 63, -2 ** 63,
                2 ** 64, 1.5, 1e308, "", "x", [], {}, [None], {"": None},
                [[[[[]]]]], {"a": {"b": {"c": {}}}}]


# The kinds kubectl >= 1.32 creates with protobuf bodies (make_seeds.py
# has the encoder).
PROTOBUF_KINDS = ("namespaces", "configmaps", "secrets", "deployments")


def protobuf_body(plural, name, ns):
    from make_seeds import entry, envelope, field, meta
    labels = {"fuzz": "1", "app": name}
    if plural == "namespaces":
        return envelope("v1", "Namespace", meta(name, labels=labels))
    if plural == "configmaps":
        return envelope("v1", "ConfigMap", meta(name, ns, labels) +
                        entry(2, "k", "v"))
    if plural == "secrets":
        return envelope("v1", "Secret", meta(name, ns, labels) +
                        entry(2, "k", b"\x00v") + field(3, "Opaque"))
    container = field(1, "c") + field(2, "nginx") + \
        field(6, field(3, 80) + field(4, "TCP"))
    template = meta("", labels={"app": "x"}) + field(2, field(2, container))
    spec = field(1, 1) + field(2, entry(1, "app", "x")) + field(3, template)
    return envelope("apps/v1", "Deployment", meta(name, ns, labels) +
                    field(2, spec))


class Req:
    """One request and what it is."""

    def __init__(self, verb, method, path, query=None, body=None, ctype=None,
                 accept=None):
        self.verb, self.method, self.path = verb, method, path
        self.query = query or {}
        self.body = body
        self.ctype = ctype
        self.accept = accept

    def url(self):
        if not self.query:
            return self.path
        return self.path + "?" + urllib.parse.urlencode(self.query)

    def describe(self):
        b = (self.body or b"")[:200]
        return "%s %s [%s] %r" % (self.method, self.url()[:300], self.ctype,
                                  b)


class Mutator:
    """Mutations of JSON values and of their text."""

    def __init__(self, rng):
        self.rng = rng

    def value(self):
        r = self.rng
        c = r.random()
        if c < 0.4:
            return copy.deepcopy(r.choice(WEIRD_VALUES))
        if c < 0.8:
            return r.choice(WEIRD_STRINGS)
        return r.randint(-10, 10)

    def paths(self, o, prefix=()):
        yield prefix
        if isinstance(o, dict):
            for k, v in o.items():
                yield from self.paths(v, prefix + (k,))
        elif isinstance(o, list):
            for i, v in enumerate(o):
                yield from self.paths(v, prefix + (i,))

    def mutate(self, o, rounds=None):
        r = self.rng
        o = copy.deepcopy(o)
        for _ in range(rounds or r.randint(1, 4)):
            paths = list(self.paths(o))
            p = r.choice(paths)
            if not p:
                continue
            parent = o
            for k in p[:-1]:
                parent = parent[k]
            k = p[-1]
            c = r.random()
            if c < 0.35:
                parent[k] = self.value()
            elif c < 0.55:
                del parent[k]
            elif c < 0.7 and isinstance(parent, dict):
                parent[r.choice(WEIRD_STRINGS) or "k"] = self.value()
            elif c < 0.8:
                parent[k] = [parent[k]] * r.randint(0, 3)
            elif c < 0.9:
                parent[k] = {"x": parent[k]}
            else:
                deep = parent[k]
                for _ in range(r.choice([10, 60, 70, 200])):
                    deep = [deep]
                parent[k] = deep
        return o

    def text(self, data):
        """Byte-level damage to a serialized body."""
        r = self.rng
        b = bytearray(data)
        c = r.random()
        if c < 0.2 and b:
            del b[r.randrange(len(b)):]
        elif c < 0.4 and b:
            for _ in range(r.randint(1, 5)):
                b[r.randrange(len(b))] = r.randrange(256)
        elif c < 0.5:
            b += r.choice([b",", b"}", b"]", b" //c", b"\x00", b"{}"])
        elif c < 0.6 and b:
            i = r.randrange(len(b))
            b[i:i] = r.choice([b"NaN", b"Infinity", b"/*c*/", b"\"k\":1,",
                               b"\xff\xfe", b"\\ud800", b"1e99999"])
        elif c < 0.7:
            b = bytearray(data.replace(b"{", b"{\"metadata\":{},", 1))
        elif c < 0.75:
            b = bytearray(b"[" * r.choice([100, 10000, 100000]))
        elif c < 0.8:
            b = bytearray(b"{\"a\":\"" + b"x" * r.choice([10 ** 5, 4 * 10 ** 6])
                          + b"\"}")
        return bytes(b)


class Generator:
    def __init__(self, rng):
        self.rng = rng
        self.m = Mutator(rng)

    def name(self):
        r = self.rng
        if r.random() < 0.9:
            return "fz-%d" % r.randint(0, 30)
        return urllib.parse.quote((r.choice(WEIRD_STRINGS) or "x").encode(
            "utf-8", "surrogatepass"), safe="")

    def query(self, verb):
        r = self.rng
        q = {}
        choices = {
            "limit": lambda: str(r.choice([0, 1, 2, 5, 500, -1, 2 ** 31,
                                           "x", ""])),
            "continue": lambda: issued_token(r) if r.random() < 0.7 and
            ISSUED else r.choice(["", "abc", base64.b64encode(
                json.dumps({"v": "meta.k8s.io/v1", "rv": r.randint(-1, 99),
                            "start": "x"}).encode()).decode()]),
            "resourceVersion": lambda: str(r.choice([0, 1, "", "x", -1,
                                                     r.randint(1, 500)])),
            "resourceVersionMatch": lambda: r.choice(["NotOlderThan",
                                                      "Exact", "x", ""]),
            "labelSelector": lambda: r.choice([
                "fuzz=1", "app in (a,b)", "!x", "a!=b", "=", "a in (",
                "x" * 300, "fuzz", "app notin (fz-1)", ""]),
            "fieldSelector": lambda: r.choice([
                "metadata.name=fz-1", "metadata.namespace!=fz1",
                "spec.nodeName=n1", "status.phase=Running", "x", "=",
                "metadata.name==a,metadata.name!=b", ""]),
            "fieldValidation": lambda: r.choice(["Strict", "Warn", "Ignore",
                                                 "x", ""]),
            "dryRun": lambda: r.choice(["All", "x", ""]),
            "timeoutSeconds": lambda: str(r.choice([0, 1, 2, -1, "x"])),
            "propagationPolicy": lambda: r.choice(["Foreground",
                                                   "Background", "Orphan",
                                                   "x"]),
            "gracePeriodSeconds": lambda: str(r.choice([0, 30, -1, "x"])),
            "fieldManager": lambda: r.choice(["fuzz", "x" * 200, ""]),
            "pretty": lambda: r.choice(["true", "false"]),
            "allowWatchBookmarks": lambda: r.choice(["true", "1", ""]),
            "sendInitialEvents": lambda: r.choice(["true", "false"]),
        }
        for k in r.sample(sorted(choices), r.randint(0, 4)):
            q[k] = choices[k]()
        if verb == "watch":
            q["watch"] = r.choice(["true", "1", "True"])
            q["timeoutSeconds"] = str(r.randint(1, 2))
        return q

    def request(self):
        r = self.rng
        plural = r.choice(sorted(KINDS))
        prefix, namespaced, make, has_status = KINDS[plural]
        ns = r.choice(NAMESPACES) if namespaced else None
        base = prefix + ("/namespaces/%s" % ns if ns else "") + "/" + plural
        name = self.name()
        body = make(name, ns)
        # Watches last their timeoutSeconds: rarer, so they do not
        # take most of the workers' time.
        verb = r.choice(["create", "create", "update", "patch", "patch",
                         "get", "list", "list", "delete",
                         "deletecollection", "status"] +
                        (["watch"] if r.random() < 0.3 else []))
        q = self.query(verb)
        item = base + "/" + name
        js = "application/json"

        def enc(o):
            return json.dumps(o).encode()

        mutate = r.random() < 0.4
        if mutate and verb in ("create", "update", "status"):
            body = self.m.mutate(body)
        if verb == "create":
            if plural in PROTOBUF_KINDS and r.random() < 0.15:
                return Req(verb, "POST", base, q, self.damage(
                    protobuf_body(plural, name, ns)),
                    "application/vnd.kubernetes.protobuf")
            data = enc(body)
            return Req(verb, "POST", base, q, self.damage(data), js)
        if verb in ("update", "status"):
            data = enc(body)
            path = item + ("/status" if verb == "status" and has_status
                           else "")
            return Req(verb, "PUT", path, q, self.damage(data), js)
        if verb == "patch":
            return self.patch(item, q, has_status)
        if verb == "get":
            return Req(verb, "GET", item, q, accept=self.accept())
        if verb in ("list", "watch"):
            return Req(verb, "GET", base, q, accept=self.accept())
        opts = {"kind": "DeleteOptions", "apiVersion": "v1",
                "propagationPolicy": r.choice(["Background", "Foreground",
                                               "Orphan"])}
        if r.random() < 0.3:
            opts["preconditions"] = {"uid": "x"}
        if mutate:
            opts = self.m.mutate(opts)
        data = self.damage(enc(opts)) if r.random() < 0.7 else None
        if verb == "delete":
            return Req(verb, "DELETE", item, q, data, js if data else None)
        # Namespaces hold what the others write: a selector such as "!x"
        # would end every namespace, and with them most of the run.
        if plural == "namespaces" or ("labelSelector" not in q and
                                      r.random() < 0.8):
            q["labelSelector"] = "fuzz=1,app=" + self.name()
        return Req(verb, "DELETE", base, q, data, js if data else None)

    def patch(self, item, q, has_status):
        r = self.rng
        path = item + ("/status" if has_status and r.random() < 0.2 else "")
        kind = r.choice(["merge", "json", "strategic"])
        if kind == "merge":
            p = {"metadata": {"labels": {"p": "1", "app": None}},
                 "spec": {"replicas": 2}, "data": {"k": None, "n": "v"}}
            ct = "application/merge-patch+json"
        elif kind == "strategic":
            p = {"metadata": {"labels": {"p": "1"}}, "spec": {"template": {
                "spec": {"containers": [{"name": "c", "image": "x:2"},
                                        {"name": "d", "$patch": "delete"}],
                         "$setElementOrder/containers": [{"name": "c"}]}}}}
            ct = "application/strategic-merge-patch+json"
        else:
            p = [{"op": "add", "path": "/metadata/labels/p", "value": "1"},
                 {"op": "test", "path": "/metadata/name", "value": "x"},
                 {"op": r.choice(["remove", "replace", "move", "copy"]),
                  "from": "/metadata/labels", "path": "/metadata/annotations",
                  "value": {}}]
            ct = "application/json-patch+json"
        if r.random() < 0.6:
            p = self.m.mutate(p)
        if r.random() < 0.1:
            ct = r.choice(["application/apply-patch+yaml", "text/plain",
                           "application/json", ""])
        return Req("patch", "PATCH", path, q, self.damage(
            json.dumps(p).encode()), ct)

    def damage(self, data):
        return self.m.text(data) if self.rng.random() < 0.25 else data

    def accept(self):
        return self.rng.choice([
            None, "application/json",
            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
            "application/vnd.kubernetes.protobuf", "text/html", "*/*",
            "application/yaml"])


# ------------------------------------------------------------- checking
class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.codes = collections.Counter()
        self.verbs = collections.Counter()
        self.requests = 0
        self.too_large_rv = 0  # kube's own 504s, see kube_5xx
        self.violations = []
        self.show = set()  # codes to print samples of (--show)
        self.samples = collections.defaultdict(list)

    def violation(self, what, req=None):
        with self.lock:
            if len(self.violations) < 200:
                self.violations.append(what + (": " + req.describe()
                                               if req else ""))

    def answered(self, req, code, body):
        with self.lock:
            self.requests += 1
            self.codes[code] += 1
            self.verbs[req.verb] += 1
            if code in self.show and len(self.samples[code]) < 3:
                self.samples[code].append("%s -> %r" % (req.describe(),
                                                        body[:300]))


def parse_json(body):
    """body as JSON, or None; invalid UTF-8 makes it None too (the server
    replaces what it decoded with U+FFFD, as Go does)."""
    try:
        return json.loads(body)
    except ValueError:
        return None


TOO_LARGE_RV = re.compile(r"^Timeout: Too large resource version: (\d+), "
                          r"current: (\d+)$")


def kube_5xx(req, code, body):
    """True for the one 5xx kube-apiserver answers by design to a good
    request: a read at a resourceVersion the store has not reached yet is
    504 Timeout, cause ResourceVersionTooLarge, retry after a second
    (storage.NewTooLargeResourceVersionError), not an error of ours."""
    if body.startswith(b"k8s\x00"):  # the same Status in protobuf
        return (code == 504 and req.method == "GET" and
                b"ResourceVersionTooLarge" in body and b"Timeout" in body)
    s = parse_json(body)
    if code != 504 or req.method != "GET" or \
            "resourceVersion" not in req.query or not isinstance(s, dict):
        return False
    details = s.get("details") if isinstance(s.get("details"), dict) else {}
    m = TOO_LARGE_RV.match(str(s.get("message", "")))
    return (s.get("kind") == "Status" and s.get("code") == 504 and
            s.get("reason") == "Timeout" and m is not None and
            int(m.group(1)) > int(m.group(2)) and
            details.get("retryAfterSeconds") == 1 and
            details.get("causes") == [{"reason": "ResourceVersionTooLarge",
                                       "message": "Too large resource "
                                                  "version"}])


def check_status_body(code, body, ctype, stats):
    """A 4xx must carry a Status with that code (in protobuf when the
    client asked for it: the "k8s\\0" envelope of a v1 Status)."""
    if ctype.startswith("application/vnd.kubernetes.protobuf"):
        if not body.startswith(b"k8s\x00") or b"Status" not in body[:40]:
            return "a %d whose protobuf body is not a Status: %r" % (
                code, body[:200])
        return None
    s = parse_json(body)
    if s is None:
        return "a %d whose body is not JSON (%s): %r" % (code, ctype,
                                                         body[:200])
    if not isinstance(s, dict) or s.get("kind") != "Status":
        return "a %d whose body is not a Status: %r" % (code, body[:200])
    if s.get("code") != code:
        return "a %d whose Status says code %r" % (code, s.get("code"))
    if s.get("status") != "Failure":
        return "a %d whose Status is not a Failure" % code
    return None


class Worker(threading.Thread):
    def __init__(self, server, stats, seed, deadline):
        super().__init__(daemon=True)
        self.server, self.stats, self.deadline = server, stats, deadline
        self.rng = random.Random(seed)
        self.gen = Generator(self.rng)
        self.conn = None

    def headers(self, req):
        h = {}
        if self.server.token:
            h["Authorization"] = "Bearer " + self.server.token
        if req.ctype:
            h["Content-Type"] = req.ctype
        if req.accept:
            h["Accept"] = req.accept
        return h

    def send(self, req):
        limit = HANG_SECONDS
        if req.verb == "watch":
            limit += int(req.query.get("timeoutSeconds", "0") or 0)
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = self.server.connection(limit)
            self.conn.timeout = limit
            if self.conn.sock is not None:
                self.conn.sock.settimeout(limit)
            start = time.time()
            try:
                self.conn.request(req.method, req.url(), body=req.body,
                                  headers=self.headers(req))
                resp = self.conn.getresponse()
                body = resp.read()
            except socket.timeout:
                self.stats.violation("hang (no answer in %d s)" % limit, req)
                self.reset()
                return None
            except (http.client.RemoteDisconnected, ConnectionResetError,
                    BrokenPipeError) as e:
                self.reset()
                # A keep-alive connection the server closed while idle is
                # fair; a second failure on a fresh one is not.
                if attempt == 0 and time.time() - start < 1:
                    continue
                self.stats.violation("connection dropped (%s)" %
                                     type(e).__name__, req)
                return None
            except (http.client.HTTPException, OSError) as e:
                self.reset()
                self.stats.violation("transport error %r" % e, req)
                return None
            if resp.getheader("Connection", "").lower() == "close":
                self.reset()
            return resp.status, body, resp.getheader("Content-Type", "")
        return None

    def reset(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def judge(self, req, code, body, ctype):
        self.stats.answered(req, code, body)
        if code >= 500:
            if not kube_5xx(req, code, body):
                self.stats.violation("a %d: %r" % (code, body[:300]), req)
                return
            with self.stats.lock:
                self.stats.too_large_rv += 1
        elif code >= 400:
            bad = check_status_body(code, body, ctype, self.stats)
            if bad:
                self.stats.violation(bad, req)
        elif code < 200 or code >= 300:
            self.stats.violation("an unexpected %d" % code, req)
        elif req.verb != "watch" and "json" in ctype:
            o = parse_json(body)
            token = o.get("metadata", {}).get("continue") \
                if isinstance(o, dict) and isinstance(o.get("metadata"),
                                                      dict) else None
            if isinstance(token, str) and token:
                with ISSUED_LOCK:
                    if len(ISSUED) < 1000:
                        ISSUED.add(token)
            if o is None:
                self.stats.violation("a %d with a body that is not JSON "
                                     "(%s): %r" % (code, ctype, body[:200]),
                                     req)

    def run(self):
        while time.time() < self.deadline and self.server.alive():
            req = self.gen.request()
            got = self.send(req)
            if got is not None:
                self.judge(req, *got)
        self.reset()


class RawAbuser(threading.Thread):
    """Malformed and slow HTTP on raw sockets, and idle connection floods;
    the workers' requests keep being answered meanwhile."""

    def __init__(self, server, stats, seed, deadline, flood):
        super().__init__(daemon=True)
        self.server, self.stats, self.deadline = server, stats, deadline
        self.rng = random.Random(seed)
        self.flood = flood
        self.sent = collections.Counter()

    def auth(self):
        t = self.server.token
        return ("Authorization: Bearer %s\r\n" % t) if t else ""

    def one(self):
        r = self.rng
        kind = r.choice(["short_body", "garbage", "cut", "slow_headers",
                         "huge_header", "bad_length", "flood"])
        self.sent[kind] += 1
        host = "Host: %s:%d\r\n" % (self.server.host, self.server.port)
        try:
            s = self.server.raw_socket(10)
        except OSError as e:
            self.stats.violation("raw connect failed: %r" % e)
            return
        try:
            if kind == "short_body":
                s.sendall(("POST /api/v1/namespaces/default/configmaps "
                           "HTTP/1.1\r\n%s%sContent-Type: application/json"
                           "\r\nContent-Length: 1000\r\n\r\n{\"a\":" %
                           (host, self.auth())).encode())
            elif kind == "garbage":
                s.sendall(bytes(r.randrange(256) for _ in
                                range(r.randint(1, 2000))))
            elif kind == "cut":
                s.sendall(("GET /api/v1/namespaces/default/pods HTTP/1.1\r\n"
                           "%sAccept: appl" % host).encode())
            elif kind == "slow_headers":
                line = ("GET /api/v1/namespaces HTTP/1.1\r\n%s%s\r\n" %
                        (host, self.auth())).encode()
                for i in range(0, len(line), 7):
                    s.sendall(line[i:i + 7])
                    time.sleep(0.05)
                s.settimeout(HANG_SECONDS)
                got = s.recv(16)
                if not got.startswith(b"HTTP/1.1 200"):
                    self.stats.violation("slow request answered %r" % got)
            elif kind == "huge_header":
                s.sendall(("GET /api/v1/namespaces HTTP/1.1\r\n%sX-A: %s\r\n"
                           "\r\n" % (host, "a" * 200000)).encode())
            elif kind == "bad_length":
                s.sendall(("POST /api/v1/namespaces HTTP/1.1\r\n%s"
                           "Content-Length: -5\r\n\r\n" % host).encode())
            elif kind == "flood":
                self.idle_flood()
        except (OSError, ssl.SSLError):
            pass  # the server may close on us: that is its right here
        finally:
            s.close()

    def idle_flood(self):
        socks = []
        try:
            for _ in range(self.flood):
                try:
                    socks.append(self.server.raw_socket(10))
                except OSError:
                    break
            c = self.server.connection()
            start = time.time()
            try:
                h = {"Authorization": "Bearer " + self.server.token} \
                    if self.server.token else {}
                c.request("GET", "/api/v1/namespaces", headers=h)
                code = c.getresponse().status
                if code != 200:
                    self.stats.violation("under %d idle connections GET "
                                         "namespaces gave %d" %
                                         (len(socks), code))
            except (OSError, http.client.HTTPException) as e:
                self.stats.violation("under %d idle connections GET "
                                     "namespaces failed after %.1f s: %r" %
                                     (len(socks), time.time() - start, e))
            finally:
                c.close()
        finally:
            for s in socks:
                s.close()

    def run(self):
        while time.time() < self.deadline and self.server.alive():
            self.one()
            time.sleep(self.rng.uniform(0, 0.3))


def setup_objects(server):
    """The namespaces and the custom resource definition requests use."""
    c = server.connection()
    h = {"Content-Type": "application/json"}
    if server.token:
        h["Authorization"] = "Bearer " + server.token
    for ns in NAMESPACES[1:]:
        c.request("POST", "/api/v1/namespaces", json.dumps(
            {"apiVersion": "v1", "kind": "Namespace",
             "metadata": {"name": ns}}), h)
        c.getresponse().read()
    c.request("POST", "/apis/apiextensions.k8s.io/v1/"
              "customresourcedefinitions", json.dumps(WIDGET_CRD), h)
    code = c.getresponse().status
    c.close()
    if code != 201:
        raise SystemExit("could not create the Widget CRD: %d" % code)
    time.sleep(1)  # the new type is served once registered


# Requests that once went wrong, with the answer they must get, sent before
# the fuzzing starts: (what, method, path, body, code).
PROBES = [
    ("a NUL in a name is not the collection (deleted everything)",
     "DELETE", "/api/v1/namespaces/default/configmaps/%00", None, 404),
    ("... and the configmap is still there",
     "GET", "/api/v1/namespaces/default/configmaps/probe", None, 200),
    ("an unclosed body is a 400",
     "POST", "/api/v1/namespaces/default/configmaps", b"[[[[[[[[[[[1e1",
     400),
]


def probes(server, stats):
    c = server.connection()
    h = {"Content-Type": "application/json"}
    if server.token:
        h["Authorization"] = "Bearer " + server.token
    c.request("POST", "/api/v1/namespaces/default/configmaps", json.dumps(
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "probe"}}), h)
    c.getresponse().read()
    for what, method, path, body, want in PROBES:
        c.request(method, path, body, h)
        resp = c.getresponse()
        resp.read()
        if resp.status != want:
            stats.violation("probe %r: %s %s answered %d, want %d" %
                            (what, method, path, resp.status, want))
    c.close()


def kubectl():
    for k in ("kubectl.1.32", "kubectl"):
        p = shutil.which(k)
        if p:
            return p
    return None


def list_everything(server, stats):
    """Every listable resource still lists, and parses as kubectl and the
    Python client read it."""
    k = kubectl()
    if k is None:
        stats.violation("kubectl is not installed")
        return 0
    base = [k, "--kubeconfig", server.kubeconfig, "--cache-dir",
            os.path.join(server.tmp, "kcache"), "--request-timeout=60s"]
    out = subprocess.run(base + ["api-resources", "--verbs=list", "-o",
                                 "name"], capture_output=True, text=True,
                         timeout=120)
    if out.returncode != 0:
        stats.violation("kubectl api-resources: " + out.stderr[-500:])
        return 0
    names = [n for n in out.stdout.split() if n]
    out = subprocess.run(base + ["get", ",".join(names), "-A", "-o",
                                 "json"], capture_output=True, text=True,
                         timeout=300)
    if out.returncode != 0:
        stats.violation("kubectl get everything: " + out.stderr[-500:])
        return 0
    try:
        items = json.loads(out.stdout)["items"]
    except (ValueError, KeyError) as e:
        stats.violation("kubectl get -o json does not parse: %r" % e)
        return 0
    try:
        import kubernetes
        api = kubernetes.client.ApiClient(
            kubernetes.config.new_client_from_config(
                server.kubeconfig).configuration)
        core = kubernetes.client.CoreV1Api(api)
        apps = kubernetes.client.AppsV1Api(api)
        for resource, f in (
                ("namespaces", core.list_namespace),
                ("nodes", core.list_node),
                ("pods", core.list_pod_for_all_namespaces),
                ("configmaps", core.list_config_map_for_all_namespaces),
                ("secrets", core.list_secret_for_all_namespaces),
                ("services", core.list_service_for_all_namespaces),
                ("events", core.list_event_for_all_namespaces),
                ("deployments.apps",
                 apps.list_deployment_for_all_namespaces),
                ("replicasets.apps",
                 apps.list_replica_set_for_all_namespaces)):
            if resource in names:
                f(_request_timeout=60)
    except ImportError:
        stats.violation("python3-kubernetes is not installed")
    except Exception as e:  # the client's errors have no common base
        stats.violation("the Python client could not list: %r" %
                        str(e)[:500])
    return len(items)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--rss-limit-mb", type=int, default=None,
                    help="default 512, 1536 under ASan")
    ap.add_argument("--show", type=int, action="append", default=[],
                    help="print sample requests answered with this code")
    ap.add_argument("--flood", type=int, default=300,
                    help="idle connections per flood")
    args = ap.parse_args()
    build = os.environ.get("B", "build/release")
    if not os.path.isabs(build):
        build = os.path.join(ROOT, build)
    asan = "asan" in os.environ.get("VARIANT", "") or build.endswith("asan")
    rss_limit = args.rss_limit_mb or (1536 if asan else 512)
    seed = args.seed if args.seed is not None else int(time.time())
    os.environ.setdefault("ASAN_OPTIONS",
                          "detect_leaks=1:abort_on_error=1:halt_on_error=1")
    tmp = tempfile.mkdtemp(prefix="cplane-reqfuzz-")
    os.chmod(tmp, 0o755)
    server = None
    try:
        server = Server(build, tmp)
        setup_objects(server)
        stats = Stats()
        stats.show = set(args.show)
        probes(server, stats)
        start = time.time()
        deadline = start + args.seconds
        threads = [Worker(server, stats, seed + i, deadline)
                   for i in range(args.workers)]
        abuser = RawAbuser(server, stats, seed - 1, deadline, args.flood)
        threads.append(abuser)
        for t in threads:
            t.start()
        over = False
        while any(t.is_alive() for t in threads):
            kb = server.rss_kb()
            if kb > rss_limit * 1024 and not over:
                over = True
                stats.violation("server RSS %d MiB over the %d MiB bound" %
                                (kb // 1024, rss_limit))
            if not server.alive():
                break
            time.sleep(0.5)
        for t in threads:
            t.join(HANG_SECONDS * 3)
            if t.is_alive():
                stats.violation("a client thread never finished (hang)")
        elapsed = time.time() - start
        if not server.alive():
            stats.violation("the server died (exit %s)" % server.proc.poll())
            listed = 0
        else:
            listed = list_everything(server, stats)
        rc = server.stop() if server.alive() else server.proc.poll()
        if rc != 0:
            stats.violation("the server's exit status after SIGTERM: %s" %
                            rc)
        print("request fuzzer: seed %d, %.0f s, %d workers" %
              (seed, elapsed, args.workers))
        print("  requests answered: %d (%.0f/s)" %
              (stats.requests, stats.requests / max(elapsed, 1)))
        print("  by verb: " + ", ".join("%s %d" % kv for kv in
                                        sorted(stats.verbs.items())))
        print("  status histogram: " + ", ".join(
            "%d: %d" % kv for kv in sorted(stats.codes.items())))
        print("  5xx: %d (of which kube's 504 for a resourceVersion not "
              "reached yet: %d)" % (sum(v for c, v in stats.codes.items()
                                        if c >= 500), stats.too_large_rv))
        print("  raw abuse: " + ", ".join("%s %d" % kv for kv in
                                          sorted(abuser.sent.items())))
        print("  hangs: %d, drops: %d" % (
            sum("hang" in v for v in stats.violations),
            sum("dropped" in v for v in stats.violations)))
        print("  peak RSS: %d MiB (bound %d MiB)" %
              (server.peak_rss_kb // 1024, rss_limit))
        print("  listed afterwards: %d objects" % listed)
        for code in sorted(stats.samples):
            for sample in stats.samples[code]:
                print("  sample %d: %s" % (code, sample))
        if stats.violations:
            print("VIOLATIONS (%d):" % len(stats.violations))
            for v in stats.violations[:50]:
                print("  " + v)
            log = server.read_log().decode(errors="replace")
            print("--- server log (tail):\n" + log[-4000:])
            return 1
        print("request fuzzer: ok")
        return 0
    finally:
        if server is not None and server.alive():
            server.proc.kill()
        if not os.environ.get("KEEP_TMP"):
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
