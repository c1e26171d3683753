#!/usr/bin/env python3
"""Writes host/apiserver/schemas/kinds_core.json: the OpenAPI v3
definitions of the core kinds of issue #13 (core/v1 Service, Endpoints,
ServiceAccount, PersistentVolume, PersistentVolumeClaim, ResourceQuota,
LimitRange, PodTemplate, ReplicationController; discovery.k8s.io/v1
EndpointSlice; events.k8s.io/v1 Event), derived from k8s.io/api's Go
types the way kube's openapi-gen derives /openapi/v3 from them: a field
is required when its json tag has no omitempty and it is not marked
+optional; +listType/+listMapKey become x-kubernetes-list-type/-map-keys;
patchStrategy/patchMergeKey tags become x-kubernetes-patch-*; +default=
markers become defaults (openapi-gen's zero-value defaults are left out:
kube's built-in kinds never apply them, so neither may we). Descriptions
are left out.

Definitions another schema file holds (meta.json, core.json) are referred
to by $ref and never defined here, so no name is defined twice.

Run: python3 tools/gen_kinds_core.py /path/to/k8s.io/api \
       > host/apiserver/schemas/kinds_core.json
"""
import json
import os
import re
import sys

ROOTS = [
    ("core/v1", "", "v1", ["Service", "Endpoints", "ServiceAccount",
                           "PersistentVolume", "PersistentVolumeClaim",
                           "ResourceQuota", "LimitRange", "PodTemplate",
                           "ReplicationController"]),
    ("discovery/v1", "discovery.k8s.io", "v1", ["EndpointSlice"]),
    ("events/v1", "events.k8s.io", "v1", ["Event"]),
]
PKG_PREFIX = {"core/v1": "io.k8s.api.core.v1.",
              "discovery/v1": "io.k8s.api.discovery.v1.",
              "events/v1": "io.k8s.api.events.v1."}
IMPORT_PKG = {"v1": "core/v1", "corev1": "core/v1"}
META = "io.k8s.apimachinery.pkg.apis.meta.v1."

S = {"type": "string"}
QTY = {"format": "quantity"}
EXTERNAL = {
    "metav1.ObjectMeta": {"$ref": "#/components/schemas/" + META + "ObjectMeta"},
    "metav1.LabelSelector": {"$ref": "#/components/schemas/" + META +
                             "LabelSelector"},
    "metav1.ListMeta": {"type": "object",
                        "x-kubernetes-preserve-unknown-fields": True},
    "metav1.Time": {"type": "string", "format": "date-time"},
    "metav1.MicroTime": {"type": "string", "format": "date-time"},
    "metav1.Duration": S,
    "intstr.IntOrString": {"x-kubernetes-int-or-string": True},
    "resource.Quantity": QTY,
    "types.UID": S,
    # meta/v1 Condition, inline: no schema file defines it by name.
    "metav1.Condition": {
        "type": "object",
        "properties": {
            "type": S, "status": S, "reason": S, "message": S,
            "observedGeneration": {"type": "integer", "format": "int64"},
            "lastTransitionTime": {"type": "string", "format": "date-time"}},
        "required": ["type", "status", "lastTransitionTime", "reason",
                     "message"]},
}
SCALARS = {"string": S, "bool": {"type": "boolean"},
           "int32": {"type": "integer", "format": "int32"},
           "int64": {"type": "integer", "format": "int64"},
           "int": {"type": "integer"},
           "float64": {"type": "number", "format": "double"},
           "byte": {"type": "string", "format": "byte"}}


def load(api, pkg):
    """Structs, named types and string constants of one package."""
    structs, named, consts = {}, {}, {}
    d = os.path.join(api, pkg)
    for f in sorted(os.listdir(d)):
        if not f.endswith(".go") or f.endswith("_test.go") or \
                f.startswith("zz_") or f.startswith("generated"):
            continue
        src = open(os.path.join(d, f)).read()
        for m in re.finditer(r"^type (\w+) struct \{\n(.*?)^\}", src,
                             re.M | re.S):
            structs[m.group(1)] = m.group(2)
        for m in re.finditer(r"^type (\w+) ([\w.\[\]*]+)\s*$", src, re.M):
            named[m.group(1)] = m.group(2)
        for m in re.finditer(r'^\s*(\w+)\s+\w+\s*=\s*"([^"]*)"', src, re.M):
            consts[m.group(1)] = m.group(2)
    return structs, named, consts


