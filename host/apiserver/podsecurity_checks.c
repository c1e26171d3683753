/*
 * podsecurity_checks - see podsecurity_checks.h. One function per kube
 * check (policy/check_<id>.go), in kube's order; each adds at most one
 * "reason (detail)" to the result.
 */
#include "apiserver/podsecurity_checks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/verbs.h"

/* A list of borrowed strings: in order (names_add) or sorted and unique
 * like Go's sets.String.List() (names_set). */
struct names {
  const char **v;
  size_t n, cap;
  int oom;
};

static void names_insert(struct names *s, size_t at, const char *x) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 8;
    const char **v = realloc(s->v, cap * sizeof *v);

    if (v == NULL) {
      s->oom = 1;
      return;
    }
    s->v = v;
    s->cap = cap;
  }
  memmove(s->v + at + 1, s->v + at, (s->n - at) * sizeof *s->v);
  s->v[at] = x;
  s->n++;
}

static void names_add(struct names *s, const char *x) {
  names_insert(s, s->n, x != NULL ? x : "");
}

static void names_set(struct names *s, const char *x) {
  size_t i;

  if (x == NULL)
    x = "";
  for (i = 0; i < s->n; i++) {
    int c = strcmp(s->v[i], x);

    if (c == 0)
      return;
    if (c > 0)
      break;
  }
  names_insert(s, i, x);
}

static void names_free(struct names *s) { free(s->v); }

