/*
 * rv_text - see rv_text.h.
 */
#include "apiserver/rv_text.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/printbuf.h>

#include "apiserver/verbs.h"

/* json-c writes a member as its key, a colon and the value, after a
 * comma when another member came before it (CP_VERBS_JSON_OUT is
 * compact: no spaces). */
#define RV_KEY "\"resourceVersion\":"
#define RV_KEY_LEN (sizeof RV_KEY - 1)

/* Where the placeholder's value began in the output; -1 until written. */
struct slot {
  int at;
};

static int slot_to_json(json_object *jso, struct printbuf *pb, int level,
                        int flags) {
  struct slot *s = json_object_get_userdata(jso);

  (void)level;
  (void)flags;
  s->at = pb->bpos;
  return printbuf_strappend(pb, "\"\"");
}

/* Copies text (n bytes) without the member whose value (the two bytes
 * "") starts at value_at, into t. 0, or -1 when the member is not as
 * json-c writes it (t->spliced stays 0) or out of memory. */
static int cut_member(struct cp_rv_text *t, const char *text, size_t n,
                      size_t value_at) {
  size_t from, to;

  if (value_at < RV_KEY_LEN + 1 || value_at + 2 > n ||
      memcmp(text + value_at - RV_KEY_LEN, RV_KEY, RV_KEY_LEN) != 0 ||
      memcmp(text + value_at, "\"\"", 2) != 0)
    return -1;
  from = value_at - RV_KEY_LEN;
  to = value_at + 2;
  t->comma = text[from - 1] == ',';
  if (!t->comma && text[from - 1] != '{')
    return -1;
  from -= (size_t)t->comma;
  if ((t->stored = malloc(n - (to - from) + 1)) == NULL)
    return -1;
  memcpy(t->stored, text, from);
  memcpy(t->stored + from, text + to, n - to);
  t->len = n - (to - from);
  t->stored[t->len] = '\0';
  t->at = from;
  t->spliced = 1;
  return 0;
}

int cp_rv_text_make(struct cp_rv_text *t, json_object *o) {
  json_object *md = metadata(o), *ph = json_object_new_string("");
  struct slot s = {.at = -1};
  const char *text;
  size_t n = 0;

  memset(t, 0, sizeof *t);
  if (ph == NULL)
    goto plain;
  json_object_set_serializer(ph, slot_to_json, &s, NULL);
  /* Deleted first so that the placeholder goes last, where
   * cp_verbs_set_rv puts the revision. */
  json_object_object_del(md, "resourceVersion");
  if (json_object_object_add(md, "resourceVersion", ph) < 0) {
    json_object_put(ph);
    goto plain;
  }
  text = json_object_to_json_string_length(o, CP_VERBS_JSON_OUT, &n);
  json_object_object_del(md, "resourceVersion"); /* puts ph */
  if (text != NULL && s.at >= 0 && cut_member(t, text, n, (size_t)s.at) == 0)
    return 0;
plain:
  /* Not spliceable: the stored text alone, the reply serialized. */
  if ((t->stored = cp_verbs_stored_text(o)) == NULL)
    return -1;
  t->len = strlen(t->stored);
  return 0;
}

char *cp_rv_text_reply(const struct cp_rv_text *t, json_object *o,
                       int64_t rev) {
  char member[64], *out;
  int m;

  cp_verbs_set_rv(o, rev);
  if (!t->spliced)
    return cp_api_to_text(o);
  assert(t->stored != NULL && t->at <= t->len);
  m = snprintf(member, sizeof member, "%s" RV_KEY "\"%" PRId64 "\"",
               t->comma ? "," : "", rev);
  assert(m > 0 && (size_t)m < sizeof member);
  if ((out = malloc(t->len + (size_t)m + 1)) == NULL)
    return NULL;
  memcpy(out, t->stored, t->at);
  memcpy(out + t->at, member, (size_t)m);
  memcpy(out + t->at + m, t->stored + t->at, t->len - t->at + 1);
  return out;
}

void cp_rv_text_clear(struct cp_rv_text *t) {
  free(t->stored);
  memset(t, 0, sizeof *t);
}
