/*
 * authenticator - see authenticator.h.
 */
#include "apiserver/authn/authenticator.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiserver/authn/jwt.h"
#include "apiserver/authn/sa_claims.h"
#include "apiserver/authn/sa_key.h"
#include "clock/clock.h"
#include "encoding/base64.h"
#include "object/json_strict.h"
#include "cplane/version.h"

#define BUCKETS 1024
#define EXTRA_PREFIX "authentication.kubernetes.io/"

/* What a token's validity depends on, of one object. */
struct found {
  char *key; /* resource/ns/name */
  char uid[128];
  int deleting;  /* deletionTimestamp set */
  char *token;   /* a Secret's data.token, decoded; else NULL */
  uint64_t at_ns;
  struct found *next;
};

struct cp_authn {
  EVP_PKEY *key;
  char *kid, *issuer, *jwks, *ca_file;
  char *audiences[1];
  int anonymous;
  cp_store *store;
  pthread_mutex_t mu; /* guards the lookup cache */
  struct found *buckets[BUCKETS];
  size_t n_found;
};

static uint64_t mono_ns(void) { return cp_now_ns(); }

struct cp_authn *cp_authn_new(const struct cp_authn_config *cfg,
                              char **errmsg) {
  struct cp_authn *a = calloc(1, sizeof *a);
  const char *issuer = cfg->issuer ? cfg->issuer : CP_AUTHN_DEFAULT_ISSUER;

  *errmsg = NULL;
  if (a == NULL)
    return NULL;
  pthread_mutex_init(&a->mu, NULL);
  a->anonymous = cfg->anonymous;
  a->store = cfg->store;
  if ((a->key = cp_sa_key_load(cfg->key_file, errmsg)) == NULL)
    goto fail;
  a->kid = cp_sa_key_id(a->key);
  a->issuer = strdup(issuer);
  /* kube's --api-audiences default to the issuer. */
  a->audiences[0] = strdup(issuer);
  a->jwks = a->kid ? cp_sa_key_jwks(a->key, a->kid) : NULL;
  if (cfg->ca_file != NULL && (a->ca_file = strdup(cfg->ca_file)) == NULL)
    goto fail;
  if (a->kid == NULL || a->issuer == NULL || a->audiences[0] == NULL ||
      a->jwks == NULL)
    goto fail;
  return a;
fail:
  cp_authn_free(a);
  return NULL;
}

static void found_free(struct found *f) {
  free(f->key);
  free(f->token);
  free(f);
}

static void cache_clear(struct cp_authn *a) {
  size_t i;

  for (i = 0; i < BUCKETS; i++)
    while (a->buckets[i] != NULL) {
      struct found *f = a->buckets[i];

      a->buckets[i] = f->next;
      found_free(f);
    }
  a->n_found = 0;
}

void cp_authn_free(struct cp_authn *a) {
  if (a == NULL)
    return;
  cache_clear(a);
  pthread_mutex_destroy(&a->mu);
  EVP_PKEY_free(a->key);
  free(a->kid);
  free(a->issuer);
  free(a->audiences[0]);
  free(a->jwks);
  free(a->ca_file);
  free(a);
}

const char *cp_authn_issuer(const struct cp_authn *a) { return a->issuer; }

char *const *cp_authn_audiences(const struct cp_authn *a, size_t *n) {
  *n = 1;
  return a->audiences;
}

char *cp_authn_sign(const struct cp_authn *a, json_object *claims) {
  return cp_jwt_sign(a->key, a->kid, claims);
}

const char *cp_authn_jwks(const struct cp_authn *a) { return a->jwks; }

const char *cp_authn_ca_file(const struct cp_authn *a) { return a->ca_file; }

/* ------------------------------------------------------------ users */

static int append(char ***list, size_t *n, const char *s) {
  char **l = realloc(*list, (*n + 1) * sizeof *l);

  if (l == NULL)
    return -1;
  *list = l;
  if ((l[*n] = strdup(s)) == NULL)
    return -1;
  (*n)++;
  return 0;
}

