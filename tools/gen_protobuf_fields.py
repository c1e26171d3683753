#!/usr/bin/env python3
"""Generates host/apiserver/protobuf_fields.c: the field-number table of
every message of the built-in API groups cplane serves, from kubernetes'
generated.proto files, plus what the proto files do not say and the Go
types do (which fields are pointers, omitempty, inlined into their parent
in JSON, or JSON-named differently), read from the same packages' *.go.

Usage: tools/gen_protobuf_fields.py [MIRROR_DIR [TAG]] > host/apiserver/protobuf_fields.c
MIRROR_DIR holds git mirrors named kubernetes+api, kubernetes+apimachinery,
kubernetes+kube-aggregator and kubernetes+apiextensions-apiserver (each
with a bare `repo`), as the `fetch` tool leaves them (default
/work/.mirror).
"""
import re
import subprocess
import sys

MIRROR = sys.argv[1] if len(sys.argv) > 1 else "/work/.mirror"
# The release the table follows (k8s.io/api, apimachinery,
# kube-aggregator and apiextensions-apiserver share their tags).
REF = sys.argv[2] if len(sys.argv) > 2 else "v0.34.9"

# (mirror, package dir, apiVersion or None for support packages)
PACKAGES = [
    ("kubernetes+apimachinery", "pkg/apis/meta/v1", None),
    ("kubernetes+apimachinery", "pkg/runtime", None),
    ("kubernetes+apimachinery", "pkg/runtime/schema", None),
    ("kubernetes+apimachinery", "pkg/api/resource", None),
    ("kubernetes+apimachinery", "pkg/util/intstr", None),
    ("kubernetes+api", "core/v1", "v1"),
    ("kubernetes+api", "apps/v1", "apps/v1"),
    ("kubernetes+api", "batch/v1", "batch/v1"),
    ("kubernetes+api", "policy/v1", "policy/v1"),
    ("kubernetes+api", "autoscaling/v1", "autoscaling/v1"),
    ("kubernetes+api", "autoscaling/v2", "autoscaling/v2"),
    ("kubernetes+api", "networking/v1", "networking.k8s.io/v1"),
    ("kubernetes+api", "rbac/v1", "rbac.authorization.k8s.io/v1"),
    ("kubernetes+api", "authorization/v1", "authorization.k8s.io/v1"),
    ("kubernetes+api", "storage/v1", "storage.k8s.io/v1"),
    ("kubernetes+api", "scheduling/v1", "scheduling.k8s.io/v1"),
    ("kubernetes+api", "node/v1", "node.k8s.io/v1"),
    ("kubernetes+api", "discovery/v1", "discovery.k8s.io/v1"),
    ("kubernetes+api", "events/v1", "events.k8s.io/v1"),
    ("kubernetes+api", "coordination/v1", "coordination.k8s.io/v1"),
    ("kubernetes+api", "admissionregistration/v1",
     "admissionregistration.k8s.io/v1"),
    ("kubernetes+api", "certificates/v1", "certificates.k8s.io/v1"),
    ("kubernetes+api", "authentication/v1", "authentication.k8s.io/v1"),
    ("kubernetes+kube-aggregator", "pkg/apis/apiregistration/v1",
     "apiregistration.k8s.io/v1"),
    ("kubernetes+apiextensions-apiserver", "pkg/apis/apiextensions/v1",
     "apiextensions.k8s.io/v1"),
]

# Kinds that have no XxxList but are sent or answered as objects.
EXTRA_KINDS = [
    ("v1", "Status", "k8s.io.apimachinery.pkg.apis.meta.v1.Status"),
    ("meta.k8s.io/v1", "Status", "k8s.io.apimachinery.pkg.apis.meta.v1.Status"),
    ("v1", "DeleteOptions",
     "k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions"),
    ("meta.k8s.io/v1", "DeleteOptions",
     "k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions"),
    ("v1", "Binding", "k8s.io.api.core.v1.Binding"),
    ("autoscaling/v1", "Scale", "k8s.io.api.autoscaling.v1.Scale"),
    ("policy/v1", "Eviction", "k8s.io.api.policy.v1.Eviction"),
    ("authentication.k8s.io/v1", "TokenRequest",
     "k8s.io.api.authentication.v1.TokenRequest"),
    ("authentication.k8s.io/v1", "TokenReview",
     "k8s.io.api.authentication.v1.TokenReview"),
    ("authentication.k8s.io/v1", "SelfSubjectReview",
     "k8s.io.api.authentication.v1.SelfSubjectReview"),
    # Access reviews: created and answered, never listed.
    ("authorization.k8s.io/v1", "SubjectAccessReview",
     "k8s.io.api.authorization.v1.SubjectAccessReview"),
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview",
     "k8s.io.api.authorization.v1.SelfSubjectAccessReview"),
    ("authorization.k8s.io/v1", "LocalSubjectAccessReview",
     "k8s.io.api.authorization.v1.LocalSubjectAccessReview"),
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview",
     "k8s.io.api.authorization.v1.SelfSubjectRulesReview"),
]

