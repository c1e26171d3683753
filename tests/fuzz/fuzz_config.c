/*
 * libFuzzer target: the INI configuration (host/config/config.c, inih
 * underneath), and the duration and boolean parsers it uses. The input is
 * the file.
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
  const char *path = fuzz_input_file(data, size);
  struct cp_config *cfg = NULL;
  char *err = NULL;
  size_t i;

  values(data, size);
  if (path == NULL)
    return 0;
  if (cp_config_load(path, &cfg, &err) == 0) {
    if (cfg == NULL || err != NULL)
      abort();
    for (i = 0; i < cfg->n_plugins; i++)
      (void)cp_plugin_config_get(&cfg->plugins[i], "workers");
    (void)cp_config_plugin(cfg, "namespace");
    cp_config_free(cfg);
  } else if (err == NULL) {
    abort(); /* a refusal always says why */
  }
  free(err);
  return 0;
}
