/* upgradable 0.2.0: a build of the fixture in upgradable.h */
#define UPG_VERSION "0.2.0"
#define UPG_INIT_FAILS 0
#include "upgradable.h"
