/*
 * libFuzzer target: kubeconfig files (host/client/kubeconfig.c, libyaml
 * underneath). The input is the file's text, read in memory
 * (cp_kubeconfig_parse, what cp_kubeconfig_load runs after reading the
 * file); it is loaded with its current-context and with a named one.
 */
#include "client/kubeconfig.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Returns 1 when the text is not YAML (any context fails the same way). */
static int load(const uint8_t *data, size_t size, const char *context) {
  struct cp_kubeconfig kc;
  char *err = NULL;
  int not_yaml = 0;

  memset(&kc, 0, sizeof kc);
  if (cp_kubeconfig_parse("/fuzz/kubeconfig", (const char *)data, size,
                          context, &kc, &err) == 0) {
    if (err != NULL)
      abort(); /* no message on success */
    cp_kubeconfig_free(&kc);
  } else if (err == NULL) {
    abort(); /* a refusal always says why */
  } else {
    not_yaml = strstr(err, ": not YAML: ") != NULL;
  }
  free(err);
  return not_yaml;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* Text that is not YAML is refused before any context is looked at:
   * the named context's load would parse it again for nothing. */
  if (!load(data, size, NULL))
    (void)load(data, size, "admin");
  return 0;
}
