/*
 * podsecurity_restricted - see podsecurity_restricted.h.
 */
#include "apiserver/podsecurity_restricted.h"

#include <stdlib.h>
#include <string.h>

#include "apiserver/podsecurity_baseline.h"
#include "apiserver/verbs.h"

static void check_privilege_escalation(const struct cp_psa_pod *p,
                                       struct cp_psa_result *r) {
  struct cp_psa_citer it = {p->spec, 0, 0};
  struct cp_psa_names bad = {0};
  struct cp_psa_detail d;
  json_object *c;

  /* Windows pods are exempt since 1.25. */
  if (p->windows && cp_psa_since(p, 25))
    return;
  while ((c = cp_psa_next_container(&it)) != NULL)
    if (cp_psa_tristate(cp_psa_sc_of(c), "allowPrivilegeEscalation") != 0)
      cp_psa_names_add(&bad, get_str(c, "name"));
  if (bad.n > 0 && cp_psa_detail_begin(&d) != NULL) {
    cp_psa_setters(d.f, 0, &bad);
    fputs(" must set securityContext.allowPrivilegeEscalation=false", d.f);
    cp_psa_detail_end(r, &d, "allowPrivilegeEscalation != false");
  }
  cp_psa_names_free(&bad);
}

static void check_capabilities_restricted(const struct cp_psa_pod *p,
                                          struct cp_psa_result *r) {
  static const char *const allowed[] = {"NET_BIND_SERVICE", NULL};
  struct cp_psa_names no_drop = {0}, adding = {0}, caps = {0};
  struct cp_psa_citer it = {p->spec, 0, 0};
  struct cp_psa_detail d;
  json_object *c;

  if (p->windows && cp_psa_since(p, 25))
    return;
  while ((c = cp_psa_next_container(&it)) != NULL) {
    json_object *capobj = get(cp_psa_sc_of(c), "capabilities");
    json_object *drop = get(capobj, "drop");
    int all = 0;
    size_t i;

    for (i = 0; json_object_is_type(drop, json_type_array) &&
                i < json_object_array_length(drop);
         i++) {
      const char *x =
          json_object_get_string(json_object_array_get_idx(drop, i));

      if (x != NULL && strcmp(x, "ALL") == 0)
        all = 1;
    }
    if (!all)
      cp_psa_names_add(&no_drop, get_str(c, "name"));
  }
  cp_psa_added_caps(p, allowed, &adding, &caps);
  if ((no_drop.n > 0 || adding.n > 0) && cp_psa_detail_begin(&d) != NULL) {
    if (no_drop.n > 0) {
      cp_psa_setters(d.f, 0, &no_drop);
      fputs(" must set securityContext.capabilities.drop=[\"ALL\"]", d.f);
    }
    if (adding.n > 0) {
      fputs(no_drop.n > 0 ? "; " : "", d.f);
      cp_psa_setters(d.f, 0, &adding);
      fputs(" must not include ", d.f);
      cp_psa_join_quote(d.f, &caps);
      fputs(" in securityContext.capabilities.add", d.f);
    }
    cp_psa_detail_end(r, &d, "unrestricted capabilities");
  }
  cp_psa_names_free(&no_drop);
  cp_psa_names_free(&adding);
  cp_psa_names_free(&caps);
}

