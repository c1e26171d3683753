/*
 * kubeconfig - see kubeconfig.h. libyaml loads the whole document; the
 * lookups below walk its node graph.
 */
#include "client/kubeconfig.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/read_file.h"
#include "encoding/base64.h"

static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *map,
                            const char *key) {
  yaml_node_pair_t *p;

  if (map == NULL || map->type != YAML_MAPPING_NODE)
    return NULL;
  for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
       p++) {
    yaml_node_t *k = yaml_document_get_node(d, p->key);

    if (k != NULL && k->type == YAML_SCALAR_NODE &&
        strcmp((const char *)k->data.scalar.value, key) == 0)
      return yaml_document_get_node(d, p->value);
  }
  return NULL;
}

static const char *scalar(yaml_node_t *n) {
  return n != NULL && n->type == YAML_SCALAR_NODE
             ? (const char *)n->data.scalar.value
             : NULL;
}

/* The item of list `list` (under root) whose name is `name`, then its
 * `inner` mapping (contexts[].context, clusters[].cluster, ...). */
static yaml_node_t *named(yaml_document_t *d, const char *list,
                          const char *name, const char *inner) {
  yaml_node_t *seq = map_get(d, yaml_document_get_root_node(d), list);
  yaml_node_item_t *it;

  if (seq == NULL || seq->type != YAML_SEQUENCE_NODE || name == NULL)
    return NULL;
  for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
       it++) {
    yaml_node_t *item = yaml_document_get_node(d, *it);
    const char *n = scalar(map_get(d, item, "name"));

    if (n != NULL && strcmp(n, name) == 0)
      return map_get(d, item, inner);
  }
  return NULL;
}

/* A file path from the kubeconfig: relative ones are relative to the
 * kubeconfig's own directory, as kubectl reads them. */
static char *path_of(const char *kc_path, const char *p) {
  char *copy, *out = NULL;

  if (p == NULL)
    return NULL;
  if (p[0] == '/')
    return strdup(p);
  if ((copy = strdup(kc_path)) == NULL)
    return NULL;
  if (asprintf(&out, "%s/%s", dirname(copy), p) < 0)
    out = NULL;
  free(copy);
  return out;
}

/* A *-data field: base64 as client-go reads it (Go's StdEncoding), the
 * PEM text NUL-terminated. */
static char *b64_decode(const char *s) {
  if (s == NULL)
    return NULL;
  return (char *)cp_base64_decode(CP_BASE64_STD, 0, s, strlen(s), NULL);
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static int fail(char **errmsg, const char *path, const char *what) {
  if (asprintf(errmsg, "kubeconfig %s: %s", path, what) < 0)
    *errmsg = NULL;
  return -1;
}

int cp_kubeconfig_parse(const char *path, const char *text, size_t len,
                        const char *context, struct cp_kubeconfig *kc,
                        char **errmsg) {
  yaml_parser_t parser;
  yaml_document_t doc;
  yaml_node_t *ctx, *cluster, *user;
  const char *v;
  int rc = -1, loaded = 0;

  memset(kc, 0, sizeof *kc);
  *errmsg = NULL;
  if (!yaml_parser_initialize(&parser))
    return fail(errmsg, path, "out of memory");
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  /* An empty file loads (a document without a root node) and must be
   * deleted like any other. */
  loaded = yaml_parser_load(&parser, &doc);
  if (!loaded || yaml_document_get_root_node(&doc) == NULL) {
    char what[256];

    snprintf(what, sizeof what, "not YAML: %s at line %zu",
             parser.problem ? parser.problem : "empty document",
             parser.problem_mark.line + 1);
    fail(errmsg, path, what);
    goto out;
  }
  if (context == NULL)
    context = scalar(map_get(&doc, yaml_document_get_root_node(&doc),
                             "current-context"));
  if (context == NULL) {
    fail(errmsg, path, "no current-context");
    goto out;
  }
  if ((ctx = named(&doc, "contexts", context, "context")) == NULL) {
    fail(errmsg, path, "the context is not in contexts");
    goto out;
  }
  cluster = named(&doc, "clusters", scalar(map_get(&doc, ctx, "cluster")),
                  "cluster");
  user = named(&doc, "users", scalar(map_get(&doc, ctx, "user")), "user");
  if (cluster == NULL || scalar(map_get(&doc, cluster, "server")) == NULL) {
    fail(errmsg, path, "the context's cluster has no server");
    goto out;
  }
  kc->context = strdup(context);
  kc->server = dup_or_null(scalar(map_get(&doc, cluster, "server")));
  kc->ca_file = path_of(path, scalar(map_get(&doc, cluster,
                                             "certificate-authority")));
  kc->ca_pem = b64_decode(scalar(map_get(&doc, cluster,
                                         "certificate-authority-data")));
  v = scalar(map_get(&doc, cluster, "insecure-skip-tls-verify"));
  kc->insecure = v != NULL && strcmp(v, "true") == 0;
  kc->token = dup_or_null(scalar(map_get(&doc, user, "token")));
  kc->token_file = path_of(path, scalar(map_get(&doc, user, "tokenFile")));
  kc->cert_file = path_of(path, scalar(map_get(&doc, user,
                                               "client-certificate")));
  kc->cert_pem = b64_decode(scalar(map_get(&doc, user,
                                           "client-certificate-data")));
  kc->key_file = path_of(path, scalar(map_get(&doc, user, "client-key")));
  kc->key_pem = b64_decode(scalar(map_get(&doc, user, "client-key-data")));
  rc = 0;
out:
  if (loaded)
    yaml_document_delete(&doc);
  yaml_parser_delete(&parser);
  if (rc < 0)
    cp_kubeconfig_free(kc);
  return rc;
}

int cp_kubeconfig_load(const char *path, const char *context,
                       struct cp_kubeconfig *kc, char **errmsg) {
  size_t len = 0;
  char *text;
  int rc;

  memset(kc, 0, sizeof *kc);
  *errmsg = NULL;
  rc = cp_read_file(path, CP_KUBECONFIG_MAX_BYTES, &text, &len);
  if (rc == EFBIG)
    return fail(errmsg, path, "larger than 16 MiB");
  if (rc != 0)
    return fail(errmsg, path, "cannot be read");
  rc = cp_kubeconfig_parse(path, text, len, context, kc, errmsg);
  free(text);
  return rc;
}

void cp_kubeconfig_free(struct cp_kubeconfig *kc) {
  free(kc->context);
  free(kc->server);
  free(kc->ca_file);
  free(kc->ca_pem);
  free(kc->token);
  free(kc->token_file);
  free(kc->cert_file);
  free(kc->cert_pem);
  free(kc->key_file);
  free(kc->key_pem);
  memset(kc, 0, sizeof *kc);
}
