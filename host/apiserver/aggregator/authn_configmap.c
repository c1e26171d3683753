/*
 * authn_configmap - see authn_configmap.h.
 */
#include "apiserver/aggregator/authn_configmap.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/internal_request.h"
#include "log/log.h"

#define NS "kube-system"
#define NAME "extension-apiserver-authentication"
#define MAX_CA (1L << 20)

static char *read_text(const char *path) {
  FILE *f = path != NULL ? fopen(path, "r") : NULL;
  char *buf = NULL;
  long n;

  if (f == NULL)
    return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n < MAX_CA &&
      fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
      free(buf);
      buf = NULL;
    } else {
      buf[n] = '\0';
    }
  }
  fclose(f);
  return buf;
}

static void put(json_object *data, const char *k, const char *v) {
  if (v != NULL)
    json_object_object_add(data, k, json_object_new_string(v));
}

/* One request on kube-system's ConfigMaps; the HTTP code, *out the
 * body. */
static int run(struct cp_api_ctx *ctx, enum cp_api_method m, const char *name,
               const char *body, char **out) {
  return cp_internal_request(ctx, "", "v1", "configmaps", m, NS, name, NULL,
                             NULL, body, out);
}

int cp_authn_configmap_publish(struct cp_api_ctx *ctx, const char *client_ca,
                               const char *front_proxy_ca) {
  char *ca = read_text(client_ca), *fp = read_text(front_proxy_ca);
  char *cur = NULL;
  json_object *cm = json_object_new_object(), *md = json_object_new_object();
  json_object *data = json_object_new_object(), *was = NULL, *old = NULL;
  const char *text;
  int code, rc = -1;

  json_object_object_add(cm, "apiVersion", json_object_new_string("v1"));
  json_object_object_add(cm, "kind", json_object_new_string("ConfigMap"));
  json_object_object_add(md, "name", json_object_new_string(NAME));
  json_object_object_add(md, "namespace", json_object_new_string(NS));
  json_object_object_add(cm, "metadata", md);
  put(data, "client-ca-file", ca);
  if (fp != NULL) {
    put(data, "requestheader-client-ca-file", fp);
    put(data, "requestheader-allowed-names", "[\"front-proxy-client\"]");
    put(data, "requestheader-extra-headers-prefix", "[\"X-Remote-Extra-\"]");
    put(data, "requestheader-group-headers", "[\"X-Remote-Group\"]");
    put(data, "requestheader-username-headers", "[\"X-Remote-User\"]");
  }
  json_object_object_add(cm, "data", data);
  code = run(ctx, CP_API_GET, NAME, NULL, &cur);
  if (code == 200 && cur != NULL && (was = json_tokener_parse(cur)) != NULL &&
      json_object_object_get_ex(was, "data", &old) &&
      json_object_equal(old, data)) {
    rc = 0; /* as it should be */
    goto out;
  }
  if (code == 200 && was != NULL) {
    json_object *wmd = NULL, *rv = NULL;

    if (json_object_object_get_ex(was, "metadata", &wmd) &&
        json_object_object_get_ex(wmd, "resourceVersion", &rv))
      json_object_object_add(md, "resourceVersion", json_object_get(rv));
  }
  text = json_object_to_json_string_ext(cm, JSON_C_TO_STRING_PLAIN);
  code = code == 200 ? run(ctx, CP_API_PUT, NAME, text, NULL)
                     : run(ctx, CP_API_POST, NULL, text, NULL);
  if (code == 200 || code == 201)
    rc = 0;
  else
    cp_log_debug("apiserver", "cannot write %s/%s yet (HTTP %d): will retry",
                 NS, NAME, code);
out:
  json_object_put(was);
  json_object_put(cm);
  free(cur);
  free(ca);
  free(fp);
  return rc;
}
