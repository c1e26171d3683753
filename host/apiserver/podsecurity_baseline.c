/*
 * podsecurity_baseline - see podsecurity_baseline.h.
 */
#include "apiserver/podsecurity_baseline.h"

#include <stdlib.h>
#include <string.h>

#include "apiserver/verbs.h"

static void check_apparmor(const struct cp_psa_pod *p,
                           struct cp_psa_result *r) {
  static const char prefix[] =
      "container.apparmor.security.beta.kubernetes.io/";
  json_object *ann = get(p->meta, "annotations");
  struct cp_psa_names bad = {0};
  struct cp_psa_detail d;
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
    cp_psa_put_quoted(f, val);
    fclose(f);
    if (item == NULL ||
        (grown = realloc(owned, (n + 1) * sizeof *owned)) == NULL) {
      free(item);
      r->oom = 1;
      continue;
    }
    owned = grown;
    owned[n++] = item;
    cp_psa_names_set(&bad, item);
  }
  if (bad.n > 0 && cp_psa_detail_begin(&d) != NULL) {
    cp_psa_join(d.f, &bad, ", ");
    cp_psa_detail_end(r, &d,
                      cp_psa_plural("forbidden AppArmor profile",
                                    "forbidden AppArmor profiles", bad.n));
  }
  for (i = 0; i < n; i++)
    free(owned[i]);
  free(owned);
  cp_psa_names_free(&bad);
}

static void check_capabilities_baseline(const struct cp_psa_pod *p,
                                        struct cp_psa_result *r) {
  static const char *const allowed[] = {
      "AUDIT_WRITE", "CHOWN",  "DAC_OVERRIDE",     "FOWNER",  "FSETID",
      "KILL",        "MKNOD",  "NET_BIND_SERVICE", "SETFCAP", "SETGID",
      "SETPCAP",     "SETUID", "SYS_CHROOT",       NULL};
  struct cp_psa_names bad = {0}, caps = {0};
  struct cp_psa_detail d;

  cp_psa_added_caps(p, allowed, &bad, &caps);
  if (bad.n > 0 && cp_psa_detail_begin(&d) != NULL) {
    cp_psa_setters(d.f, 0, &bad);
    fputs(" must not include ", d.f);
    cp_psa_join_quote(d.f, &caps);
    fputs(" in securityContext.capabilities.add", d.f);
    cp_psa_detail_end(r, &d, "non-default capabilities");
  }
  cp_psa_names_free(&bad);
  cp_psa_names_free(&caps);
}

static void check_host_namespaces(const struct cp_psa_pod *p,
                                  struct cp_psa_result *r) {
  struct cp_psa_names set = {0};
  struct cp_psa_detail d;

  if (cp_psa_tristate(p->spec, "hostIPC") == 1)
    cp_psa_names_set(&set, "hostIPC=true");
  if (cp_psa_tristate(p->spec, "hostNetwork") == 1)
    cp_psa_names_set(&set, "hostNetwork=true");
  if (cp_psa_tristate(p->spec, "hostPID") == 1)
    cp_psa_names_set(&set, "hostPID=true");
  if (set.n > 0 && cp_psa_detail_begin(&d) != NULL) {
    cp_psa_join(d.f, &set, ", ");
    cp_psa_detail_end(r, &d, "host namespaces");
  }
  cp_psa_names_free(&set);
}

static void check_hostpath_volumes(const struct cp_psa_pod *p,
                                   struct cp_psa_result *r) {
  json_object *vols = get(p->spec, "volumes");
  struct cp_psa_names bad = {0};
  struct cp_psa_detail d;
  size_t i;

  for (i = 0; json_object_is_type(vols, json_type_array) &&
              i < json_object_array_length(vols);
       i++) {
    json_object *v = json_object_array_get_idx(vols, i);

    if (get(v, "hostPath") != NULL)
      cp_psa_names_add(&bad, get_str(v, "name"));
  }
  if (bad.n > 0 && cp_psa_detail_begin(&d) != NULL) {
    fprintf(d.f, "%s ", cp_psa_plural("volume", "volumes", bad.n));
    cp_psa_join_quote(d.f, &bad);
    cp_psa_detail_end(r, &d, "hostPath volumes");
  }
  cp_psa_names_free(&bad);
}

