/*
 * etcd_cluster.c - starts real etcd members on 127.0.0.1 for tests and
 * benches: free ports, a mkdtemp data directory, bounded start-up, and
 * cleanup (kill, wait, remove) even when a test fails. Members die with
 * the process that started them (PR_SET_PDEATHSIG), so a crashed test
 * leaves none behind.
 *
 * Include this file from one test or bench source; it is not a library.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ETCD_BIN "/usr/bin/etcd"
#define ETCD_MAX_MEMBERS 3

typedef struct etcd_member {
  pid_t pid;
  int client_port, peer_port;
  char name[16];
  char client_url[64];
  char peer_url[64];
} etcd_member;

typedef struct etcd_cluster {
  char dir[64];
  int n;
  int tls; /* https client URLs with client-certificate auth */
  /* With tls: files in dir. rogue_ca signs nothing etcd trusts. */
  char ca[96], cert[96], key[96], rogue_ca[96];
  etcd_member m[ETCD_MAX_MEMBERS];
  const char *endpoints[ETCD_MAX_MEMBERS];
} etcd_cluster;

/* A port the kernel just handed out; free again when we return, and
 * reused by etcd a moment later. */
static int etcd_free_port(void) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

  if (fd < 0)
    return -1;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
      getsockname(fd, (struct sockaddr *)&a, &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

static int etcd_port_open(int port) {
  struct sockaddr_in a;
  int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

  if (fd < 0)
    return 0;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons((uint16_t)port);
  ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
  close(fd);
  return ok;
}

/* Makes a CA, a server certificate for IP 127.0.0.1 and a client
 * certificate signed by it, and an unrelated CA, with the openssl CLI. */
static int etcd_make_certs(etcd_cluster *c) {
  char cmd[2048];
  int n;

  snprintf(c->ca, sizeof c->ca, "%s/ca.pem", c->dir);
  snprintf(c->cert, sizeof c->cert, "%s/client.pem", c->dir);
  snprintf(c->key, sizeof c->key, "%s/client-key.pem", c->dir);
  snprintf(c->rogue_ca, sizeof c->rogue_ca, "%s/rogue-ca.pem", c->dir);
  n = snprintf(
      cmd, sizeof cmd,
      "set -e; cd '%s'; K='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
      "-nodes'; "
      "openssl req -x509 $K -keyout ca-key.pem -out ca.pem -days 2 "
      "-subj /CN=cplane-test-ca; "
      "openssl req -x509 $K -keyout rogue-key.pem -out rogue-ca.pem -days 2 "
      "-subj /CN=rogue-ca; "
      "printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,"
      "clientAuth\n' >server.ext; "
      "printf 'extendedKeyUsage=clientAuth\n' >client.ext; "
      "for w in server client; do "
      "openssl req $K -keyout $w-key.pem -out $w.csr -subj /CN=$w; "
      "openssl x509 -req -in $w.csr -CA ca.pem -CAkey ca-key.pem "
      "-CAcreateserial -out $w.pem -days 2 -extfile $w.ext; done "
      ">certs.log 2>&1",
      c->dir);
  if (n < 0 || (size_t)n >= sizeof cmd || system(cmd) != 0) {
    fprintf(stderr, "etcd_cluster: cannot make test certificates with "
            "openssl (see %s/certs.log)\n", c->dir);
    return -1;
  }
  return 0;
}

static pid_t etcd_spawn(etcd_cluster *c, int i, const char *initial) {
  etcd_member *m = &c->m[i];
  char data[640], log[640], scert[640], skey[640];
  char *argv[40] = {
      ETCD_BIN, "--name", m->name, "--data-dir", data,
      "--listen-client-urls", m->client_url,
      "--advertise-client-urls", m->client_url,
      "--listen-peer-urls", m->peer_url,
      "--initial-advertise-peer-urls", m->peer_url,
      "--initial-cluster", (char *)initial,
      "--initial-cluster-state", "new",
      "--initial-cluster-token", c->dir,
      "--experimental-watch-progress-notify-interval", "500ms",
      "--heartbeat-interval", "50", "--election-timeout", "500",
      NULL};
  int a = 0;
  pid_t pid;

  while (argv[a] != NULL)
    a++;
  if (c->tls) {
    snprintf(scert, sizeof scert, "%s/server.pem", c->dir);
    snprintf(skey, sizeof skey, "%s/server-key.pem", c->dir);
    argv[a++] = "--cert-file";
    argv[a++] = scert;
    argv[a++] = "--key-file";
    argv[a++] = skey;
    argv[a++] = "--trusted-ca-file";
    argv[a++] = c->ca;
    argv[a++] = "--client-cert-auth";
    argv[a] = NULL;
  }

  snprintf(data, sizeof data, "%s/%s", c->dir, m->name);
  snprintf(log, sizeof log, "%s/%s.log", c->dir, m->name);
  pid = fork();
  if (pid != 0)
    return pid;
  /* Child: only async-signal-safe calls until exec. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  {
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
  }
  execv(ETCD_BIN, argv);
  _exit(127);
}

static void etcd_cluster_stop(etcd_cluster *c) {
  char cmd[128];
  int i;

  for (i = 0; i < c->n; i++)
    if (c->m[i].pid > 0) {
      kill(c->m[i].pid, SIGKILL);
      waitpid(c->m[i].pid, NULL, 0);
      c->m[i].pid = 0;
    }
  if (c->dir[0] != '\0') {
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", c->dir);
    if (system(cmd) != 0)
      fprintf(stderr, "etcd_cluster: could not remove %s\n", c->dir);
    c->dir[0] = '\0';
  }
}

/* Kills member i as a crash would. */
__attribute__((unused)) static void etcd_cluster_kill(etcd_cluster *c,
                                                      int i) {
  if (c->m[i].pid > 0) {
    kill(c->m[i].pid, SIGKILL);
    waitpid(c->m[i].pid, NULL, 0);
    c->m[i].pid = 0;
  }
}

/* Starts n members and waits (at most 20 s) until every client port
 * accepts. Returns 0, or -1 with the reason on stderr (everything already
 * cleaned up). */
static int etcd_cluster_try_start(etcd_cluster *c, int n, int tls) {
  char initial[2048] = "";
  size_t len = 0;
  int i, up = 0;
  struct timespec t0, t;

  memset(c, 0, sizeof *c);
  c->tls = tls;
  if (access(ETCD_BIN, X_OK) != 0) {
    fprintf(stderr, "etcd_cluster: %s is missing; run 'make deps' "
            "(Debian package etcd-server)\n", ETCD_BIN);
    return -1;
  }
  snprintf(c->dir, sizeof c->dir, "/tmp/cp-etcd-XXXXXX");
  if (mkdtemp(c->dir) == NULL) {
    c->dir[0] = '\0';
    return -1;
  }
  c->n = n;
  if (tls && etcd_make_certs(c) != 0)
    goto fail;
  for (i = 0; i < n; i++) {
    etcd_member *m = &c->m[i];

    m->client_port = etcd_free_port();
    m->peer_port = etcd_free_port();
    snprintf(m->name, sizeof m->name, "m%d", i);
    snprintf(m->client_url, sizeof m->client_url, "%s://127.0.0.1:%d",
             tls ? "https" : "http", m->client_port);
    snprintf(m->peer_url, sizeof m->peer_url, "http://127.0.0.1:%d",
             m->peer_port);
    c->endpoints[i] = m->client_url;
    len += (size_t)snprintf(initial + len, sizeof initial - len, "%s%s=%s",
                            i ? "," : "", m->name, m->peer_url);
  }
  for (i = 0; i < n; i++)
    if ((c->m[i].pid = etcd_spawn(c, i, initial)) < 0)
      goto fail;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  do {
    usleep(20000);
    for (up = 0, i = 0; i < n; i++)
      up += etcd_port_open(c->m[i].client_port);
    clock_gettime(CLOCK_MONOTONIC, &t);
  } while (up < n && t.tv_sec - t0.tv_sec < 20);
  if (up == n)
    return 0;
fail:
  fprintf(stderr, "etcd_cluster: etcd did not start; logs in %s\n", c->dir);
  {
    char cmd[160];

    snprintf(cmd, sizeof cmd, "tail -n 20 %s/*.log >&2", c->dir);
    if (system(cmd) != 0)
      fprintf(stderr, "etcd_cluster: no logs\n");
  }
  etcd_cluster_stop(c);
  return -1;
}

/* A free port can be taken by another process before etcd binds it:
 * start afresh, with new ports, a few times. */
static int etcd_cluster_start_opts(etcd_cluster *c, int n, int tls) {
  int attempt;

  for (attempt = 0; attempt < 3; attempt++) {
    if (etcd_cluster_try_start(c, n, tls) == 0)
      return 0;
    fprintf(stderr, "etcd_cluster: retrying with new ports\n");
  }
  return -1;
}

__attribute__((unused)) static int etcd_cluster_start(etcd_cluster *c, int n) {
  return etcd_cluster_start_opts(c, n, 0);
}

/* One member serving clients over TLS with --client-cert-auth. */
__attribute__((unused)) static int etcd_cluster_start_tls(etcd_cluster *c) {
  return etcd_cluster_start_opts(c, 1, 1);
}

/* The body of a POST of body to path on member i (Connection: close), in
 * buf; 0 or -1. */
static int etcd_member_post(etcd_cluster *c, int i, const char *path,
                            const char *body, char *buf, size_t cap) {
  struct sockaddr_in a;
  char req[512];
  size_t len = 0;
  ssize_t n;
  int fd = socket(AF_INET, SOCK_STREAM, 0), rc = -1;

  if (fd < 0)
    return -1;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)c->m[i].client_port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  n = snprintf(req, sizeof req,
               "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
               "application/json\r\nContent-Length: %zu\r\nConnection: "
               "close\r\n\r\n%s",
               path, strlen(body), body);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      write(fd, req, (size_t)n) != n)
    goto out;
  while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) > 0)
    len += (size_t)n;
  buf[len] = 0;
  rc = len > 0 ? 0 : -1;
