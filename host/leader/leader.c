/*
 * leader - see leader.h.
 */
#include "leader/leader.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "clock/clock.h"
#include "clock/deadline.h"
#include "log/log.h"

struct cp_leader {
  struct cp_client *client;
  char *ns, *name, *identity, *path, *collection;
  uint64_t lease_ms, renew_deadline_ms, retry_ms;
  void (*started)(void *);
  void (*stopped)(void *);
  void *userdata;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int stop;
  atomic_int leading;
  /* What we last saw of the lease, and when (monotonic ms). */
  char observed[512];
  int64_t observed_ms;
  int64_t last_renew_ms; /* when we last renewed as leader */
};

static int64_t mono_ms(void) { return cp_now_ms(); }

/* RFC 3339 with microseconds, as MicroTime is written. */
static void micro_now(char *buf, size_t len) {
  struct timeval tv;
  struct tm tm;
  char base[32];

  gettimeofday(&tv, NULL);
  gmtime_r(&tv.tv_sec, &tm);
  strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf, len, "%s.%06ldZ", base, (long)tv.tv_usec);
}

static const char *str(json_object *o, const char *k) {
  json_object *v;

  return o && json_object_object_get_ex(o, k, &v) ? json_object_get_string(v)
                                                  : NULL;
}

static json_object *member(json_object *o, const char *k) {
  json_object *v;

  return o && json_object_object_get_ex(o, k, &v) ? v : NULL;
}

/* The lease body to write: ours, with rv for compare-and-swap (NULL on
 * create). holder "" releases it. */
static char *lease_body(struct cp_leader *l, const char *rv,
                        const char *holder, const char *acquire,
                        int transitions, int lease_s) {
  char now[64], *body = NULL;

  micro_now(now, sizeof now);
  if (asprintf(&body,
               "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":"
               "\"Lease\",\"metadata\":{\"name\":\"%s\",\"namespace\":"
               "\"%s\"%s%s%s},\"spec\":{\"holderIdentity\":\"%s\","
               "\"leaseDurationSeconds\":%d,\"acquireTime\":\"%s\","
               "\"renewTime\":\"%s\",\"leaseTransitions\":%d}}",
               l->name, l->ns, rv ? ",\"resourceVersion\":\"" : "",
               rv ? rv : "", rv ? "\"" : "", holder, lease_s,
               acquire ? acquire : now, now, transitions) < 0)
    return NULL;
  return body;
}

static int write_lease(struct cp_leader *l, const char *method,
                       const char *path, const char *body) {
  char *resp = NULL;
  size_t len;
  int code;

  if (body == NULL)
    return 0;
  code = cp_client_request(l->client, method, path, "application/json",
                           body, strlen(body), &resp, &len);
  free(resp);
  return code;
}

/* One attempt to acquire or renew. Returns 1 when we hold the lease. */
static int try_acquire(struct cp_leader *l) {
  char *resp = NULL, *body, seen[512];
  size_t len;
  json_object *lease = NULL, *spec, *md;
  const char *holder, *rv, *acq;
  int code, held = 0, lease_s = (int)(l->lease_ms / 1000), transitions;
  int64_t now = mono_ms();

  code = cp_client_request(l->client, "GET", l->path, NULL, NULL, 0, &resp,
                           &len);
  if (code == 404) {
    body = lease_body(l, NULL, l->identity, NULL, 0, lease_s);
    code = write_lease(l, "POST", l->collection, body);
    free(body);
    free(resp);
    return code == 201;
  }
  if (code != 200 || (lease = json_tokener_parse(resp)) == NULL)
    goto out;
  spec = member(lease, "spec");
  md = member(lease, "metadata");
  holder = str(spec, "holderIdentity");
  rv = str(md, "resourceVersion");
  acq = str(spec, "acquireTime");
  transitions = member(spec, "leaseTransitions")
                    ? json_object_get_int(member(spec, "leaseTransitions"))
                    : 0;
  if (member(spec, "leaseDurationSeconds") != NULL)
    lease_s = json_object_get_int(member(spec, "leaseDurationSeconds"));
  /* A change of the record restarts its expiry clock. */
  snprintf(seen, sizeof seen, "%s|%s", holder ? holder : "",
           str(spec, "renewTime") ? str(spec, "renewTime") : "");
  if (strcmp(seen, l->observed) != 0) {
    snprintf(l->observed, sizeof l->observed, "%s", seen);
    l->observed_ms = now;
  }
  if (holder != NULL && holder[0] != '\0' &&
      strcmp(holder, l->identity) != 0 &&
      now - l->observed_ms < (int64_t)lease_s * 1000)
    goto out; /* someone else holds a live lease */
  if (holder != NULL && strcmp(holder, l->identity) == 0)
    body = lease_body(l, rv, l->identity, acq, transitions,
                      (int)(l->lease_ms / 1000));
  else
    body = lease_body(l, rv, l->identity, NULL, transitions + 1,
                      (int)(l->lease_ms / 1000));
  held = write_lease(l, "PUT", l->path, body) == 200;
  free(body);
out:
  json_object_put(lease);
  free(resp);
  return held;
}

