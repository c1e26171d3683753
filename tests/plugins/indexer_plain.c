/* indexer 0.4.0: registers no index (indexer.h) */
#define IDX_VERSION "0.4.0"
#define IDX_PREFIX ""
#define IDX_REGISTER 0
#include "indexer.h"
