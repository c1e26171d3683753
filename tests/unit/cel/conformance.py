#!/usr/bin/env python3
"""Converts cel-spec's simple conformance tests (tests/simple/testdata/
*.textproto, github.com/google/cel-spec) into tests/unit/cel/
conformance.h, the table test_cel.c runs.

Each case keeps its expression, its variables (as CEL literal text) and
its expected result as CEL literal text, or that it is an error. Cases
that need protobuf messages, enums, type-checker-only answers or
unknowns are left out (cplane's CEL has no messages). Run:

  python3 tests/unit/cel/conformance.py CEL_SPEC_DIR > tests/unit/cel/conformance.h
"""
import math
import re
import struct
import sys

FILES = ["basic", "comparisons", "logic", "macros", "string", "lists",
         "fields", "integer_math", "fp_math", "conversions", "timestamps",
         "optionals", "string_ext", "parse"]


class Skip(Exception):
    pass


def tokens(text):
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c in " \t\r\n":
            i += 1
        elif c == "#":
            while i < n and text[i] != "\n":
                i += 1
        elif c in "{}:<>,;":
            yield ("p", c)
            i += 1
        elif c == "[":
            j = text.index("]", i)
            yield ("ext", text[i + 1:j])
            i = j + 1
        elif c in "\"'":
            q = c
            j = i + 1
            out = bytearray()
            while text[j] != q:
                if text[j] == "\\":
                    e = text[j + 1]
                    simple = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8,
                              "f": 12, "v": 11, "\\": 92, "'": 39, '"': 34,
                              "?": 63}
                    if e in simple:
                        out.append(simple[e])
                        j += 2
                    elif e in "01234567":
                        k = j + 1
                        while k < j + 4 and text[k] in "01234567":
                            k += 1
                        out.append(int(text[j + 1:k], 8) & 0xFF)
                        j = k
                    elif e == "x":
                        k = j + 2
                        while k < j + 4 and text[k] in "0123456789abcdefABCDEF":
                            k += 1
                        out.append(int(text[j + 2:k], 16))
                        j = k
                    elif e in "uU":
                        ln = 4 if e == "u" else 8
                        out += chr(int(text[j + 2:j + 2 + ln], 16)).encode()
                        j += 2 + ln
                    else:
                        raise ValueError("escape " + e)
                else:
                    out += text[j].encode()
                    j += 1
            yield ("s", bytes(out))
            i = j + 1
        else:
            j = i
            while j < n and (text[j].isalnum() or text[j] in "_.-+"):
                j += 1
            if j == i:
                raise ValueError("char %r" % c)
            yield ("w", text[i:j])
            i = j


class Stream:
    def __init__(self, it):
        self.it = it
        self.back = []

    def __iter__(self):
        return self

    def __next__(self):
        if self.back:
            return self.back.pop()
        return next(self.it)


def parse_file(text):
    s = Stream(tokens(text))

    def msg(end):
        fields = []
        while True:
            try:
                t = next(s)
            except StopIteration:
                if end is None:
                    return fields
                raise
            if t == ("p", end):
                return fields
            if t[0] == "p" and t[1] in ",;":
                continue
            name = t[1]
            t = next(s)
            if t == ("p", ":"):
                t = next(s)
            if t in (("p", "{"), ("p", "<")):
                fields.append((name, msg("}" if t[1] == "{" else ">")))
            elif t[0] == "s":
                v = t[1]
                while True:
                    try:
                        pk = next(s)
                    except StopIteration:
                        break
                    if pk[0] == "s":
                        v += pk[1]
                        continue
                    s.back.append(pk)
                    break
                fields.append((name, v))
            else:
                fields.append((name, t[1]))
    return msg(None)


def get(m, name):
    for k, v in m:
        if k == name:
            return v
    return None


def getall(m, name):
    return [v for k, v in m if k == name]


def cel_string(b):
    out = '"'
    for ch in b.decode("utf-8"):
        o = ord(ch)
        if ch == '"' or ch == "\\":
            out += "\\" + ch
        elif o < 0x20 or o == 0x7F:
            out += "\\x%02x" % o
        elif o > 0x7E:
            out += "\\U%08x" % o
        else:
            out += ch
    return out + '"'


def cel_bytes(b):
    return 'b"' + "".join("\\x%02x" % x for x in b) + '"'


