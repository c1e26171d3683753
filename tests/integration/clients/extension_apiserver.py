#!/usr/bin/env python3
"""A tiny aggregated API server for apiserver_aggregation.sh: HTTPS with
the given certificate, serving example.cplane.io/v1 (discovery and a
namespaced "widgets" resource). Each answer records who the aggregator
said was calling (X-Remote-User, X-Remote-Group) and the CN of the client
certificate it showed, so the test can check them. A watch
(?watch=1) sends an ADDED event every half second for 30 s, chunked, and
writes PORT_FILE.watch-closed when its client (the aggregator) hangs up.

usage: extension_apiserver.py CERT KEY CLIENT_CA PORT_FILE
"""
import json
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GV = "example.cplane.io/v1"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # chunked watch responses
    port_file = ""

    def log_message(self, *args):
        pass

    def watch(self, ns):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for i in range(60):
                ev = json.dumps({"type": "ADDED",
                                 "object": self.widget(ns, "w%d" % i)})
                data = ev.encode() + b"\n"
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
                time.sleep(0.5)
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            with open(self.port_file + ".watch-closed", "w") as f:
                f.write("closed\n")
        self.close_connection = True

    def send_json(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def widget(self, ns, name):
        cert = self.connection.getpeercert() or {}
        cn = ""
        for rdn in cert.get("subject", ()):
            for k, v in rdn:
                if k == "commonName":
                    cn = v
        return {
            "apiVersion": GV, "kind": "Widget",
            "metadata": {
                "name": name, "namespace": ns,
                "creationTimestamp": "2026-01-01T00:00:00Z",
                "annotations": {
                    "remote-user": self.headers.get("X-Remote-User", ""),
                    "remote-groups": ",".join(
                        self.headers.get_all("X-Remote-Group") or []),
                    "client-cn": cn,
                    "query": self.path.partition("?")[2],
                }}}

    def do_GET(self):
        path = self.path.partition("?")[0]
        parts = path.strip("/").split("/")
        if path == "/apis/" + GV:
            return self.send_json(200, {
                "kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": GV,
                "resources": [{"name": "widgets", "singularName": "widget",
                               "namespaced": True, "kind": "Widget",
                               "verbs": ["get", "list"],
                               "shortNames": ["wdg"]}]})
        if parts[:3] == ["apis", "example.cplane.io", "v1"] and \
                len(parts) >= 6 and parts[3] == "namespaces" and \
                parts[5] == "widgets":
            ns = parts[4]
            query = self.path.partition("?")[2].split("&")
            if "watch=1" in query or "watch=true" in query:
                return self.watch(ns)
            if len(parts) == 7:
                return self.send_json(200, self.widget(ns, parts[6]))
            return self.send_json(200, {
                "apiVersion": GV, "kind": "WidgetList", "metadata": {},
                "items": [self.widget(ns, "w1")]})
        self.send_json(404, {"kind": "Status", "apiVersion": "v1",
                             "status": "Failure", "reason": "NotFound",
                             "code": 404, "message": "not found"})


def main():
    cert, key, client_ca, port_file = sys.argv[1:5]
    Handler.port_file = port_file
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.load_verify_locations(client_ca)
    ctx.verify_mode = ssl.CERT_OPTIONAL
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(port_file + ".tmp", port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