static void *elector_main(void *arg) {
  struct cp_leader *l = arg;
  struct timespec ts;

  pthread_setname_np(pthread_self(), "leader"); /* top -H, perf */
  pthread_mutex_lock(&l->mu);
  while (!l->stop) {
    int held;

    pthread_mutex_unlock(&l->mu);
    held = try_acquire(l);
    if (held) {
      l->last_renew_ms = mono_ms();
      if (!atomic_exchange(&l->leading, 1)) {
        cp_log_info("leader", "%s became the leader (lease %s/%s)",
                    l->identity, l->ns, l->name);
        if (l->started != NULL)
          l->started(l->userdata);
      }
    } else if (atomic_load(&l->leading) &&
               mono_ms() - l->last_renew_ms >= (int64_t)l->renew_deadline_ms) {
      atomic_store(&l->leading, 0);
      cp_log_error("leader", "%s could not renew the lease %s/%s within "
                             "%llu ms: no longer the leader",
                   l->identity, l->ns, l->name,
                   (unsigned long long)l->renew_deadline_ms);
      if (l->stopped != NULL)
        l->stopped(l->userdata);
    }
    cp_deadline_after_ms(CLOCK_REALTIME, (int64_t)l->retry_ms, &ts);
    pthread_mutex_lock(&l->mu);
    while (!l->stop && pthread_cond_timedwait(&l->cv, &l->mu, &ts) == 0)
      ;
  }
  pthread_mutex_unlock(&l->mu);
  return NULL;
}

int cp_leader_start(struct cp_client *c, const struct cp_leader_config *cfg,
                    struct cp_leader **out, char **errmsg) {
  struct cp_leader *l = calloc(1, sizeof *l);
  char host[128] = "host";

  *out = NULL;
  *errmsg = NULL;
  if (l == NULL)
    return -1;
  gethostname(host, sizeof host - 1);
  l->client = c;
  l->ns = strdup(cfg->ns ? cfg->ns : "kube-system");
  l->name = strdup(cfg->name ? cfg->name : "cplane-host");
  if (cfg->identity != NULL)
    l->identity = strdup(cfg->identity);
  else if (asprintf(&l->identity, "%s_%d", host, (int)getpid()) < 0)
    l->identity = NULL;
  l->lease_ms = cfg->lease_ms ? cfg->lease_ms : 15000;
  l->renew_deadline_ms = cfg->renew_deadline_ms ? cfg->renew_deadline_ms
                                                : 10000;
  l->retry_ms = cfg->retry_ms ? cfg->retry_ms : 2000;
  l->started = cfg->started_leading;
  l->stopped = cfg->stopped_leading;
  l->userdata = cfg->userdata;
  pthread_mutex_init(&l->mu, NULL);
  pthread_cond_init(&l->cv, NULL);
  if (l->ns && l->name &&
      (asprintf(&l->collection,
                "/apis/coordination.k8s.io/v1/namespaces/%s/leases",
                l->ns) < 0 ||
       asprintf(&l->path, "%s/%s", l->collection, l->name) < 0)) {
    l->collection = l->path = NULL;
  }
  if (l->ns == NULL || l->name == NULL || l->identity == NULL ||
      l->path == NULL || l->collection == NULL ||
      pthread_create(&l->thread, NULL, elector_main, l) != 0) {
    *errmsg = strdup("cannot start leader election");
    free(l->ns);
    free(l->name);
    free(l->identity);
    free(l->path);
    free(l->collection);
    free(l);
    return -1;
  }
  cp_log_info("leader", "%s is campaigning for lease %s/%s (%llu ms)",
              l->identity, l->ns, l->name,
              (unsigned long long)l->lease_ms);
  *out = l;
  return 0;
}

int cp_leader_is_leader(struct cp_leader *l) {
  return l != NULL && atomic_load(&l->leading);
}

void cp_leader_stop(struct cp_leader *l) {
  if (l == NULL)
    return;
  pthread_mutex_lock(&l->mu);
  l->stop = 1;
  pthread_cond_broadcast(&l->cv);
  pthread_mutex_unlock(&l->mu);
  pthread_join(l->thread, NULL);
  if (atomic_load(&l->leading)) {
    char *resp = NULL;
    size_t len;
    json_object *lease = NULL;

    /* Hand the lease back: a standby need not wait for it to expire. */
    if (cp_client_request(l->client, "GET", l->path, NULL, NULL, 0, &resp,
                          &len) == 200 &&
        (lease = json_tokener_parse(resp)) != NULL &&
        str(member(lease, "spec"), "holderIdentity") != NULL &&
        strcmp(str(member(lease, "spec"), "holderIdentity"), l->identity) ==
            0) {
      char *body = lease_body(l, str(member(lease, "metadata"),
                                     "resourceVersion"),
                              "", NULL, 0, 1);

      if (write_lease(l, "PUT", l->path, body) == 200)
        cp_log_info("leader", "%s released the lease %s/%s", l->identity,
                    l->ns, l->name);
      free(body);
    }
    json_object_put(lease);
    free(resp);
  }
  pthread_mutex_destroy(&l->mu);
  pthread_cond_destroy(&l->cv);
  free(l->ns);
  free(l->name);
  free(l->identity);
  free(l->path);
  free(l->collection);
  free(l);
}
