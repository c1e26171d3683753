/*
 * healthz - see healthz.h.
 */
#include "apiserver/healthz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"

char *cp_api_healthz(cp_store *store, const char *endpoint, int verbose,
                     int *code, size_t *len) {
  /* kube-apiserver's names: k3s and kine keep them for other stores too,
   * and tools grep for them. */
  static const char *const store_checks[] = {"etcd", "etcd-readiness"};
  size_t n_store = strcmp(endpoint, "readyz") == 0 ? 2 : 1, i;
  char *why = NULL, *text = NULL;
  FILE *f;
  int rc;

  *code = 200;
  *len = 0;
  rc = store != NULL ? cp_store_check(store, &why) : CPLANE_OK;
  if (rc != CPLANE_OK) {
    *code = 500;
    /* The body withholds the reason (the endpoint is public); the log
     * has it. */
    cp_log_debug("apiserver", "%s: [-]etcd failed: %s", endpoint,
                 why ? why : cp_store_strerror(rc));
  }
  free(why);
  if (rc == CPLANE_OK && !verbose) {
    *len = 2;
    return strdup("ok");
  }
  if ((f = open_memstream(&text, len)) == NULL)
    return NULL;
  fputs("[+]ping ok\n", f);
  for (i = 0; i < n_store; i++)
    fprintf(f, rc == CPLANE_OK ? "[+]%s ok\n"
                               : "[-]%s failed: reason withheld\n",
            store_checks[i]);
  fprintf(f, "%s check %s\n", endpoint, rc == CPLANE_OK ? "passed" : "failed");
  if (fclose(f) != 0) {
    free(text);
    return NULL;
  }
  return text;
}