int cp_authn_add_group(struct cp_api_user *u, const char *group) {
  return append(&u->groups, &u->n_groups, group);
}

int cp_authn_add_extra(struct cp_api_user *u, const char *key,
                       const char *value) {
  char *kv;
  int rc;

  if (asprintf(&kv, "%s=%s", key, value) < 0)
    return -1;
  rc = append(&u->extra, &u->n_extra, kv);
  free(kv);
  return rc;
}

int cp_authn_add_authenticated(struct cp_api_user *u) {
  size_t i;

  for (i = 0; i < u->n_groups; i++)
    if (strcmp(u->groups[i], "system:authenticated") == 0)
      return 0;
  return cp_authn_add_group(u, "system:authenticated");
}

int cp_authn_anonymous(const struct cp_authn *a, struct cp_api_user *u) {
  char *group = "system:unauthenticated";

  if (a == NULL || !a->anonymous)
    return 0;
  return cp_api_user_set(u, "system:anonymous", NULL, &group, 1) == 0;
}

/* ------------------------------------------------------------ lookups */

int cp_authn_read_object(cp_store *store, const char *resource,
                         const char *ns, const char *name,
                         json_object **out) {
  char *key = cp_store_object_key(resource, ns, name);
  cp_store_kv kv;
  const char *err;
  size_t at;
  int rc;

  *out = NULL;
  if (key == NULL)
    return CPLANE_ENOMEM;
  memset(&kv, 0, sizeof kv);
  rc = cp_store_get(store, key, strlen(key), 0, &kv, NULL);
  free(key);
  if (rc != CPLANE_OK)
    return rc;
  if (cp_json_strict_parse((const char *)kv.value, kv.value_len, 64, out,
                           NULL, &err, &at) != CP_JSON_STRICT_OK ||
      !json_object_is_type(*out, json_type_object)) {
    json_object_put(*out);
    *out = NULL;
    rc = CPLANE_EINVAL;
  }
  cp_store_kv_free(&kv);
  return rc;
}

static const char *str_at(json_object *o, const char *a, const char *b) {
  json_object *v;

  if (!json_object_object_get_ex(o, a, &o) ||
      !json_object_is_type(o, json_type_object) ||
      !json_object_object_get_ex(o, b, &v) ||
      !json_object_is_type(v, json_type_string))
    return NULL;
  return json_object_get_string(v);
}

/* A Secret's data.token, decoded from base64. */
static char *secret_token(json_object *o) {
  const char *b64 = str_at(o, "data", "token");
  size_t n = b64 ? strlen(b64) : 0;

  if (b64 == NULL || n > 4 * CP_JWT_MAX_BYTES)
    return NULL;
  return (char *)cp_base64_decode(CP_BASE64_STD, 0, b64, n, NULL);
}

static size_t hash(const char *s) {
  size_t h = 5381;

  while (*s)
    h = h * 33 + (unsigned char)*s++;
  return h % BUCKETS;
}

/* Reads the object into a new entry; NULL when it does not exist (*rc
 * CPLANE_ENOENT) or cannot be read. */
static struct found *fetch(struct cp_authn *a, const char *resource,
                           const char *ns, const char *name,
                           const char *key, int *rc) {
  json_object *o;
  struct found *f;
  const char *uid;

  *rc = cp_authn_read_object(a->store, resource, ns, name, &o);
  if (*rc != CPLANE_OK)
    return NULL;
  f = calloc(1, sizeof *f);
  uid = str_at(o, "metadata", "uid");
  if (f == NULL || (f->key = strdup(key)) == NULL) {
    free(f);
    json_object_put(o);
    *rc = CPLANE_ENOMEM;
    return NULL;
  }
  snprintf(f->uid, sizeof f->uid, "%s", uid ? uid : "");
  f->deleting = str_at(o, "metadata", "deletionTimestamp") != NULL;
  if (strcmp(resource, "secrets") == 0)
    f->token = secret_token(o);
  f->at_ns = mono_ns();
  json_object_put(o);
  return f;
}

