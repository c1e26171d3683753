/*
 * metrics - see metrics.h. Series live in small arrays searched linearly:
 * a server has tens of (verb, resource, code) combinations, not
 * thousands.
 */
#include "apiserver/metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* kube-apiserver's request duration buckets (seconds). */
static const double buckets[] = {0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6,
                                 0.8,   1.0,   1.25, 1.5, 2,   3,   4,
                                 5,     6,     8,    10,  15,  20,  30,
                                 45,    60};
#define N_BUCKETS (sizeof buckets / sizeof buckets[0])

struct counter {
  char verb[24], resource[96];
  int code;
  uint64_t n;
};

struct histogram {
  char verb[24], resource[96];
  uint64_t counts[N_BUCKETS + 1];
  uint64_t count;
  double sum;
};

struct gauge {
  char resource[96];
  int64_t value;
};

struct cp_api_metrics {
  pthread_mutex_t mu;
  struct counter *counters;
  size_t n_counters;
  struct histogram *hists;
  size_t n_hists;
  struct gauge *watchers;
  size_t n_watchers;
};

struct cp_api_metrics *cp_api_metrics_new(void) {
  struct cp_api_metrics *m = calloc(1, sizeof *m);

  if (m != NULL)
    pthread_mutex_init(&m->mu, NULL);
  return m;
}

void cp_api_metrics_free(struct cp_api_metrics *m) {
  if (m == NULL)
    return;
  free(m->counters);
  free(m->hists);
  free(m->watchers);
  pthread_mutex_destroy(&m->mu);
  free(m);
}

/* Finds or appends an element equal under `same`; NULL when out of
 * memory. */
static void *find_or_add(void **arr, size_t *n, size_t size,
                         int (*same)(const void *, const void *),
                         const void *key) {
  char *a = *arr;
  size_t i;

  for (i = 0; i < *n; i++)
    if (same(a + i * size, key))
      return a + i * size;
  a = realloc(a, (*n + 1) * size);
  if (a == NULL)
    return NULL;
  *arr = a;
  memcpy(a + *n * size, key, size);
  return a + (*n)++ * size;
}

static int same_counter(const void *x, const void *y) {
  const struct counter *a = x, *b = y;

  return a->code == b->code && strcmp(a->verb, b->verb) == 0 &&
         strcmp(a->resource, b->resource) == 0;
}

static int same_hist(const void *x, const void *y) {
  const struct histogram *a = x, *b = y;

  return strcmp(a->verb, b->verb) == 0 &&
         strcmp(a->resource, b->resource) == 0;
}

static int same_gauge(const void *x, const void *y) {
  return strcmp(((const struct gauge *)x)->resource,
                ((const struct gauge *)y)->resource) == 0;
}

void cp_api_metrics_observe(struct cp_api_metrics *m, const char *verb,
                            const char *resource, int code,
                            uint64_t duration_ns) {
  struct counter ck;
  struct histogram hk, *h;
  struct counter *c;
  double s = (double)duration_ns / 1e9;
  size_t i;

  if (m == NULL)
    return;
  memset(&ck, 0, sizeof ck);
  memset(&hk, 0, sizeof hk);
  snprintf(ck.verb, sizeof ck.verb, "%s", verb);
  snprintf(ck.resource, sizeof ck.resource, "%s", resource);
  ck.code = code;
  memcpy(hk.verb, ck.verb, sizeof hk.verb);
  memcpy(hk.resource, ck.resource, sizeof hk.resource);
  pthread_mutex_lock(&m->mu);
  c = find_or_add((void **)&m->counters, &m->n_counters, sizeof ck,
                  same_counter, &ck);
  if (c != NULL)
    c->n++;
  h = find_or_add((void **)&m->hists, &m->n_hists, sizeof hk, same_hist,
                  &hk);
  if (h != NULL) {
    for (i = 0; i < N_BUCKETS && s > buckets[i]; i++)
      ;
    h->counts[i]++;
    h->count++;
    h->sum += s;
  }
  pthread_mutex_unlock(&m->mu);
}

void cp_api_metrics_watchers(struct cp_api_metrics *m, const char *resource,
                             int delta) {
  struct gauge k, *g;

  if (m == NULL)
    return;
  memset(&k, 0, sizeof k);
  snprintf(k.resource, sizeof k.resource, "%s", resource);
  pthread_mutex_lock(&m->mu);
  g = find_or_add((void **)&m->watchers, &m->n_watchers, sizeof k,
                  same_gauge, &k);
  if (g != NULL)
    g->value += delta;
  pthread_mutex_unlock(&m->mu);
}

int cp_api_metrics_write(struct cp_api_metrics *m, FILE *out) {
  size_t i, b;

  pthread_mutex_lock(&m->mu);
  fputs("# HELP apiserver_request_total Counter of apiserver requests "
        "broken out for each verb, resource and HTTP response code.\n"
        "# TYPE apiserver_request_total counter\n", out);
  for (i = 0; i < m->n_counters; i++)
    fprintf(out, "apiserver_request_total{code=\"%d\",resource=\"%s\","
                 "verb=\"%s\"} %llu\n",
            m->counters[i].code, m->counters[i].resource,
            m->counters[i].verb, (unsigned long long)m->counters[i].n);
  fputs("# HELP apiserver_request_duration_seconds Response latency "
        "distribution in seconds for each verb and resource.\n"
        "# TYPE apiserver_request_duration_seconds histogram\n", out);
  for (i = 0; i < m->n_hists; i++) {
    const struct histogram *h = &m->hists[i];
    uint64_t cum = 0;

    for (b = 0; b <= N_BUCKETS; b++) {
      cum += h->counts[b];
      if (b < N_BUCKETS)
        fprintf(out, "apiserver_request_duration_seconds_bucket{resource="
                     "\"%s\",verb=\"%s\",le=\"%g\"} %llu\n",
                h->resource, h->verb, buckets[b], (unsigned long long)cum);
      else
        fprintf(out, "apiserver_request_duration_seconds_bucket{resource="
                     "\"%s\",verb=\"%s\",le=\"+Inf\"} %llu\n",
                h->resource, h->verb, (unsigned long long)cum);
    }
    fprintf(out, "apiserver_request_duration_seconds_sum{resource=\"%s\","
                 "verb=\"%s\"} %.9g\n",
            h->resource, h->verb, h->sum);
    fprintf(out, "apiserver_request_duration_seconds_count{resource=\"%s\","
                 "verb=\"%s\"} %llu\n",
            h->resource, h->verb, (unsigned long long)h->count);
  }
  pthread_mutex_unlock(&m->mu);
  return ferror(out) ? -1 : 0;
}