out:
  close(fd);
  return rc;
}

/* The quoted value of "name":"..." in s, copied to out; 0 or -1. */
static int etcd_json_str(const char *s, const char *name, char *out,
                         size_t cap) {
  char pat[64];
  const char *p, *e;

  snprintf(pat, sizeof pat, "\"%s\":\"", name);
  if ((p = strstr(s, pat)) == NULL)
    return -1;
  p += strlen(pat);
  if ((e = strchr(p, '"')) == NULL || (size_t)(e - p) >= cap)
    return -1;
  memcpy(out, p, (size_t)(e - p));
  out[e - p] = 0;
  return 0;
}

/* The index of the member that leads now, or -1 if none is known. */
__attribute__((unused)) static int etcd_cluster_leader(etcd_cluster *c) {
  char buf[4096], id[32], leader[32] = "";
  int i;

  for (i = 0; i < c->n; i++)
    if (c->m[i].pid > 0 &&
        etcd_member_post(c, i, "/v3/maintenance/status", "{}", buf,
                         sizeof buf) == 0 &&
        etcd_json_str(buf, "leader", leader, sizeof leader) == 0)
      break;
  if (leader[0] == '\0')
    return -1;
  for (i = 0; i < c->n; i++)
    if (c->m[i].pid > 0 &&
        etcd_member_post(c, i, "/v3/maintenance/status", "{}", buf,
                         sizeof buf) == 0 &&
        etcd_json_str(buf, "member_id", id, sizeof id) == 0 &&
        strcmp(id, leader) == 0)
      return i;
  return -1;
}
