#!/usr/bin/env python3
"""Hostile and careless connections against the API server's TLS port,
for apiserver_connections.sh. Each mode prints one line "ok ..." or exits
non-zero with the reason.

  big-header HOST PORT CA MB        a header of MB MiB: 431, then closed
  unauth-body HOST PORT CA N        N clients declare a 3 MB body with no
                                    credential: each gets 401 before
                                    sending more than its first 64 KiB
  idle HOST PORT CA N SECONDS       N silent TCP connections, N idle TLS
                                    ones and one trickling its head: all
                                    closed by the server within SECONDS
  keepalive HOST PORT CA TOKEN SECONDS
                                    an answered keep-alive connection,
                                    then idle: closed within SECONDS
  flood HOST PORT N                 N silent TCP connections (non-blocking
                                    connects), held until stdin closes
"""
import os
import resource
import select
import socket
import ssl
import sys
import threading
import time


def tls_ctx(ca):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False
    return ctx


def connect_tls(host, port, ca):
    raw = socket.create_connection((host, port), timeout=10)
    return tls_ctx(ca).wrap_socket(raw, server_hostname=host)


def read_reply(s, limit=5.0):
    """What the server sends until it closes or limit seconds pass."""
    s.settimeout(limit)
    out = b""
    end = time.time() + limit
    while time.time() < end:
        try:
            b = s.recv(65536)
        except (socket.timeout, ssl.SSLError, ConnectionError, OSError):
            break
        if not b:
            break
        out += b
    return out


def closed_by_peer(s, limit):
    """True when the server closes s within limit seconds (what it sends
    before is read and dropped)."""
    end = time.time() + limit
    while True:
        s.settimeout(max(end - time.time(), 0.001))
        try:
            if s.recv(65536) == b"":
                return True
        except socket.timeout:
            return False
        except (ssl.SSLError, ConnectionError, OSError):
            return True
        if time.time() >= end:
            return False


def big_header(host, port, ca, mb):
    raw = socket.create_connection((host, port), timeout=10)
    s = tls_ctx(ca).wrap_socket(raw, server_hostname=host)
    s.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\nX-Big: ")
    # The answer must come without the server reading the whole header:
    # send until it answers, then read. One thread: an SSL socket read and
    # written from two threads at once is not safe, and a starved reader
    # thread let the server's linger run out while we were still sending,
    # so its close reset the connection and threw the 431 away unread.
    chunk = b"a" * 65536
    sent = 0
    first = b""
    while sent < mb << 20:
        readable, _, _ = select.select([s], [], [], 0)
        if readable or s.pending():
            # Readable may be only TLS 1.3 session tickets: look without
            # waiting, and go on sending unless the answer has begun.
            s.setblocking(False)
            try:
                first = s.recv(65536)
                break
            except ssl.SSLWantReadError:
                pass
            except (ssl.SSLError, ConnectionError, OSError):
                break
            finally:
                s.setblocking(True)
        try:
            s.sendall(chunk)
        except (ssl.SSLError, ConnectionError, OSError):
            break
        sent += len(chunk)
    reply = first + read_reply(s, 30)
    if not reply.startswith(b"HTTP/1.1 431 Request Header Fields Too Large"):
        sys.exit("big header: got %r after %d bytes" % (reply[:200], sent))
    if not reply.endswith(b"431 Request Header Fields Too Large"):
        sys.exit("big header body: %r" % reply[-200:])
    print("ok big-header answered 431 after %d MiB sent" % (sent >> 20))


def unauth_body(host, port, ca, n):
    conns = []
    for _ in range(n):
        s = connect_tls(host, port, ca)
        s.sendall(b"POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\n"
                  b"Host: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 3000000\r\n\r\n" + b" " * 65536)
        conns.append(s)
    for s in conns:
        reply = read_reply(s, 10)
        if not reply.startswith(b"HTTP/1.1 401 Unauthorized"):
            sys.exit("unauthenticated body: got %r" % reply[:200])
        if b'"reason":"Unauthorized"' not in reply:
            sys.exit("401 body: %r" % reply)
        s.close()
    print("ok %d unauthenticated bodies answered 401 unread" % n)


def idle(host, port, ca, n, seconds):
    socks = [socket.create_connection((host, port)) for _ in range(n)]
    socks += [connect_tls(host, port, ca) for _ in range(n)]
    slow = connect_tls(host, port, ca)
    head = b"GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nX-Slow: "
    start = time.time()
    closed = [False] * len(socks)
    slow_closed = False
    i = 0
    while time.time() - start < seconds:
        if not slow_closed:
            try:
                slow.sendall(head[i % len(head):i % len(head) + 1]
                             if i < len(head) else b"a")
            except (ssl.SSLError, ConnectionError, OSError):
                slow_closed = True
            i += 1
        for k, s in enumerate(socks):
            if not closed[k] and closed_by_peer(s, 0.001):
                closed[k] = True
        if not slow_closed and closed_by_peer(slow, 0.2):
            slow_closed = True
        if all(closed) and slow_closed:
            print("ok %d idle connections and a slow head closed after "
                  "%.1f s" % (len(socks), time.time() - start))
            return
    sys.exit("after %d s: %d of %d idle connections open, slow head %s" %
             (seconds, closed.count(False), len(socks),
              "closed" if slow_closed else "open"))


def keepalive(host, port, ca, token, seconds):
    s = connect_tls(host, port, ca)
    s.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
              token.encode() + b"\r\n\r\n")
    s.settimeout(5)
    if not s.recv(65536).startswith(b"HTTP/1.1 200"):
        sys.exit("keep-alive: no 200")
    start = time.time()
    if not closed_by_peer(s, seconds):
        sys.exit("an idle keep-alive connection still open after %d s" %
                 seconds)
    print("ok idle keep-alive connection closed after %.1f s" %
          (time.time() - start))


def flood(host, port, n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect((host, port))
        except BlockingIOError:
            pass
        socks.append(s)
    print("ok %d connections opened" % n, flush=True)
    sys.stdin.read()


def main():
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    a = sys.argv[4:]
    if mode == "big-header":
        big_header(host, port, a[0], int(a[1]))
    elif mode == "unauth-body":
        unauth_body(host, port, a[0], int(a[1]))
    elif mode == "idle":
        idle(host, port, a[0], int(a[1]), float(a[2]))
    elif mode == "keepalive":
        keepalive(host, port, a[0], a[1], float(a[2]))
    elif mode == "flood":
        flood(host, port, int(a[0]))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