# Messages whose JSON is not an object of their fields.
SPECIAL = {
    "k8s.io.apimachinery.pkg.apis.meta.v1.Time": "TIME",
    "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime": "MICROTIME",
    "k8s.io.apimachinery.pkg.apis.meta.v1.Duration": "DURATION",
    "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1": "RAWJSON",
    "k8s.io.apimachinery.pkg.runtime.RawExtension": "RAWJSON",
    "k8s.io.apimachinery.pkg.api.resource.Quantity": "QUANTITY",
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString": "INTORSTRING",
    "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSON":
        "RAWJSON",
    "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1."
    "JSONSchemaPropsOrArray": "ORARRAY",
    "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1."
    "JSONSchemaPropsOrBool": "ORBOOL",
    "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1."
    "JSONSchemaPropsOrStringArray": "ORSTRINGARRAY",
}

SCALARS = {"string": "STRING", "bytes": "BYTES", "bool": "BOOL",
           "int32": "INT32", "int64": "INT64", "double": "DOUBLE"}


def git_show(mirror, path):
    return subprocess.run(
        ["git", "--git-dir=%s/%s/repo" % (MIRROR, mirror), "show",
         REF + ":" + path], check=True, capture_output=True,
        text=True).stdout


def git_ls(mirror, path):
    out = subprocess.run(
        ["git", "--git-dir=%s/%s/repo" % (MIRROR, mirror), "ls-tree",
         "--name-only", REF, path + "/"], check=True,
        capture_output=True, text=True).stdout
    return [p for p in out.split() if p.endswith(".go") and
            not p.endswith("_test.go") and "/zz_" not in p and
            not p.endswith("generated.pb.go")]


def git_head(mirror):
    return subprocess.run(
        ["git", "--git-dir=%s/%s/repo" % (MIRROR, mirror), "rev-parse",
         REF + "^{commit}"], check=True, capture_output=True,
        text=True).stdout.strip()


FIELD_RE = re.compile(
    r"^\s*(optional|repeated)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;")
MAP_RE = re.compile(
    r"^\s*map<\s*string\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)\s*;")
TAG_RE = re.compile(r'json:"([^"]*)"')
PB_RE = re.compile(r'protobuf:"[a-z0-9]+,(\d+),')


def parse_proto(text):
    """[(package, message, nullable, [(label, type, name, num, map)])]"""
    pkg = re.search(r"^package ([\w.]+);", text, re.M).group(1)
    msgs, cur, depth, nullable = [], None, 0, False
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("// +protobuf.nullable=true"):
            nullable = True
        if s.startswith("message ") and depth == 0:
            cur = (pkg, s.split()[1], nullable, [])
            msgs.append(cur)
            nullable = False
            depth = 1
            continue
        if s.startswith("//") or not s:
            continue
        if cur is None:
            nullable = False
            continue
        if s == "}":
            depth -= 1
            if depth == 0:
                cur = None
            continue
        m = FIELD_RE.match(line)
        if m:
            cur[3].append((m.group(1), m.group(2), m.group(3),
                           int(m.group(4)), False))
            continue
        m = MAP_RE.match(line)
        if m:
            cur[3].append(("map", m.group(1), m.group(2), int(m.group(3)),
                           True))
            continue
        raise SystemExit("unparsed in %s: %r" % (pkg, line))
    return pkg, msgs


def parse_go(text):
    """{(struct, num): (json name, pointer, omitempty, inline)}"""
    out, struct = {}, None
    for line in text.splitlines():
        m = re.match(r"^type (\w+) struct \{", line)
        if m:
            struct = m.group(1)
            continue
        if line.startswith("}"):
            struct = None
            continue
        if struct is None:
            continue
        pb = PB_RE.search(line)
        js = TAG_RE.search(line)
        if not pb:
            continue
        toks = line.split()
        gotype = toks[1] if not toks[1].startswith("`") else toks[0]
        if not js:  # a type with its own MarshalJSON: pointers still count
            out[(struct, int(pb.group(1)))] = (
                "", gotype.startswith("*"), True, False)
            continue
        parts = js.group(1).split(",")
        inline = parts[0] == "" and ("inline" in parts or js.group(1) == "")
        out[(struct, int(pb.group(1)))] = (
            parts[0], gotype.startswith("*"), "omitempty" in parts, inline)
    return out


