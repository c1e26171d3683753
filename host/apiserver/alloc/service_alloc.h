/*
 * service_alloc - the ClusterIPs and NodePorts of Services, kept in the
 * store so that every API server on one store hands out each address
 * once: an allocation is one create-only key ("ipaddresses/<ip>", as kube
 * >= 1.31 keeps an IPAddress object per ClusterIP; "servicenodeports/
 * <port>"), written before the Service and deleted after it. A create
 * that loses the race for a key is what tells an API server the address
 * is taken, so no lock spans servers.
 *
 * ClusterIPs come from an IPv4 CIDR (kube's --service-cluster-ip-range,
 * default 10.96.0.0/12); its network and broadcast addresses are never
 * handed out and the first address after the network one belongs to the
 * `kubernetes` Service in `default`. NodePorts come from a range (default
 * 30000-32767).
 *
 * Threading: an allocator is immutable after cp_svc_alloc_new; every
 * call may run on any thread at once (the store serialises the keys).
 * Ownership: the caller owns the allocator and the store.
 */
#ifndef CPLANE_HOST_APISERVER_ALLOC_SERVICE_ALLOC_H
#define CPLANE_HOST_APISERVER_ALLOC_SERVICE_ALLOC_H

#include <stdint.h>

#include "store/store.h"

#define CP_SVC_DEFAULT_CIDR "10.96.0.0/12"
#define CP_SVC_DEFAULT_PORTS "30000-32767"

/* Results besides 0 and the store's codes. */
#define CP_SVC_ETAKEN -201  /* the address asked for is allocated */
#define CP_SVC_ERANGE -202  /* the address asked for is outside the range */
#define CP_SVC_EFULL -203   /* nothing free */
#define CP_SVC_EINVAL -204  /* not an IPv4 address */

struct cp_svc_alloc;

/* Parses "10.96.0.0/12" (IPv4, prefix 8..30, host bits zero): 0, or -1.
 */
int cp_svc_parse_cidr(const char *s, uint32_t *net, int *bits);
/* Parses "30000-32767" (1 <= lo <= hi <= 65535): 0, or -1. */
int cp_svc_parse_ports(const char *s, int *lo, int *hi);

/* An allocator over cidr and ports (NULL: the defaults). NULL when
 * either does not parse or out of memory. */
struct cp_svc_alloc *cp_svc_alloc_new(const char *cidr, const char *ports);
void cp_svc_alloc_free(struct cp_svc_alloc *a);

/* The CIDR and port range as configured, for messages. */
const char *cp_svc_alloc_cidr(const struct cp_svc_alloc *a);
const char *cp_svc_alloc_ports(const struct cp_svc_alloc *a);
/* The address of the `kubernetes` Service: the range's first. */
void cp_svc_alloc_first_ip(const struct cp_svc_alloc *a, char out[16]);

/* Allocates want (NULL or "": a free one, picked at random) for Service
 * ns/name; the address goes to out. 0, CP_SVC_ETAKEN, CP_SVC_ERANGE,
 * CP_SVC_EINVAL, CP_SVC_EFULL, or a store error. */
int cp_svc_alloc_ip(struct cp_svc_alloc *a, cp_store *s, const char *want,
                    const char *ns, const char *name, char out[16]);
/* The same for a NodePort (want 0: a free one). */
int cp_svc_alloc_port(struct cp_svc_alloc *a, cp_store *s, int want,
                      const char *ns, const char *name, int *out);
/* Dry run (kube's dry-run allocators): the same answers, nothing
 * written: want is checked, a free address is found and left free. */
int cp_svc_alloc_ip_dry(struct cp_svc_alloc *a, cp_store *s,
                        const char *want, char out[16]);
int cp_svc_alloc_port_dry(struct cp_svc_alloc *a, cp_store *s, int want,
                          int *out);
/* Frees an allocation; a missing one is no error. */
void cp_svc_release_ip(cp_store *s, const char *ip);
void cp_svc_release_port(cp_store *s, int port);

/* The repair pass, at start: frees every allocation that no stored
 * Service holds and that is older than grace_s seconds (a younger one may
 * belong to a create under way on another API server). Returns how many
 * it freed, or a negative store error. */
int cp_svc_alloc_repair(cp_store *s, long long grace_s);

#endif /* CPLANE_HOST_APISERVER_ALLOC_SERVICE_ALLOC_H */
