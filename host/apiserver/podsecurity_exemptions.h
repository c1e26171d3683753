/*
 * podsecurity_exemptions - the exemptions of kube's PodSecurity
 * admission configuration (PodSecurityConfiguration.exemptions), from
 * cplane.ini's [apiserver] podsecurity_exempt_usernames,
 * podsecurity_exempt_namespaces and podsecurity_exempt_runtime_classes
 * (comma-separated). An exempt request is allowed with no check, warning
 * or audit, as kube's: a request by an exempt user (the one it acts as,
 * after impersonation, as kube's attributes give it), in an exempt namespace, or of a pod or template
 * naming an exempt runtimeClassName.
 *
 * Threading: built once at start; then only read, from any thread.
 * Ownership: the lists own copies of the names.
 */
#ifndef CPLANE_HOST_APISERVER_PODSECURITY_EXEMPTIONS_H
#define CPLANE_HOST_APISERVER_PODSECURITY_EXEMPTIONS_H

#include <stddef.h>

struct cp_psa_exemptions;

/* The three comma-separated lists (NULL: none). NULL out of memory; an
 * empty set when all three are empty. */
struct cp_psa_exemptions *cp_psa_exemptions_new(const char *usernames,
                                                const char *namespaces,
                                                const char *runtime_classes);
void cp_psa_exemptions_free(struct cp_psa_exemptions *e);

/* Whether the name is exempt (e NULL, or name NULL or "": no). */
int cp_psa_exempt_user(const struct cp_psa_exemptions *e, const char *name);
int cp_psa_exempt_namespace(const struct cp_psa_exemptions *e,
                            const char *name);
int cp_psa_exempt_runtime_class(const struct cp_psa_exemptions *e,
                                const char *name);

#endif /* CPLANE_HOST_APISERVER_PODSECURITY_EXEMPTIONS_H */