/* Copies what the token check needs of resource ns/name into *copy (its
 * token malloc'd). Returns CPLANE_OK, CPLANE_ENOENT or another store
 * code. */
static int lookup(struct cp_authn *a, const char *resource, const char *ns,
                  const char *name, struct found *copy) {
  char key[512];
  struct found *f, **pp;
  size_t b;
  int rc = CPLANE_OK;

  memset(copy, 0, sizeof *copy);
  snprintf(key, sizeof key, "%s/%s/%s", resource, ns, name);
  b = hash(key);
  pthread_mutex_lock(&a->mu);
  for (pp = &a->buckets[b]; (f = *pp) != NULL; pp = &f->next)
    if (strcmp(f->key, key) == 0)
      break;
  if (f != NULL && mono_ns() - f->at_ns > CP_AUTHN_LOOKUP_TTL_MS * 1000000ull) {
    *pp = f->next;
    found_free(f);
    a->n_found--;
    f = NULL;
  }
  pthread_mutex_unlock(&a->mu);
  if (f == NULL) {
    /* Read outside the lock; two readers of one key both insert, the
     * second entry shadows nothing (lookups take the first). */
    if ((f = fetch(a, resource, ns, name, key, &rc)) == NULL)
      return rc;
    pthread_mutex_lock(&a->mu);
    if (a->n_found >= CP_AUTHN_LOOKUP_MAX)
      cache_clear(a);
    f->next = a->buckets[b];
    a->buckets[b] = f;
    a->n_found++;
  } else {
    pthread_mutex_lock(&a->mu);
  }
  snprintf(copy->uid, sizeof copy->uid, "%s", f->uid);
  copy->deleting = f->deleting;
  copy->token = f->token ? strdup(f->token) : NULL;
  pthread_mutex_unlock(&a->mu);
  return CPLANE_OK;
}

/* ------------------------------------------------------------ tokens */

/* The pod or node a token is bound to (none: ref->name empty) exists,
 * is not being deleted and has the uid the token names. */
static int check_bound(struct cp_authn *a, const char *resource,
                       const char *ns, const char *what,
                       const struct cp_sa_ref *ref, char *why, size_t len) {
  struct found f;

  if (ref->name[0] == '\0')
    return 0;
  if (lookup(a, resource, ns, ref->name, &f) != CPLANE_OK || f.deleting) {
    snprintf(why, len, "service account token has been invalidated");
    return -1;
  }
  if (strcmp(f.uid, ref->uid) != 0) {
    snprintf(why, len, "%s UID (%s) does not match service account %s ref "
                       "claim (%s)", what, f.uid, what, ref->uid);
    return -1;
  }
  return 0;
}

/* kube's claims validator: the ServiceAccount and the bound objects
 * exist with the uids the token names. */
static int check_objects(struct cp_authn *a, const char *token,
                         const struct cp_sa_claims *c, char *why,
                         size_t len) {
  struct found f;
  int rc;

  if (c->legacy || c->secret.name[0] != '\0') {
    rc = lookup(a, "secrets", c->ns, c->secret.name, &f);
    if (rc != CPLANE_OK || f.deleting) {
      snprintf(why, len, c->legacy ? "Token has been invalidated"
                                   : "service account token has been "
                                     "invalidated");
      free(f.token);
      return -1;
    }
    if (c->legacy && (f.token == NULL || strcmp(f.token, token) != 0)) {
      snprintf(why, len, "Token does not match server's copy");
      free(f.token);
      return -1;
    }
    if (!c->legacy && strcmp(f.uid, c->secret.uid) != 0) {
      snprintf(why, len, "secret UID (%s) does not match service account "
                         "secret ref claim (%s)", f.uid, c->secret.uid);
      free(f.token);
      return -1;
    }
    free(f.token);
  }
  rc = lookup(a, "serviceaccounts", c->ns, c->sa.name, &f);
  if (rc == CPLANE_ENOENT) {
    snprintf(why, len, "serviceaccounts \"%s\" not found", c->sa.name);
    return -1;
  }
  if (rc != CPLANE_OK) {
    snprintf(why, len, "%s", cp_store_strerror(rc));
    return -1;
  }
  if (f.deleting) {
    snprintf(why, len, c->legacy ? "ServiceAccount %s/%s has been deleted"
                                 : "service account %s/%s has been deleted",
             c->ns, c->sa.name);
    return -1;
  }
  if (strcmp(f.uid, c->sa.uid) != 0) {
    snprintf(why, len, c->legacy ? "ServiceAccount UID (%s) does not match "
                                   "claim (%s)"
                                 : "service account UID (%s) does not match "
                                   "claim (%s)",
             f.uid, c->sa.uid);
    return -1;
  }
  if (check_bound(a, "pods", c->ns, "pod", &c->pod, why, len) < 0 ||
      check_bound(a, "nodes", "", "node", &c->node, why, len) < 0)
    return -1;
  return 0;
}