def num(s):
    return s.decode() if isinstance(s, bytes) else s


def cel_double(s):
    s = num(s)
    if s in ("nan", "NaN"):
        return 'double("NaN")'
    if s in ("inf", "Infinity", "infinity"):
        return 'double("Inf")'
    if s in ("-inf", "-Infinity", "-infinity"):
        return 'double("-Inf")'
    d = float(s)
    if math.isinf(d):
        return 'double("%sInf")' % ("-" if d < 0 else "")
    if d == 0 and math.copysign(1, d) < 0:
        return "-0.0"
    r = repr(d)
    return r


def value(v):
    """A google.api.expr Value as CEL literal text."""
    k, x = v[0]
    if len(v) != 1:
        raise Skip("value form")
    if k == "null_value":
        return "null"
    if k == "bool_value":
        return "true" if num(x) == "true" else "false"
    if k == "int64_value":
        return "int(%s)" % num(x) if num(x).startswith("-") else num(x)
    if k == "uint64_value":
        return num(x) + "u"
    if k == "double_value":
        return cel_double(x)
    if k == "string_value":
        return cel_string(x)
    if k == "bytes_value":
        return cel_bytes(x)
    if k == "type_value":
        t = x.decode()
        if t not in ("int", "uint", "double", "bool", "string", "bytes",
                     "list", "map", "null_type", "type"):
            raise Skip("type " + t)
        return t
    if k == "list_value":
        return "[" + ", ".join(value(e) for e in getall(x, "values")) + "]"
    if k == "map_value":
        ents = []
        for e in getall(x, "entries"):
            ents.append(value(get(e, "key")) + ": " + value(get(e, "value")))
        return "{" + ", ".join(ents) + "}"
    raise Skip(k)


def c_str(s):
    out = '"'
    for b in s.encode("utf-8"):
        ch = chr(b)
        if ch == '"' or ch == "\\":
            out += "\\" + ch
        elif b < 0x20 or b >= 0x7F or ch == "?":
            out += "\\%03o" % b
        else:
            out += ch
    return out + '"'


def cases(spec):
    for f in FILES:
        text = open("%s/tests/simple/testdata/%s.textproto" % (spec, f)).read()
        top = parse_file(text)
        for sec in getall(top, "section"):
            for t in getall(sec, "test"):
                name = "%s/%s/%s" % (f, get(sec, "name").decode(),
                                     get(t, "name").decode())
                try:
                    if get(t, "disable_macros") or get(t, "container"):
                        raise Skip("options")
                    expr = get(t, "expr").decode("utf-8")
                    if "\0" in expr:
                        raise Skip("NUL in the source: C strings end there")
                    binds = []
                    for b in getall(t, "bindings"):
                        bv = get(get(b, "value"), "value")
                        if bv is None:
                            raise Skip("binding")
                        binds.append((get(b, "key").decode(), value(bv)))
                    if get(t, "eval_error") is not None:
                        want = None
                    elif get(t, "value") is not None:
                        want = value(get(t, "value"))
                    elif get(t, "typed_result") is not None:
                        want = value(get(get(t, "typed_result"), "result"))
                    elif (get(t, "unknown") is not None or
                          get(t, "any_eval_errors") is not None or
                          get(t, "any_unknowns") is not None):
                        raise Skip("unknowns")
                    else:
                        want = "true"
                    if "google.protobuf" in expr or "TestAllTypes" in expr \
                            or "cel.expr" in expr or "proto" in expr:
                        raise Skip("messages")
                except Skip:
                    continue
                yield name, expr, binds, want


def main():
    spec = sys.argv[1]
    print("/* Generated by tests/unit/cel/conformance.py from cel-spec's")
    print(" * tests/simple/testdata; do not edit. */")
    print("static const struct conf_case conf_cases[] = {")
    n = 0
    for name, expr, binds, want in cases(spec):
        names = ", ".join(c_str(k) for k, _ in binds)
        vals = ", ".join(c_str(v) for _, v in binds)
        print("  {%s,\n   %s,\n   %s,\n   {%s}, {%s}, %d}," % (
            c_str(name), c_str(expr), c_str(want) if want else "NULL",
            names or "NULL", vals or "NULL", len(binds)))
        n += 1
    print("};")
    print("/* %d cases */" % n)


main()