static void check_host_ports(const struct cp_psa_pod *p,
                             struct cp_psa_result *r) {
  struct cp_psa_citer it = {p->spec, 0, 0};
  struct cp_psa_names bad = {0}, ports = {0};
  char(*bufs)[16] = NULL;
  size_t n_bufs = 0;
  struct cp_psa_detail d;
  json_object *c;

  while ((c = cp_psa_next_container(&it)) != NULL) {
    json_object *ps = get(c, "ports");
    int found = 0;
    size_t i;

    for (i = 0; json_object_is_type(ps, json_type_array) &&
                i < json_object_array_length(ps);
         i++) {
      json_object *hp = get(json_object_array_get_idx(ps, i), "hostPort");
      char(*grown)[16];

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
      cp_psa_names_add(&bad, get_str(c, "name"));
  }
  /* Inserted after the walk: realloc may have moved earlier ones. */
  for (size_t i = 0; i < n_bufs; i++)
    cp_psa_names_set(&ports, bufs[i]);
  if (bad.n > 0 && cp_psa_detail_begin(&d) != NULL) {
    cp_psa_setters(d.f, 0, &bad);
    fprintf(d.f, " %s %s ", cp_psa_plural("uses", "use", bad.n),
            cp_psa_plural("hostPort", "hostPorts", ports.n));
    cp_psa_join(d.f, &ports, ", ");
    cp_psa_detail_end(r, &d, "hostPort");
  }
  free(bufs);
  cp_psa_names_free(&bad);
  cp_psa_names_free(&ports);
}

static void check_privileged(const struct cp_psa_pod *p,
                             struct cp_psa_result *r) {
  struct cp_psa_citer it = {p->spec, 0, 0};
  struct cp_psa_names bad = {0};
  struct cp_psa_detail d;
  json_object *c;

  while ((c = cp_psa_next_container(&it)) != NULL)
    if (cp_psa_tristate(cp_psa_sc_of(c), "privileged") == 1)
      cp_psa_names_add(&bad, get_str(c, "name"));
  if (bad.n > 0 && cp_psa_detail_begin(&d) != NULL) {
    cp_psa_setters(d.f, 0, &bad);
    fputs(" must not set securityContext.privileged=true", d.f);
    cp_psa_detail_end(r, &d, "privileged");
  }
  cp_psa_names_free(&bad);
}

static void check_proc_mount(const struct cp_psa_pod *p,
                             struct cp_psa_result *r) {
  struct cp_psa_citer it = {p->spec, 0, 0};
  struct cp_psa_names bad = {0}, types = {0};
  struct cp_psa_detail d;
  json_object *c;

  while ((c = cp_psa_next_container(&it)) != NULL) {
    const char *pm = get_str(cp_psa_sc_of(c), "procMount");

    if (pm != NULL && strcmp(pm, "Default") != 0) {
      cp_psa_names_add(&bad, get_str(c, "name"));
      cp_psa_names_set(&types, pm);
    }
  }
  if (bad.n > 0 && cp_psa_detail_begin(&d) != NULL) {
    cp_psa_setters(d.f, 0, &bad);
    fputs(" must not set securityContext.procMount to ", d.f);
    cp_psa_join_quote(d.f, &types);
    cp_psa_detail_end(r, &d, "procMount");
  }
  cp_psa_names_free(&bad);
  cp_psa_names_free(&types);
}

struct selinux_found {
  struct cp_psa_names types;
  int user, role;
};

/* 1 when opts (a seLinuxOptions object) is allowed. */
static int selinux_ok(json_object *opts, struct selinux_found *f) {
  static const char *const types[] = {"", "container_t", "container_init_t",
                                      "container_kvm_t", NULL};
  const char *t = cp_psa_str_or_empty(opts, "type");
  int ok = 1;

  if (!cp_psa_in_list(t, types)) {
    cp_psa_names_set(&f->types, t);
    ok = 0;
  }
  if (cp_psa_str_or_empty(opts, "user")[0] != '\0')
    ok = 0, f->user = 1;
  if (cp_psa_str_or_empty(opts, "role")[0] != '\0')
    ok = 0, f->role = 1;
  return ok;
}

static void check_selinux(const struct cp_psa_pod *p, struct cp_psa_result *r) {
  struct selinux_found f = {{0}, 0, 0};
  struct cp_psa_citer it = {p->spec, 0, 0};
  struct cp_psa_names bad = {0};
  struct cp_psa_detail d;
  json_object *c, *opts;
  int pod_bad = 0, first = 1;

  opts = get(p->psc, "seLinuxOptions");
  if (json_object_is_type(opts, json_type_object) && !selinux_ok(opts, &f))
    pod_bad = 1;
  while ((c = cp_psa_next_container(&it)) != NULL) {
    opts = get(cp_psa_sc_of(c), "seLinuxOptions");
    if (json_object_is_type(opts, json_type_object) && !selinux_ok(opts, &f))
      cp_psa_names_add(&bad, get_str(c, "name"));
  }
  if ((pod_bad || bad.n > 0) && cp_psa_detail_begin(&d) != NULL) {
    cp_psa_setters(d.f, pod_bad, &bad);
    fputs(" set forbidden securityContext.seLinuxOptions: ", d.f);
    if (f.types.n > 0) {
      fprintf(d.f, "%s ", cp_psa_plural("type", "types", f.types.n));
      cp_psa_join_quote(d.f, &f.types);
      first = 0;
    }
    if (f.user)
      fprintf(d.f, "%suser may not be set", first ? "" : "; "), first = 0;
    if (f.role)
      fprintf(d.f, "%srole may not be set", first ? "" : "; ");
    cp_psa_detail_end(r, &d, "seLinuxOptions");
  }
  cp_psa_names_free(&f.types);
  cp_psa_names_free(&bad);
}

static int seccomp_ok(const char *t) {
  return strcmp(t, "RuntimeDefault") == 0 || strcmp(t, "Localhost") == 0;
}

/* kube's seccompProfile checks; required: restricted's (unset is bad
 * unless the pod sets a good one). */
void cp_psa_check_seccomp(const struct cp_psa_pod *p, struct cp_psa_result *r,
                          int required) {
  json_object *prof = get(p->psc, "seccompProfile"), *c;
  struct cp_psa_names bad = {0}, implicit = {0}, values = {0};
  struct cp_psa_citer it = {p->spec, 0, 0};
  int pod_bad = 0, pod_set = 0;
  struct cp_psa_detail d;

  if (prof != NULL) {
    if (!seccomp_ok(cp_psa_str_or_empty(prof, "type"))) {
      pod_bad = 1;
      cp_psa_names_set(&values, cp_psa_str_or_empty(prof, "type"));
    } else {
      pod_set = 1;
    }
  }
  while ((c = cp_psa_next_container(&it)) != NULL) {
    json_object *cp = get(cp_psa_sc_of(c), "seccompProfile");

    if (cp != NULL) {
      if (!seccomp_ok(cp_psa_str_or_empty(cp, "type"))) {
        cp_psa_names_add(&bad, get_str(c, "name"));
        cp_psa_names_set(&values, cp_psa_str_or_empty(cp, "type"));
      }
    } else if (!pod_set) {
      cp_psa_names_add(&implicit, get_str(c, "name"));
    }
  }
  if ((pod_bad || bad.n > 0) && cp_psa_detail_begin(&d) != NULL) {
    cp_psa_setters(d.f, pod_bad, &bad);
    fputs(" must not set securityContext.seccompProfile.type to ", d.f);
    cp_psa_join_quote(d.f, &values);
    cp_psa_detail_end(r, &d, "seccompProfile");
  } else if (required && implicit.n > 0 && cp_psa_detail_begin(&d) != NULL) {
    fputs("pod or ", d.f);
    cp_psa_setters(d.f, 0, &implicit);
    fputs(" must set securityContext.seccompProfile.type to "
          "\"RuntimeDefault\" or \"Localhost\"",
          d.f);
    cp_psa_detail_end(r, &d, "seccompProfile");
  }
  cp_psa_names_free(&bad);
  cp_psa_names_free(&implicit);
  cp_psa_names_free(&values);
}

/* The safe sysctls, growing with the policy version as in kube. */
static int sysctl_allowed(const struct cp_psa_pod *p, const char *name) {
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
      return cp_psa_since(p, safe[i].minor);
  return 0;
}

static void check_sysctls(const struct cp_psa_pod *p, struct cp_psa_result *r) {
  json_object *list = get(p->psc, "sysctls");
  struct cp_psa_names bad = {0};
  struct cp_psa_detail d;
  size_t i;

  for (i = 0; json_object_is_type(list, json_type_array) &&
              i < json_object_array_length(list);
       i++) {
    const char *n =
        cp_psa_str_or_empty(json_object_array_get_idx(list, i), "name");

    if (!sysctl_allowed(p, n))
      cp_psa_names_add(&bad, n);
  }
  if (bad.n > 0 && cp_psa_detail_begin(&d) != NULL) {
    cp_psa_join(d.f, &bad, ", ");
    cp_psa_detail_end(r, &d, "forbidden sysctls");
  }
  cp_psa_names_free(&bad);
}

static void check_host_process(const struct cp_psa_pod *p,
                               struct cp_psa_result *r) {
  struct cp_psa_citer it = {p->spec, 0, 0};
  struct cp_psa_names bad = {0};
  struct cp_psa_detail d;
  json_object *c;
  int pod_bad =
      cp_psa_tristate(get(p->psc, "windowsOptions"), "hostProcess") == 1;

  while ((c = cp_psa_next_container(&it)) != NULL)
    if (cp_psa_tristate(get(cp_psa_sc_of(c), "windowsOptions"),
                        "hostProcess") == 1)
      cp_psa_names_add(&bad, get_str(c, "name"));
  if ((pod_bad || bad.n > 0) && cp_psa_detail_begin(&d) != NULL) {
    cp_psa_setters(d.f, pod_bad, &bad);
    fputs(" must not set securityContext.windowsOptions.hostProcess=true", d.f);
    cp_psa_detail_end(r, &d, "hostProcess");
  }
  cp_psa_names_free(&bad);
}

void cp_psa_run_baseline(const struct cp_psa_pod *p, int restricted,
                         struct cp_psa_result *r) {
  check_apparmor(p, r);
  if (!restricted || !cp_psa_since(p, 22))
    check_capabilities_baseline(p, r);
  check_host_namespaces(p, r);
  if (!restricted)
    check_hostpath_volumes(p, r);
  check_host_ports(p, r);
  check_privileged(p, r);
  check_proc_mount(p, r);
  check_selinux(p, r);
  if (!restricted || !cp_psa_since(p, 19))
    cp_psa_check_seccomp(p, r, 0);
  check_sysctls(p, r);
  check_host_process(p, r);
}