/* The volume sources restricted allows. */
static int volume_allowed(json_object *v, const char **type) {
  static const char *const ok[] = {
      "configMap", "csi",       "downwardAPI",
      "emptyDir",  "ephemeral", "persistentVolumeClaim",
      "projected", "secret",    NULL};
  static const char *const known[] = {"hostPath",
                                      "gcePersistentDisk",
                                      "awsElasticBlockStore",
                                      "gitRepo",
                                      "nfs",
                                      "iscsi",
                                      "glusterfs",
                                      "rbd",
                                      "flexVolume",
                                      "cinder",
                                      "cephfs",
                                      "flocker",
                                      "fc",
                                      "azureFile",
                                      "vsphereVolume",
                                      "quobyte",
                                      "azureDisk",
                                      "photonPersistentDisk",
                                      "portworxVolume",
                                      "scaleIO",
                                      "storageos",
                                      "image",
                                      NULL};
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

static void check_restricted_volumes(const struct cp_psa_pod *p,
                                     struct cp_psa_result *r) {
  json_object *vols = get(p->spec, "volumes");
  struct cp_psa_names bad = {0}, types = {0};
  struct cp_psa_detail d;
  size_t i;

  for (i = 0; json_object_is_type(vols, json_type_array) &&
              i < json_object_array_length(vols);
       i++) {
    json_object *v = json_object_array_get_idx(vols, i);
    const char *type;

    if (volume_allowed(v, &type))
      continue;
    cp_psa_names_add(&bad, get_str(v, "name"));
    cp_psa_names_set(&types, type);
  }
  if (bad.n > 0 && cp_psa_detail_begin(&d) != NULL) {
    fprintf(d.f, "%s ", cp_psa_plural("volume", "volumes", bad.n));
    cp_psa_join_quote(d.f, &bad);
    fprintf(d.f, " %s %s ", cp_psa_plural("uses", "use", bad.n),
            cp_psa_plural("restricted volume type", "restricted volume types",
                          types.n));
    cp_psa_join_quote(d.f, &types);
    cp_psa_detail_end(r, &d, "restricted volume types");
  }
  cp_psa_names_free(&bad);
  cp_psa_names_free(&types);
}

static void check_run_as_non_root(const struct cp_psa_pod *p,
                                  struct cp_psa_result *r) {
  struct cp_psa_names bad = {0}, implicit = {0};
  struct cp_psa_citer it = {p->spec, 0, 0};
  int pod = cp_psa_tristate(p->psc, "runAsNonRoot");
  struct cp_psa_detail d;
  json_object *c;

  while ((c = cp_psa_next_container(&it)) != NULL) {
    int v = cp_psa_tristate(cp_psa_sc_of(c), "runAsNonRoot");

    if (v == 0)
      cp_psa_names_add(&bad, get_str(c, "name"));
    else if (v < 0 && pod != 1)
      cp_psa_names_add(&implicit, get_str(c, "name"));
  }
  if ((pod == 0 || bad.n > 0) && cp_psa_detail_begin(&d) != NULL) {
    cp_psa_setters(d.f, pod == 0, &bad);
    fputs(" must not set securityContext.runAsNonRoot=false", d.f);
    cp_psa_detail_end(r, &d, "runAsNonRoot != true");
  } else if (implicit.n > 0 && cp_psa_detail_begin(&d) != NULL) {
    fputs("pod or ", d.f);
    cp_psa_setters(d.f, 0, &implicit);
    fputs(" must set securityContext.runAsNonRoot=true", d.f);
    cp_psa_detail_end(r, &d, "runAsNonRoot != true");
  }
  cp_psa_names_free(&bad);
  cp_psa_names_free(&implicit);
}

static int is_zero(json_object *o, const char *k) {
  json_object *v = get(o, k);

  return json_object_is_type(v, json_type_int) && json_object_get_int64(v) == 0;
}

static void check_run_as_user(const struct cp_psa_pod *p,
                              struct cp_psa_result *r) {
  struct cp_psa_citer it = {p->spec, 0, 0};
  int pod_bad = is_zero(p->psc, "runAsUser");
  struct cp_psa_names bad = {0};
  struct cp_psa_detail d;
  json_object *c;

  while ((c = cp_psa_next_container(&it)) != NULL)
    if (is_zero(cp_psa_sc_of(c), "runAsUser"))
      cp_psa_names_add(&bad, get_str(c, "name"));
  if ((pod_bad || bad.n > 0) && cp_psa_detail_begin(&d) != NULL) {
    cp_psa_setters(d.f, pod_bad, &bad);
    fputs(" must not set runAsUser=0", d.f);
    cp_psa_detail_end(r, &d, "runAsUser=0");
  }
  cp_psa_names_free(&bad);
}

void cp_psa_run_restricted(const struct cp_psa_pod *p,
                           struct cp_psa_result *r) {
  if (cp_psa_since(p, 8))
    check_privilege_escalation(p, r);
  if (cp_psa_since(p, 22))
    check_capabilities_restricted(p, r);
  check_restricted_volumes(p, r);
  check_run_as_non_root(p, r);
  if (cp_psa_since(p, 23))
    check_run_as_user(p, r);
  if (cp_psa_since(p, 19) && !(p->windows && cp_psa_since(p, 25)))
    cp_psa_check_seccomp(p, r, 1);
}
