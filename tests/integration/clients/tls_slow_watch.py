"""Two watches of ConfigMaps over TLS, one that never reads and one that
reads everything, while 300 ConfigMaps of 32 KiB are created: the reader
gets all 300 events in order, the server closes the stalled watch (its
apiserver_terminated_watchers_total rises) and its RSS stays bounded.

Usage: tls_slow_watch.py KUBECONFIG SERVER_PID MAX_RSS_MIB
"""
import http.client
import json
import socket
import ssl
import sys
import threading
import time

from kubernetes import client, config

N = 300
DATA = "x" * 32768


def rss_mib(pid):
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return 0


def main():
    kc, pid, max_rss = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cfg = client.Configuration()
    config.load_kube_config(kc, client_configuration=cfg)
    host, port = cfg.host.split("//")[1].split(":")
    auth = cfg.api_key["authorization"]
    ctx = ssl.create_default_context(cafile=cfg.ssl_ca_cert)

    def conn():
        return http.client.HTTPSConnection(host, int(port), context=ctx)

    c = conn()
    c.request("GET", "/api/v1/namespaces/default/configmaps",
              headers={"Authorization": auth})
    rv = json.loads(c.getresponse().read())["metadata"]["resourceVersion"]
    path = ("/api/v1/namespaces/default/configmaps?watch=1&"
            "resourceVersion=%s" % rv)

    # The stalled client: a small receive buffer, never read.
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect((host, int(port)))
    slow = ctx.wrap_socket(raw, server_hostname=host)
    slow.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n\r\n"
                  % (path, auth)).encode())

    got = []

    def read_fast():
        f = conn()
        f.request("GET", path, headers={"Authorization": auth})
        r = f.getresponse()
        while len(got) < N:
            line = r.readline()
            if not line:
                return
            got.append(json.loads(line)["object"]["metadata"]["name"])

    t = threading.Thread(target=read_fast, daemon=True)
    t.start()
    time.sleep(0.5)
    peak = 0
    for i in range(N):
        body = json.dumps({"metadata": {"name": "cm-%03d" % i},
                           "data": {"d": DATA}})
        c.request("POST", "/api/v1/namespaces/default/configmaps", body,
                  headers={"Authorization": auth,
                           "Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        assert r.status == 201, r.status
        peak = max(peak, rss_mib(pid))
    t.join(60)
    assert got == ["cm-%03d" % i for i in range(N)], \
        "the reading watch got %d events" % len(got)
    terminated = 0
    for _ in range(100):
        c.request("GET", "/metrics", headers={"Authorization": auth})
        m = c.getresponse().read().decode()
        for line in m.splitlines():
            if line.startswith('apiserver_terminated_watchers_total{group="",'
                               'resource="configmaps"}'):
                terminated = int(line.split()[-1])
        if terminated >= 1:
            break
        time.sleep(0.1)
    assert terminated == 1, "terminated watchers: %d" % terminated
    assert peak < max_rss, "server RSS %d MiB, over %d" % (peak, max_rss)
    print("tls slow watch: %d events to the reader, the stalled watch "
          "closed, server RSS peak %d MiB" % (len(got), peak))
    slow.close()


main()
