/* indexer 0.3.0: registers "by-team" ("bad:TEAM"), then fails init()
 * (indexer.h) */
#define IDX_VERSION "0.3.0"
#define IDX_PREFIX "bad:"
#define IDX_INIT_FAILS 1
#include "indexer.h"
