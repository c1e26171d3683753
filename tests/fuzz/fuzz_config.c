/*
 * libFuzzer target: the INI configuration (host/config/config.c, inih
 * underneath), and the duration and boolean parsers it uses. The input is
 * the file's text, read in memory (cp_config_parse, what cp_config_load
 * runs after reading the file).
 */
#include "config/config.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void values(const uint8_t *data, size_t size) {
  char *text = fuzz_strndup(data, size < 64 ? size : 64);
  uint64_t ms;

  if (text == NULL)
    return;
  (void)cp_config_parse_duration(text, &ms);
  (void)cp_config_parse_bool(text);
  free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct cp_config *cfg = NULL;
  char *err = NULL;
  size_t i;

  values(data, size);
  if (cp_config_parse("fuzz.ini", (const char *)data, size, &cfg, &err) == 0) {
    if (cfg == NULL || err != NULL)
      abort();
    for (i = 0; i < cfg->n_plugins; i++)
      (void)cp_plugin_config_get(&cfg->plugins[i], "workers");
    (void)cp_config_plugin(cfg, "namespace");
    cp_config_free(cfg);
  } else if (err == NULL || strncmp(err, "fuzz.ini:", 9) != 0) {
    abort(); /* a refusal always says why, and where */
  }
  free(err);
  return 0;
}
