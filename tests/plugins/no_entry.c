/* no_entry - a shared object that is not a cplane plugin: it carries the
 * ABI note and exports a function, but not cplane_plugin_entry. */
#include <cplane/cplane.h>

CPLANE_PLUGIN_ABI_NOTE(CPLANE_ABI_MAJOR, CPLANE_ABI_MINOR)
CPLANE_EXPORT int not_a_plugin(void);
CPLANE_EXPORT int not_a_plugin(void) { return 42; }
