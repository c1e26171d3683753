/*
 * config_keys - the keys of a [plugin.NAME] section that nobody reads.
 *
 * A plugin lists the keys it reads in its descriptor's config_keys (ABI
 * 1.3); the host reads its own (cp_config_is_host_plugin_key). Any other
 * key in the section is most likely a misspelling that would otherwise be
 * ignored in silence: `cplane --check-config` reports it as an error and
 * start-up as a WARN, both as
 *   FILE:LINE: [plugin.X] unknown key 'lable' (the plugin reads: label)
 * A plugin whose config_keys is NULL has not said: nothing is checked.
 *
 * Threading: cp_config_keys_check is a pure function of its arguments
 * (any thread); cp_config_keys_check_all loads plugins (main thread).
 * Ownership: the messages passed to `report` are the caller's only for
 * the call.
 */
#ifndef CPLANE_HOST_PLUGIN_CONFIG_KEYS_H
#define CPLANE_HOST_PLUGIN_CONFIG_KEYS_H

#include <stdio.h>

#include "config/config.h"

/* Receives one "FILE:LINE: [plugin.X] unknown key ..." line (no newline). */
typedef void (*cp_config_keys_report_fn)(void *ud, const char *msg);

/* Calls report for every key of pc (from the file `path`) that is neither
 * the host's nor in `declared` (NULL-terminated; NULL checks nothing).
 * Returns how many keys were reported, or -1 when out of memory. */
int cp_config_keys_check(const char *const *declared,
                         const struct cp_plugin_config *pc, const char *path,
                         cp_config_keys_report_fn report, void *ud);

/* --check-config: loads each enabled plugin of cfg from plugin_dir with
 * the loader's checks (no init) and writes a line to out per unknown key.
 * A plugin that cannot load is named ("keys not checked: WHY"), not
 * counted: the host would refuse it and go on. Returns how many unknown
 * keys, or -1 when out of memory. Main thread (it loads plugins). */
int cp_config_keys_check_all(const struct cp_config *cfg,
                             const char *plugin_dir, FILE *out);

#endif /* CPLANE_HOST_PLUGIN_CONFIG_KEYS_H */
