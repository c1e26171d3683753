/*
 * probe - a tiny shared object whose only job is to carry the SDK's types
 * into DWARF, so abidw/abidiff can compare the ABI against the committed
 * baseline (tests/abi/cplane-abi.xml). One exported function per public
 * type keeps every struct reachable.
 */
#include <cplane/cplane.h>

CPLANE_EXPORT void cplane_abi_probe_plugin(struct cplane_plugin *p);
CPLANE_EXPORT void cplane_abi_probe_host_api(struct cplane_host_api *a);
CPLANE_EXPORT void cplane_abi_probe_resource(struct cplane_resource *r);
CPLANE_EXPORT cplane_plugin_entry_fn cplane_abi_probe_entry(void);
CPLANE_EXPORT cplane_foreach_fn cplane_abi_probe_foreach(void);

void cplane_abi_probe_plugin(struct cplane_plugin *p) { (void)p; }
void cplane_abi_probe_host_api(struct cplane_host_api *a) { (void)a; }
void cplane_abi_probe_resource(struct cplane_resource *r) { (void)r; }
cplane_plugin_entry_fn cplane_abi_probe_entry(void) { return 0; }
cplane_foreach_fn cplane_abi_probe_foreach(void) { return 0; }