/* The ServiceAccount's user, as kube's ServiceAccountInfo.UserInfo. */
static int fill_user(const struct cp_sa_claims *c, struct cp_api_user *u) {
  char name[400], group[100], cred[200];
  char *groups[2] = {"system:serviceaccounts", group};

  snprintf(name, sizeof name, "system:serviceaccount:%s:%s", c->ns,
           c->sa.name);
  snprintf(group, sizeof group, "system:serviceaccounts:%s", c->ns);
  if (cp_api_user_set(u, name, c->sa.uid, groups, 2) < 0 ||
      cp_authn_add_authenticated(u) < 0)
    return -1;
  if (c->pod.name[0] != '\0' &&
      (cp_authn_add_extra(u, EXTRA_PREFIX "pod-name", c->pod.name) < 0 ||
       cp_authn_add_extra(u, EXTRA_PREFIX "pod-uid", c->pod.uid) < 0))
    return -1;
  if (c->node.name[0] != '\0' &&
      (cp_authn_add_extra(u, EXTRA_PREFIX "node-name", c->node.name) < 0 ||
       cp_authn_add_extra(u, EXTRA_PREFIX "node-uid", c->node.uid) < 0))
    return -1;
  if (c->jti[0] != '\0') {
    snprintf(cred, sizeof cred, "JTI=%s", c->jti);
    if (cp_authn_add_extra(u, EXTRA_PREFIX "credential-id", cred) < 0)
      return -1;
  }
  return 0;
}

int cp_authn_sa_token(struct cp_authn *a, const char *token,
                      char *const *want_audiences, size_t n_want,
                      struct cp_authn_result *r) {
  struct cp_sa_claims c;
  json_object *claims = NULL;
  const char *why;
  char iss[512];
  size_t i;
  int rc = 0;

  memset(r, 0, sizeof *r);
  if (a == NULL || cp_jwt_peek_issuer(token, iss, sizeof iss) < 0 ||
      (strcmp(iss, a->issuer) != 0 && strcmp(iss, CP_SA_LEGACY_ISSUER) != 0))
    return 0; /* not ours: another authenticator's, or none's */
  if (cp_jwt_verify(a->key, token, &claims, &why) != CP_JWT_OK) {
    snprintf(r->error, sizeof r->error, "%s", why);
    return 0;
  }
  if (cp_sa_claims_check(claims, (int64_t)time(NULL), a->issuer,
                         a->audiences, 1, want_audiences, n_want, &c,
                         r->error, sizeof r->error) < 0 ||
      check_objects(a, token, &c, r->error, sizeof r->error) < 0)
    goto out;
  if (fill_user(&c, &r->user) < 0) {
    cp_api_user_clear(&r->user);
    rc = -1;
    goto out;
  }
  for (i = 0; i < c.n_audiences; i++)
    snprintf(r->audiences[i], sizeof r->audiences[i], "%s", c.audiences[i]);
  r->n_audiences = c.n_audiences;
  rc = 1;
out:
  json_object_put(claims);
  return rc;
}
