/*
 * subsets - Endpoints subsets, repacked and truncated as kube does. See
 * subsets.h.
 */
#include "subsets.h"

#include <cplane/strbuf.h>

#include <stdlib.h>
#include <string.h>

/* By ports (the subset), readiness, IP, then the whole address. */
static int by_subset(const void *a, const void *b) {
  const struct ep_addr *x = a, *y = b;
  int c = strcmp(x->ports, y->ports);

  if (c == 0)
    c = y->ready - x->ready;
  if (c == 0)
    c = strcmp(x->ip, y->ip);
  return c != 0 ? c : strcmp(x->json, y->json);
}

/* A subset: addrs[start, end), ready ones first. */
struct span {
  size_t start, end, n_ready, keep_ready, keep_not;
};

/* truncateEndpoints: how many ready and not-ready addresses each subset
 * keeps. Returns 1 when any are cut. */
static int truncate_spans(struct span *s, size_t ns, size_t max) {
  size_t ready = 0, not_ready = 0, i, share, room, total;
  int cut_ready;

  for (i = 0; i < ns; i++) {
    ready += s[i].n_ready;
    not_ready += s[i].end - s[i].start - s[i].n_ready;
    s[i].keep_ready = s[i].n_ready;
    s[i].keep_not = s[i].end - s[i].start - s[i].n_ready;
  }
  if (ready + not_ready <= max)
    return 0;
  cut_ready = ready > max;
  share = room = cut_ready ? max : max - ready;
  total = cut_ready ? ready : not_ready;
  for (i = 0; i < ns; i++) {
    size_t in = cut_ready ? s[i].keep_ready : s[i].keep_not;
    /* kube's ceil(in / total * room), in integers */
    size_t add = (in * share + total - 1) / total;

    if (add > room)
      add = room;
    if (cut_ready) {
      s[i].keep_ready = add;
      s[i].keep_not = 0;
    } else {
      s[i].keep_not = add;
    }
    room -= add;
  }
  return 1;
}

/* Appends "name":[a, b...] of addrs[from, from+n), with a leading comma
 * unless first. */
static void add_list(struct cplane_strbuf *b, const char *name,
                     const struct ep_addr *addrs, size_t from, size_t n,
                     int *first) {
  size_t i;

  if (n == 0)
    return;
  cplane_strbuf_addf(b, "%s\"%s\":[", *first ? "" : ",", name);
  for (i = 0; i < n; i++) {
    if (i > 0)
      cplane_strbuf_add(b, ",");
    cplane_strbuf_add(b, addrs[from + i].json);
  }
  cplane_strbuf_add(b, "]");
  *first = 0;
}

char *ep_subsets_json(struct ep_addr *addrs, size_t n, size_t max,
                      int *truncated) {
  struct cplane_strbuf b = CPLANE_STRBUF_INIT;
  struct span *spans = NULL;
  size_t ns = 0, i;
  int cut;

  if (n > 0) {
    qsort(addrs, n, sizeof *addrs, by_subset);
    if ((spans = calloc(n, sizeof *spans)) == NULL)
      return NULL;
  }
  for (i = 0; i < n; i++) {
    if (i == 0 || strcmp(addrs[i].ports, addrs[i - 1].ports) != 0)
      spans[ns++].start = i;
    spans[ns - 1].end = i + 1;
    spans[ns - 1].n_ready += addrs[i].ready != 0;
  }
  cut = truncate_spans(spans, ns, max);
  if (truncated != NULL)
    *truncated = cut;
  cplane_strbuf_add(&b, "[");
  for (i = 0; i < ns; i++) {
    const struct span *s = &spans[i];
    int first = 1;

    if (s->keep_ready + s->keep_not == 0)
      continue;
    cplane_strbuf_add(&b, b.len > 1 ? ",{" : "{");
    add_list(&b, "addresses", addrs, s->start, s->keep_ready, &first);
    add_list(&b, "notReadyAddresses", addrs, s->start + s->n_ready, s->keep_not,
             &first);
    if (strcmp(addrs[s->start].ports, "[]") != 0)
      cplane_strbuf_addf(&b, ",\"ports\":%s", addrs[s->start].ports);
    cplane_strbuf_add(&b, "}");
  }
  cplane_strbuf_add(&b, "]");
  free(spans);
  return cplane_strbuf_finish(&b);
}
