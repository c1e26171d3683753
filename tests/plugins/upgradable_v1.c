/* upgradable 0.1.0: a build of the fixture in upgradable.h */
#define UPG_VERSION "0.1.0"
#define UPG_INIT_FAILS 0
#include "upgradable.h"
