/*
 * podsecurity_walk - what the Pod Security Standards' checks share
 * (podsecurity_baseline.c, podsecurity_restricted.c): the pod being
 * checked, the containers kube's visitContainers walks (init, app,
 * ephemeral), the lists of names a check collects, and the result the
 * checks write their "reason (detail)" to, worded as
 * k8s.io/pod-security-admission/policy words them.
 *
 * Internal to the podsecurity_* files. Threading: pure. Ownership: the
 * pod's parts and the names are borrowed.
 */
#ifndef CPLANE_HOST_APISERVER_PODSECURITY_WALK_H
#define CPLANE_HOST_APISERVER_PODSECURITY_WALK_H

#include <json-c/json.h>
#include <stdio.h>

/* The pod (or template) being checked. */
struct cp_psa_pod {
  json_object *meta, *spec, *psc; /* psc: spec.securityContext */
  int minor;                      /* 0: latest */
  int windows;                    /* spec.os.name == windows */
};

/* Whether a check that came with policy version 1.<minor> applies. */
int cp_psa_since(const struct cp_psa_pod *p, int minor);

/* What the checks found, written as they go. The streams (over the
 * caller's *_buf and *_len) are opened by the first violation: a pod
 * that passes costs no stream. */
struct cp_psa_result {
  FILE *full, *brief;
  char **full_buf, **brief_buf;
  size_t *full_len, *brief_len;
  int n;
  int oom;
};

/* A detail being written: begin, fprintf to d->f, then end, which adds
 * "reason (detail)" to r. begin returns NULL out of memory. */
struct cp_psa_detail {
  FILE *f;
  char *buf;
  size_t len;
};
FILE *cp_psa_detail_begin(struct cp_psa_detail *d);
void cp_psa_detail_end(struct cp_psa_result *r, struct cp_psa_detail *d,
                       const char *reason);

/* A list of borrowed strings: in order (cp_psa_names_add) or sorted and
 * unique like Go's sets.String.List() (cp_psa_names_set). Zeroed to
 * start; cp_psa_names_free frees the array only. */
struct cp_psa_names {
  const char **v;
  size_t n, cap;
  int oom;
};
void cp_psa_names_add(struct cp_psa_names *s, const char *x);
void cp_psa_names_set(struct cp_psa_names *s, const char *x);
void cp_psa_names_free(struct cp_psa_names *s);

/* Go's %q for the plain strings these are (quotes and backslashes). */
void cp_psa_put_quoted(FILE *f, const char *s);
/* kube's joinQuote: "a", "b". */
void cp_psa_join_quote(FILE *f, const struct cp_psa_names *s);
void cp_psa_join(FILE *f, const struct cp_psa_names *s, const char *sep);
const char *cp_psa_plural(const char *one, const char *many, size_t n);
/* "pod and containers "a"" or "containers "a"" or "pod". */
void cp_psa_setters(FILE *f, int pod, const struct cp_psa_names *bad);

/* The containers kube's visitContainers walks: init, app, ephemeral.
 * Start with {spec, 0, 0}; next gives each container object, then
 * NULL. */
struct cp_psa_citer {
  json_object *spec;
  int list;
  size_t i;
};
json_object *cp_psa_next_container(struct cp_psa_citer *it);

/* o's securityContext when it is an object, else NULL. */
json_object *cp_psa_sc_of(json_object *o);
/* 1 true, 0 false, -1 unset (or not a boolean). */
int cp_psa_tristate(json_object *o, const char *k);
const char *cp_psa_str_or_empty(json_object *o, const char *k);
/* Whether x is in the NULL-terminated list. */
int cp_psa_in_list(const char *x, const char *const *list);
/* Capabilities added beyond allowed (NULL-terminated); for baseline
 * (the default set) and restricted (NET_BIND_SERVICE only). */
void cp_psa_added_caps(const struct cp_psa_pod *p, const char *const *allowed,
                       struct cp_psa_names *bad, struct cp_psa_names *caps);

#endif /* CPLANE_HOST_APISERVER_PODSECURITY_WALK_H */