class Gen:
    def __init__(self, api, existing):
        self.api = api
        self.pkgs = {}
        self.defs = {}
        self.existing = existing

    def pkg(self, p):
        if p not in self.pkgs:
            self.pkgs[p] = load(self.api, p)
        return self.pkgs[p]

    def type_schema(self, pkg, t):
        if t.startswith("*"):
            return self.type_schema(pkg, t[1:])
        if t == "[]byte":
            return {"type": "string", "format": "byte"}
        if t.startswith("[]"):
            return {"type": "array", "items": self.type_schema(pkg, t[2:])}
        m = re.match(r"map\[([\w.]+)\](.+)", t)
        if m:
            return {"type": "object",
                    "additionalProperties": self.type_schema(pkg, m.group(2))}
        if t in EXTERNAL:
            return json.loads(json.dumps(EXTERNAL[t]))
        if t in SCALARS:
            return dict(SCALARS[t])
        if "." in t:
            alias, name = t.split(".", 1)
            return self.type_schema(IMPORT_PKG[alias], name)
        structs, named, _ = self.pkg(pkg)
        if t in structs:
            name = PKG_PREFIX[pkg] + t
            if name not in self.defs and name not in self.existing:
                self.defs[name] = None  # cycle guard
                self.defs[name] = self.struct_schema(pkg, t)
            return {"$ref": "#/components/schemas/" + name}
        if t in named:
            return self.type_schema(pkg, named[t])
        raise SystemExit("unknown type %s in %s" % (t, pkg))

    def default(self, pkg, v):
        m = re.match(r"ref\((\w+)\)", v)
        if m:
            return self.pkg(pkg)[2][m.group(1)]
        return json.loads(v)

    def struct_schema(self, pkg, t):
        body = self.pkg(pkg)[0][t]
        props, required, markers = {}, [], []
        out = {"type": "object", "properties": props}
        for line in body.split("\n"):
            s = line.strip()
            if s.startswith("//"):
                markers.append(s[2:].strip())
                continue
            if not s:
                markers = []
                continue
            m = re.match(r"(?:(\w+)\s+)?([\w.\[\]*]+(?:\[[\w.]+\][\w.*\[\]]+)?)"
                         r"\s+`(.*)`", s)
            if not m:
                markers = []
                continue
            tags = dict(re.findall(r'(\w+):"([^"]*)"', m.group(3)))
            jname, _, opts = tags.get("json", "").partition(",")
            if jname == "-":
                markers = []
                continue
            if m.group(2) == "metav1.TypeMeta":
                props["apiVersion"] = dict(S)
                props["kind"] = dict(S)
                markers = []
                continue
            if "inline" in opts or (m.group(1) is None and not jname):
                ipkg, it = pkg, m.group(2).lstrip("*")
                if "." in it:
                    alias, it = it.split(".", 1)
                    ipkg = IMPORT_PKG[alias]
                inl = self.struct_schema(ipkg, it)
                props.update(inl["properties"])
                required += inl.get("required", [])
                markers = []
                continue
            fs = self.type_schema(pkg, m.group(2))
            mk = {}
            for k in markers:
                km = re.match(r"\+([\w-]+)=(.*)", k)
                if km:
                    mk.setdefault(km.group(1), []).append(km.group(2))
                elif k.startswith("+"):
                    mk.setdefault(k[1:], [])
            if "listType" in mk:
                fs["x-kubernetes-list-type"] = mk["listType"][0]
            if "listMapKey" in mk:
                fs["x-kubernetes-list-map-keys"] = mk["listMapKey"]
            if "mapType" in mk:
                fs["x-kubernetes-map-type"] = mk["mapType"][0]
            if "patchMergeKey" in tags:
                fs["x-kubernetes-patch-merge-key"] = tags["patchMergeKey"]
            if "patchStrategy" in tags:
                fs["x-kubernetes-patch-strategy"] = tags["patchStrategy"]
            if "default" in mk:
                v = self.default(pkg, mk["default"][0])
                # A zero value on a non-pointer omitempty field is what
                # the field has anyway: kube never prints it.
                if v or m.group(2).startswith("*"):
                    fs["default"] = v
            if "$ref" in fs and len(fs) > 1:
                r = fs.pop("$ref")
                fs["allOf"] = [{"$ref": r}]
            props[jname] = fs
            if "omitempty" not in opts and "optional" not in mk and \
                    "k8s:optional" not in mk:
                required.append(jname)
            markers = []
        if required:
            out["required"] = required
        return out


def main():
    api = sys.argv[1]
    here = os.path.join(os.path.dirname(__file__), "..", "host", "apiserver",
                        "schemas")
    existing = set()
    for f in ("meta.json", "core.json", "apps.json", "other.json"):
        existing |= set(json.load(open(os.path.join(here, f)))
                        ["components"]["schemas"])
    g = Gen(api, existing)
    for pkg, group, version, kinds in ROOTS:
        for k in kinds:
            g.type_schema(pkg, k)
            d = g.defs[PKG_PREFIX[pkg] + k]
            d["x-kubernetes-group-version-kind"] = [
                {"group": group, "version": version, "kind": k}]
            d.pop("required", None)  # metadata etc.: never required
    json.dump({"components": {"schemas": g.defs}}, sys.stdout, indent=1,
              sort_keys=True)
    sys.stdout.write("\n")


main()