/* Go's %q for the plain strings these are (quotes and backslashes). */
static void put_quoted(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s != '\0'; s++) {
    if (*s == '"' || *s == '\\')
      fputc('\\', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

/* kube's joinQuote: "a", "b". */
static void join_quote(FILE *f, const struct names *s) {
  size_t i;

  for (i = 0; i < s->n; i++) {
    if (i > 0)
      fputs(", ", f);
    put_quoted(f, s->v[i]);
  }
}

static void join(FILE *f, const struct names *s, const char *sep) {
  size_t i;

  for (i = 0; i < s->n; i++)
    fprintf(f, "%s%s", i > 0 ? sep : "", s->v[i]);
}

static const char *plural(const char *one, const char *many, size_t n) {
  return n == 1 ? one : many;
}

/* What the checks found, written as they go. */
struct result {
  FILE *full, *brief;
  int n;
  int oom;
};

/* A detail being written: begin, fprintf to d->f, then end. */
struct detail {
  FILE *f;
  char *buf;
  size_t len;
};

static FILE *detail_begin(struct detail *d) {
  d->buf = NULL;
  d->f = open_memstream(&d->buf, &d->len);
  return d->f;
}

static void detail_end(struct result *r, struct detail *d,
                       const char *reason) {
  if (d->f == NULL || fclose(d->f) != 0 || d->buf == NULL) {
    r->oom = 1;
    free(d->buf);
    return;
  }
  fprintf(r->full, "%s%s (%s)", r->n > 0 ? ", " : "", reason, d->buf);
  fprintf(r->brief, "%s%s", r->n > 0 ? ", " : "", reason);
  r->n++;
  free(d->buf);
}

/* The containers kube's visitContainers walks: init, app, ephemeral. */
struct citer {
  json_object *spec;
  int list;
  size_t i;
};

static json_object *next_container(struct citer *it) {
  static const char *const lists[] = {"initContainers", "containers",
                                      "ephemeralContainers"};

  for (; it->list < 3; it->list++, it->i = 0) {
    json_object *a = get(it->spec, lists[it->list]);

    while (json_object_is_type(a, json_type_array) &&
           it->i < json_object_array_length(a)) {
      json_object *c = json_object_array_get_idx(a, it->i++);

      if (json_object_is_type(c, json_type_object))
        return c;
    }
  }
  return NULL;
}

static json_object *sc_of(json_object *o) {
  json_object *sc = get(o, "securityContext");

  return json_object_is_type(sc, json_type_object) ? sc : NULL;
}

/* 1 true, 0 false, -1 unset (or not a boolean). */
static int tristate(json_object *o, const char *k) {
  json_object *v = get(o, k);

  if (!json_object_is_type(v, json_type_boolean))
    return -1;
  return json_object_get_boolean(v);
}

static const char *str_or_empty(json_object *o, const char *k) {
  const char *s = get_str(o, k);

  return s != NULL ? s : "";
}

struct pod {
  json_object *meta, *spec, *psc; /* psc: spec.securityContext */
  int minor;                      /* 0: latest */
  int windows;                    /* spec.os.name == windows */
};

static int since(const struct pod *p, int minor) {
  return p->minor == 0 || p->minor >= minor;
}

/* "pod and containers "a"" or "containers "a"" or "pod". */
static void setters(FILE *f, int pod, const struct names *bad) {
  if (pod)
    fputs("pod", f);
  if (pod && bad->n > 0)
    fputs(" and ", f);
  if (bad->n > 0) {
    fprintf(f, "%s ", plural("container", "containers", bad->n));
    join_quote(f, bad);
  }
}

/* ---- baseline */

static void check_apparmor(const struct pod *p, struct result *r) {
  static const char prefix[] = "container.apparmor.security.beta.kubernetes.io/";
  json_object *ann = get(p->meta, "annotations");
  struct names bad = {0};
  struct detail d;
  char **owned = NULL;
  size_t n = 0, i;

  if (!json_object_is_type(ann, json_type_object))
    return;
  json_object_object_foreach(ann, k, v) {
    const char *val = json_object_is_type(v, json_type_string)
                          ? json_object_get_string(v)
                          : "";
    char *item = NULL, **grown;
    size_t len;
    FILE *f;

    if (strncmp(k, prefix, sizeof prefix - 1) != 0 || val[0] == '\0' ||
        strcmp(val, "runtime/default") == 0 ||
        strncmp(val, "localhost/", 10) == 0)
      continue;
    if ((f = open_memstream(&item, &len)) == NULL)
      continue;
    fprintf(f, "%s=", k);
    put_quoted(f, val);
    fclose(f);
    if (item == NULL ||
        (grown = realloc(owned, (n + 1) * sizeof *owned)) == NULL) {
      free(item);
      r->oom = 1;
      continue;
    }
    owned = grown;
    owned[n++] = item;
    names_set(&bad, item);
  }
  if (bad.n > 0 && detail_begin(&d) != NULL) {
    join(d.f, &bad, ", ");
    detail_end(r, &d,
               plural("forbidden AppArmor profile",
                      "forbidden AppArmor profiles", bad.n));
  }
  for (i = 0; i < n; i++)
    free(owned[i]);
  free(owned);
  names_free(&bad);
}

static int in_list(const char *x, const char *const *list) {
  for (; *list != NULL; list++)
    if (strcmp(x, *list) == 0)
      return 1;
  return 0;
}

/* Capabilities added beyond allowed (NULL-terminated); for baseline
 * (the default set) and restricted (NET_BIND_SERVICE only). */
static void added_caps(const struct pod *p, const char *const *allowed,
                       struct names *bad, struct names *caps) {
  struct citer it = {p->spec, 0, 0};
  json_object *c;

  while ((c = next_container(&it)) != NULL) {
    json_object *add = get(get(sc_of(c), "capabilities"), "add");
    int found = 0;
    size_t i;

    for (i = 0; json_object_is_type(add, json_type_array) &&
                i < json_object_array_length(add);
         i++) {
      const char *cap = json_object_get_string(json_object_array_get_idx(add, i));

      if (cap != NULL && !in_list(cap, allowed)) {
        found = 1;
        names_set(caps, cap);
      }
    }
    if (found)
      names_add(bad, get_str(c, "name"));
  }
}

static void check_capabilities_baseline(const struct pod *p,
                                        struct result *r) {
  static const char *const allowed[] = {
      "AUDIT_WRITE", "CHOWN",  "DAC_OVERRIDE", "FOWNER",  "FSETID",
      "KILL",        "MKNOD",  "NET_BIND_SERVICE", "SETFCAP", "SETGID",
      "SETPCAP",     "SETUID", "SYS_CHROOT",   NULL};
  struct names bad = {0}, caps = {0};
  struct detail d;

  added_caps(p, allowed, &bad, &caps);
  if (bad.n > 0 && detail_begin(&d) != NULL) {
    fprintf(d.f, "%s ", plural("container", "containers", bad.n));
    join_quote(d.f, &bad);
    fputs(" must not include ", d.f);
    join_quote(d.f, &caps);
    fputs(" in securityContext.capabilities.add", d.f);
    detail_end(r, &d, "non-default capabilities");
  }
  names_free(&bad);
  names_free(&caps);
}

static void check_host_namespaces(const struct pod *p, struct result *r) {
  struct names set = {0};
  struct detail d;

  if (tristate(p->spec, "hostIPC") == 1)
    names_set(&set, "hostIPC=true");
  if (tristate(p->spec, "hostNetwork") == 1)
    names_set(&set, "hostNetwork=true");
  if (tristate(p->spec, "hostPID") == 1)
    names_set(&set, "hostPID=true");
  if (set.n > 0 && detail_begin(&d) != NULL) {
    join(d.f, &set, ", ");
    detail_end(r, &d, "host namespaces");
  }
  names_free(&set);
}

static void check_hostpath_volumes(const struct pod *p, struct result *r) {
  json_object *vols = get(p->spec, "volumes");
  struct names bad = {0};
  struct detail d;
  size_t i;

  for (i = 0; json_object_is_type(vols, json_type_array) &&
              i < json_object_array_length(vols);
       i++) {
    json_object *v = json_object_array_get_idx(vols, i);

    if (get(v, "hostPath") != NULL)
      names_add(&bad, get_str(v, "name"));
  }
  if (bad.n > 0 && detail_begin(&d) != NULL) {
    fprintf(d.f, "%s ", plural("volume", "volumes", bad.n));
    join_quote(d.f, &bad);
    detail_end(r, &d, "hostPath volumes");
  }
  names_free(&bad);
}

static void check_host_ports(const struct pod *p, struct result *r) {
  struct citer it = {p->spec, 0, 0};
  struct names bad = {0}, ports = {0};
  char (*bufs)[16] = NULL;
  size_t n_bufs = 0;
  struct detail d;
  json_object *c;

  while ((c = next_container(&it)) != NULL) {
    json_object *ps = get(c, "ports");
    int found = 0;
    size_t i;

    for (i = 0; json_object_is_type(ps, json_type_array) &&
                i < json_object_array_length(ps);
         i++) {
      json_object *hp = get(json_object_array_get_idx(ps, i), "hostPort");
      char (*grown)[16];

      if (!json_object_is_type(hp, json_type_int) ||
          json_object_get_int64(hp) == 0)
        continue;
      found = 1;
      /* The strings outlive the loop: the set borrows them. */
      grown = realloc(bufs, (n_bufs + 1) * sizeof *bufs);
      if (grown == NULL) {
        r->oom = 1;
        continue;
      }
      bufs = grown;
      snprintf(bufs[n_bufs], sizeof bufs[n_bufs], "%lld",
               (long long)json_object_get_int64(hp));
      n_bufs++;
    }
    if (found)
      names_add(&bad, get_str(c, "name"));
  }
  /* Inserted after the walk: realloc may have moved earlier ones. */
  for (size_t i = 0; i < n_bufs; i++)
    names_set(&ports, bufs[i]);
  if (bad.n > 0 && detail_begin(&d) != NULL) {
    fprintf(d.f, "%s ", plural("container", "containers", bad.n));
    join_quote(d.f, &bad);
    fprintf(d.f, " %s %s ", plural("uses", "use", bad.n),
            plural("hostPort", "hostPorts", ports.n));
    join(d.f, &ports, ", ");
    detail_end(r, &d, "hostPort");
  }
  free(bufs);
  names_free(&bad);
  names_free(&ports);
}

static void check_privileged(const struct pod *p, struct result *r) {
  struct citer it = {p->spec, 0, 0};
  struct names bad = {0};
  struct detail d;
  json_object *c;

  while ((c = next_container(&it)) != NULL)
    if (tristate(sc_of(c), "privileged") == 1)
      names_add(&bad, get_str(c, "name"));
  if (bad.n > 0 && detail_begin(&d) != NULL) {
    fprintf(d.f, "%s ", plural("container", "containers", bad.n));
    join_quote(d.f, &bad);
    fputs(" must not set securityContext.privileged=true", d.f);
    detail_end(r, &d, "privileged");
  }
  names_free(&bad);
}

static void check_proc_mount(const struct pod *p, struct result *r) {
  struct citer it = {p->spec, 0, 0};
  struct names bad = {0}, types = {0};
  struct detail d;
  json_object *c;

  while ((c = next_container(&it)) != NULL) {
    const char *pm = get_str(sc_of(c), "procMount");

    if (pm != NULL && strcmp(pm, "Default") != 0) {
      names_add(&bad, get_str(c, "name"));
      names_set(&types, pm);
    }
  }
  if (bad.n > 0 && detail_begin(&d) != NULL) {
    fprintf(d.f, "%s ", plural("container", "containers", bad.n));
    join_quote(d.f, &bad);
    fputs(" must not set securityContext.procMount to ", d.f);
    join_quote(d.f, &types);
    detail_end(r, &d, "procMount");
  }
  names_free(&bad);
  names_free(&types);
}

struct selinux_found {
  struct names types;
  int user, role;
};

/* 1 when opts (a seLinuxOptions object) is allowed. */
static int selinux_ok(json_object *opts, struct selinux_found *f) {
  static const char *const types[] = {"", "container_t", "container_init_t",
                                      "container_kvm_t", NULL};
  const char *t = str_or_empty(opts, "type");
  int ok = 1;

  if (!in_list(t, types)) {
    names_set(&f->types, t);
    ok = 0;
  }
  if (str_or_empty(opts, "user")[0] != '\0')
    ok = 0, f->user = 1;
  if (str_or_empty(opts, "role")[0] != '\0')
    ok = 0, f->role = 1;
  return ok;
}

static void check_selinux(const struct pod *p, struct result *r) {
  struct selinux_found f = {{0}, 0, 0};
  struct citer it = {p->spec, 0, 0};
  struct names bad = {0};
  struct detail d;
  json_object *c, *opts;
  int pod_bad = 0, first = 1;

  opts = get(p->psc, "seLinuxOptions");
  if (json_object_is_type(opts, json_type_object) && !selinux_ok(opts, &f))
    pod_bad = 1;
  while ((c = next_container(&it)) != NULL) {
    opts = get(sc_of(c), "seLinuxOptions");
    if (json_object_is_type(opts, json_type_object) && !selinux_ok(opts, &f))
      names_add(&bad, get_str(c, "name"));
  }
  if ((pod_bad || bad.n > 0) && detail_begin(&d) != NULL) {
    setters(d.f, pod_bad, &bad);
    fputs(" set forbidden securityContext.seLinuxOptions: ", d.f);
    if (f.types.n > 0) {
      fprintf(d.f, "%s ", plural("type", "types", f.types.n));
      join_quote(d.f, &f.types);
      first = 0;
    }
    if (f.user)
      fprintf(d.f, "%suser may not be set", first ? "" : "; "), first = 0;
    if (f.role)
      fprintf(d.f, "%srole may not be set", first ? "" : "; ");
    detail_end(r, &d, "seLinuxOptions");
  }
  names_free(&f.types);
  names_free(&bad);
}

static int seccomp_ok(const char *t) {
  return strcmp(t, "RuntimeDefault") == 0 || strcmp(t, "Localhost") == 0;
}

/* kube's seccompProfile checks; required: restricted's (unset is bad
 * unless the pod sets a good one). */
static void check_seccomp(const struct pod *p, struct result *r,
                          int required) {
  json_object *prof = get(p->psc, "seccompProfile"), *c;
  struct names bad = {0}, implicit = {0}, values = {0};
  struct citer it = {p->spec, 0, 0};
  int pod_bad = 0, pod_set = 0;
  struct detail d;

  if (prof != NULL) {
    if (!seccomp_ok(str_or_empty(prof, "type"))) {
      pod_bad = 1;
      names_set(&values, str_or_empty(prof, "type"));
    } else {
      pod_set = 1;
    }
  }
  while ((c = next_container(&it)) != NULL) {
    json_object *cp = get(sc_of(c), "seccompProfile");

    if (cp != NULL) {
      if (!seccomp_ok(str_or_empty(cp, "type"))) {
        names_add(&bad, get_str(c, "name"));
        names_set(&values, str_or_empty(cp, "type"));
      }
    } else if (!pod_set) {
      names_add(&implicit, get_str(c, "name"));
    }
  }
  if ((pod_bad || bad.n > 0) && detail_begin(&d) != NULL) {
    setters(d.f, pod_bad, &bad);
    fputs(" must not set securityContext.seccompProfile.type to ", d.f);
    join_quote(d.f, &values);
    detail_end(r, &d, "seccompProfile");
  } else if (required && implicit.n > 0 && detail_begin(&d) != NULL) {
    fprintf(d.f, "pod or %s ", plural("container", "containers", implicit.n));
    join_quote(d.f, &implicit);
    fputs(" must set securityContext.seccompProfile.type to "
          "\"RuntimeDefault\" or \"Localhost\"",
          d.f);
    detail_end(r, &d, "seccompProfile");
  }
  names_free(&bad);
  names_free(&implicit);
  names_free(&values);
}

/* The safe sysctls, growing with the policy version as in kube. */
static int sysctl_allowed(const struct pod *p, const char *name) {
  static const struct {
    const char *name;
    int minor;
  } safe[] = {
      {"kernel.shm_rmid_forced", 0},
      {"net.ipv4.ip_local_port_range", 0},
      {"net.ipv4.tcp_syncookies", 0},
      {"net.ipv4.ping_group_range", 0},
      {"net.ipv4.ip_unprivileged_port_start", 0},
      {"net.ipv4.ip_local_reserved_ports", 27},
      {"net.ipv4.tcp_keepalive_time", 29},
      {"net.ipv4.tcp_fin_timeout", 29},
      {"net.ipv4.tcp_keepalive_intvl", 29},
      {"net.ipv4.tcp_keepalive_probes", 29},
      {"net.ipv4.tcp_rmem", 32},
      {"net.ipv4.tcp_wmem", 32},
  };
  size_t i;

  for (i = 0; i < sizeof safe / sizeof safe[0]; i++)
    if (strcmp(safe[i].name, name) == 0)
      return since(p, safe[i].minor);
  return 0;
}

static void check_sysctls(const struct pod *p, struct result *r) {
  json_object *list = get(p->psc, "sysctls");
  struct names bad = {0};
  struct detail d;
  size_t i;

  for (i = 0; json_object_is_type(list, json_type_array) &&
              i < json_object_array_length(list);
       i++) {
    const char *n = str_or_empty(json_object_array_get_idx(list, i), "name");

    if (!sysctl_allowed(p, n))
      names_add(&bad, n);
  }
  if (bad.n > 0 && detail_begin(&d) != NULL) {
    join(d.f, &bad, ", ");
    detail_end(r, &d, "forbidden sysctls");
  }
  names_free(&bad);
}

static void check_host_process(const struct pod *p, struct result *r) {
  struct citer it = {p->spec, 0, 0};
  struct names bad = {0};
  struct detail d;
  json_object *c;
  int pod_bad = tristate(get(p->psc, "windowsOptions"), "hostProcess") == 1;

  while ((c = next_container(&it)) != NULL)
    if (tristate(get(sc_of(c), "windowsOptions"), "hostProcess") == 1)
      names_add(&bad, get_str(c, "name"));
  if ((pod_bad || bad.n > 0) && detail_begin(&d) != NULL) {
    setters(d.f, pod_bad, &bad);
    fputs(" must not set securityContext.windowsOptions.hostProcess=true",
          d.f);
    detail_end(r, &d, "hostProcess");
  }
  names_free(&bad);
}

/* ---- restricted */

static void check_privilege_escalation(const struct pod *p,
                                       struct result *r) {
  struct citer it = {p->spec, 0, 0};
  struct names bad = {0};
  struct detail d;
  json_object *c;

  /* Windows pods are exempt since 1.25. */
  if (p->windows && since(p, 25))
    return;
  while ((c = next_container(&it)) != NULL)
    if (tristate(sc_of(c), "allowPrivilegeEscalation") != 0)
      names_add(&bad, get_str(c, "name"));
  if (bad.n > 0 && detail_begin(&d) != NULL) {
    fprintf(d.f, "%s ", plural("container", "containers", bad.n));
    join_quote(d.f, &bad);
    fputs(" must set securityContext.allowPrivilegeEscalation=false", d.f);
    detail_end(r, &d, "allowPrivilegeEscalation != false");
  }
  names_free(&bad);
}

static void check_capabilities_restricted(const struct pod *p,
                                          struct result *r) {
  static const char *const allowed[] = {"NET_BIND_SERVICE", NULL};
  struct names no_drop = {0}, adding = {0}, caps = {0};
  struct citer it = {p->spec, 0, 0};
  struct detail d;
  json_object *c;

  if (p->windows && since(p, 25))
    return;
  while ((c = next_container(&it)) != NULL) {
    json_object *capobj = get(sc_of(c), "capabilities");
    json_object *drop = get(capobj, "drop");
    int all = 0;
    size_t i;

    for (i = 0; json_object_is_type(drop, json_type_array) &&
                i < json_object_array_length(drop);
         i++) {
      const char *x = json_object_get_string(json_object_array_get_idx(drop, i));

      if (x != NULL && strcmp(x, "ALL") == 0)
        all = 1;
    }
    if (!all)
      names_add(&no_drop, get_str(c, "name"));
  }
  added_caps(p, allowed, &adding, &caps);
  if ((no_drop.n > 0 || adding.n > 0) && detail_begin(&d) != NULL) {
    if (no_drop.n > 0) {
      fprintf(d.f, "%s ", plural("container", "containers", no_drop.n));
      join_quote(d.f, &no_drop);
      fputs(" must set securityContext.capabilities.drop=[\"ALL\"]", d.f);
    }
    if (adding.n > 0) {
      fprintf(d.f, "%s%s ", no_drop.n > 0 ? "; " : "",
              plural("container", "containers", adding.n));
      join_quote(d.f, &adding);
      fputs(" must not include ", d.f);
      join_quote(d.f, &caps);
      fputs(" in securityContext.capabilities.add", d.f);
    }
    detail_end(r, &d, "unrestricted capabilities");
  }
  names_free(&no_drop);
  names_free(&adding);
  names_free(&caps);
}

/* The volume sources restricted allows. */
static int volume_allowed(json_object *v, const char **type) {
  static const char *const ok[] = {"configMap", "csi", "downwardAPI",
                                   "emptyDir", "ephemeral",
                                   "persistentVolumeClaim", "projected",
                                   "secret", NULL};
  static const char *const known[] = {
      "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo",
      "nfs", "iscsi", "glusterfs", "rbd", "flexVolume", "cinder", "cephfs",
      "flocker", "fc", "azureFile", "vsphereVolume", "quobyte", "azureDisk",
      "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos",
      "image", NULL};
  size_t i;

  for (i = 0; ok[i] != NULL; i++)
    if (get(v, ok[i]) != NULL)
      return 1;
  for (i = 0; known[i] != NULL; i++) {
    if (get(v, known[i]) != NULL) {
      *type = known[i];
      return 0;
    }
  }
  *type = "unknown";
  return 0;
}

static void check_restricted_volumes(const struct pod *p, struct result *r) {
  json_object *vols = get(p->spec, "volumes");
  struct names bad = {0}, types = {0};
  struct detail d;
  size_t i;

  for (i = 0; json_object_is_type(vols, json_type_array) &&
              i < json_object_array_length(vols);
       i++) {
    json_object *v = json_object_array_get_idx(vols, i);
    const char *type;

    if (volume_allowed(v, &type))
      continue;
    names_add(&bad, get_str(v, "name"));
    names_set(&types, type);
  }
  if (bad.n > 0 && detail_begin(&d) != NULL) {
    fprintf(d.f, "%s ", plural("volume", "volumes", bad.n));
    join_quote(d.f, &bad);
    fprintf(d.f, " %s %s ", plural("uses", "use", bad.n),
            plural("restricted volume type", "restricted volume types",
                   types.n));
    join_quote(d.f, &types);
    detail_end(r, &d, "restricted volume types");
  }
  names_free(&bad);
  names_free(&types);
}

static void check_run_as_non_root(const struct pod *p, struct result *r) {
  struct names bad = {0}, implicit = {0};
  struct citer it = {p->spec, 0, 0};
  int pod = tristate(p->psc, "runAsNonRoot");
  struct detail d;
  json_object *c;

  while ((c = next_container(&it)) != NULL) {
    int v = tristate(sc_of(c), "runAsNonRoot");

    if (v == 0)
      names_add(&bad, get_str(c, "name"));
    else if (v < 0 && pod != 1)
      names_add(&implicit, get_str(c, "name"));
  }
  if ((pod == 0 || bad.n > 0) && detail_begin(&d) != NULL) {
    setters(d.f, pod == 0, &bad);
    fputs(" must not set securityContext.runAsNonRoot=false", d.f);
    detail_end(r, &d, "runAsNonRoot != true");
  } else if (implicit.n > 0 && detail_begin(&d) != NULL) {
    fprintf(d.f, "pod or %s ", plural("container", "containers", implicit.n));
    join_quote(d.f, &implicit);
    fputs(" must set securityContext.runAsNonRoot=true", d.f);
    detail_end(r, &d, "runAsNonRoot != true");
  }
  names_free(&bad);
  names_free(&implicit);
}

static int is_zero(json_object *o, const char *k) {
  json_object *v = get(o, k);

  return json_object_is_type(v, json_type_int) && json_object_get_int64(v) == 0;
}

static void check_run_as_user(const struct pod *p, struct result *r) {
  struct citer it = {p->spec, 0, 0};
  int pod_bad = is_zero(p->psc, "runAsUser");
  struct names bad = {0};
  struct detail d;
  json_object *c;

  while ((c = next_container(&it)) != NULL)
    if (is_zero(sc_of(c), "runAsUser"))
      names_add(&bad, get_str(c, "name"));
  if ((pod_bad || bad.n > 0) && detail_begin(&d) != NULL) {
    setters(d.f, pod_bad, &bad);
    fputs(" must not set runAsUser=0", d.f);
    detail_end(r, &d, "runAsUser=0");
  }
  names_free(&bad);
}

const char *cp_psa_level_name(int level) {
  switch (level) {
  case CP_PSA_BASELINE:
    return "baseline";
  case CP_PSA_RESTRICTED:
    return "restricted";
  default:
    return "privileged";
  }
}

/* The checks of level, in kube's order. */
static void run_checks(const struct pod *p, int level, struct result *r) {
  int restricted = level >= CP_PSA_RESTRICTED;

  check_apparmor(p, r);
  if (!restricted || !since(p, 22))
    check_capabilities_baseline(p, r);
  check_host_namespaces(p, r);
  if (!restricted)
    check_hostpath_volumes(p, r);
  check_host_ports(p, r);
  check_privileged(p, r);
  check_proc_mount(p, r);
  check_selinux(p, r);
  if (!restricted || !since(p, 19))
    check_seccomp(p, r, 0);
  check_sysctls(p, r);
  check_host_process(p, r);
  if (!restricted)
    return;
  if (since(p, 8))
    check_privilege_escalation(p, r);
  if (since(p, 22))
    check_capabilities_restricted(p, r);
  check_restricted_volumes(p, r);
  check_run_as_non_root(p, r);
  if (since(p, 23))
    check_run_as_user(p, r);
  if (since(p, 19) && !(p->windows && since(p, 25)))
    check_seccomp(p, r, 1);
}

int cp_psa_check(json_object *meta, json_object *spec, int level, int minor,
                 char **detailed, char **reasons) {
  struct pod p = {meta, spec, sc_of(spec), minor, 0};
  struct result r = {NULL, NULL, 0, 0};
  char *full = NULL, *brief = NULL;
  size_t full_len, brief_len;
  const char *os = get_str(get(spec, "os"), "name");
  int n = -1;

  if (detailed != NULL)
    *detailed = NULL;
  if (reasons != NULL)
    *reasons = NULL;
  if (level <= CP_PSA_PRIVILEGED)
    return 0;
  p.windows = os != NULL && strcmp(os, "windows") == 0;
  r.full = open_memstream(&full, &full_len);
  r.brief = open_memstream(&brief, &brief_len);
  if (r.full == NULL || r.brief == NULL)
    goto out;
  run_checks(&p, level, &r);
  if (fclose(r.full) != 0)
    r.oom = 1;
  if (fclose(r.brief) != 0)
    r.oom = 1;
  r.full = r.brief = NULL;
  if (r.oom || full == NULL || brief == NULL)
    goto out;
  n = r.n;
  if (n > 0 && detailed != NULL)
    *detailed = full, full = NULL;
  if (n > 0 && reasons != NULL)
    *reasons = brief, brief = NULL;
out:
  if (r.full != NULL)
    fclose(r.full);
  if (r.brief != NULL)
    fclose(r.brief);
  free(full);
  free(brief);
  return n;
}
