/* upgradable 0.3.0: a build of the fixture in upgradable.h, whose init()
 * fails */
#define UPG_VERSION "0.3.0"
#define UPG_INIT_FAILS 1
#include "upgradable.h"
