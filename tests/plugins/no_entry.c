/* no_entry - a shared object that is not a cplane plugin: it exports a
 * function, but not cplane_plugin_entry. */
#include <cplane/cplane.h>

CPLANE_EXPORT int not_a_plugin(void);
CPLANE_EXPORT int not_a_plugin(void) { return 42; }