def main():
    messages = {}  # full name -> (pkg, name, nullable, fields, gomap)
    order = []
    kinds = []
    heads = {}
    for mirror, path, api_version in PACKAGES:
        heads[mirror] = git_head(mirror)
        pkg, msgs = parse_proto(git_show(mirror, path + "/generated.proto"))
        gomap = {}
        for f in git_ls(mirror, path):
            gomap.update(parse_go(git_show(mirror, f)))
        for m in msgs:
            full = pkg + "." + m[1]
            messages[full] = (pkg, m[1], m[2], m[3], gomap)
            order.append(full)
        if api_version is None:
            continue
        for m in msgs:
            if not m[1].endswith("List"):
                continue
            items = [f for f in m[3] if f[2] == "items" and f[3] == 2]
            meta = [f for f in m[3] if f[2] == "metadata" and f[3] == 1]
            if not items or not meta or "ListMeta" not in meta[0][1] or \
                    "." in items[0][1]:
                continue
            item = items[0][1]
            kinds.append((api_version, item, pkg + "." + item))
            kinds.append((api_version, m[1], pkg + "." + m[1]))
    kinds += EXTRA_KINDS
    order.sort()
    index = {name: i for i, name in enumerate(order)}

    def resolve(pkg, t):
        if t.startswith("."):
            return t[1:]
        return pkg + "." + t

    p = print
    p("/* protobuf_fields - GENERATED by tools/gen_protobuf_fields.py; do not")
    p(" * edit. The field numbers of kubernetes' generated.proto files, with")
    p(" * what the Go types add (pointers, omitempty, inlined members), at")
    for mirror in sorted(heads):
        p(" *   %s %s" % (mirror.replace("+", "/"), heads[mirror]))
    p(" */")
    p('#include "apiserver/protobuf_fields.h"')
    p("")
    p("#include <stddef.h>")
    p("")
    for full in order:
        pkg, name, nullable, fields, gomap = messages[full]
        if not fields:
            continue
        p("static const struct cp_pb_field f%d[] = {" % index[full])
        for label, t, fname, num, is_map in sorted(fields, key=lambda f: f[3]):
            json, pointer, omitempty, inline = gomap.get(
                (name, num), (fname, False, True, False))
            if json == "":
                json = fname
            flags = []
            if label == "repeated":
                flags.append("CP_PB_REPEATED")
            if is_map:
                flags.append("CP_PB_MAP")
            if pointer:
                flags.append("CP_PB_POINTER")
            if omitempty:
                flags.append("CP_PB_OMITEMPTY")
            if inline:
                flags.append("CP_PB_INLINE")
            if t in SCALARS:
                typ, msg = "CP_PB_" + SCALARS[t], -1
            else:
                ref = resolve(pkg, t)
                if ref not in index:
                    raise SystemExit("%s.%s: unknown type %s" %
                                     (full, fname, ref))
                typ, msg = "CP_PB_MESSAGE", index[ref]
            p('    {"%s", %d, %s, %s, %d},' % (
                json, num, typ, " | ".join(flags) or "0", msg))
        p("};")
    p("")
    p("const struct cp_pb_message cp_pb_messages[] = {")
    for full in order:
        pkg, name, nullable, fields, gomap = messages[full]
        special = SPECIAL.get(full)
        if special is None and nullable and len(fields) == 1 and \
                fields[0][0] == "repeated":
            special = "LIST"
        p('    {"%s", CP_PB_SPECIAL_%s, %d, %s},' % (
            full, special or "NONE", len(fields),
            "f%d" % index[full] if fields else "NULL"))
    p("};")
    p("const size_t cp_pb_nmessages = %d;" % len(order))
    p("")
    p("const struct cp_pb_kind cp_pb_kinds[] = {")
    for api_version, kind, full in sorted(kinds):
        p('    {"%s", "%s", %d},' % (api_version, kind, index[full]))
    p("};")
    p("const size_t cp_pb_nkinds = %d;" % len(kinds))
    for name in ("k8s.io.apimachinery.pkg.apis.meta.v1.WatchEvent",
                 "k8s.io.apimachinery.pkg.runtime.Unknown",
                 "k8s.io.apimachinery.pkg.apis.meta.v1.Status"):
        p("const int cp_pb_msg_%s = %d;" % (name.split(".")[-1].lower(),
                                          index[name]))


main()
