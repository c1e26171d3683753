/* indexer 0.2.0: registers "by-team" with values "v2:TEAM" (indexer.h) */
#define IDX_VERSION "0.2.0"
#define IDX_PREFIX "v2:"
#include "indexer.h"
