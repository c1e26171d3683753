/*
 * dry_run - see dry_run.h.
 */
#include "apiserver/dry_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/verbs.h"
#include "object/json_buf.h"

/* Go's %q of s, as %#v prints a string of a []string (the characters a
 * dryRun value can hold in practice: '"' and '\' escaped, control
 * characters as \xNN). */
static void go_quoted(struct cp_json_buf *b, const char *s) {
  char esc[8];

  cp_json_buf_put(b, "\"", 1);
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;

    if (c == '"' || c == '\\') {
      esc[0] = '\\';
      esc[1] = (char)c;
      cp_json_buf_put(b, esc, 2);
    } else if (c < 0x20 || c == 0x7f) {
      snprintf(esc, sizeof esc, "\\x%02x", c);
      cp_json_buf_puts(b, esc);
    } else {
      cp_json_buf_put(b, s, 1);
    }
  }
  cp_json_buf_put(b, "\"", 1);
}

/* 422 naming values[0..n), as field.NotSupported words a []string. */
static void respond_unsupported(const char *kind, const char *const *values,
                                size_t n, struct cp_api_response *rs) {
  struct cp_json_buf b = CP_JSON_BUF_INIT;
  char *detail;
  size_t i;

  cp_json_buf_puts(&b, "Unsupported value: []string{");
  for (i = 0; i < n; i++) {
    if (i > 0)
      cp_json_buf_puts(&b, ", ");
    go_quoted(&b, values[i]);
  }
  cp_json_buf_puts(&b, "}: supported values: \"All\"");
  if ((detail = cp_json_buf_take(&b)) == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    return;
  }
  cp_verbs_options_invalid(rs, kind, "dryRun", "FieldValueNotSupported",
                           detail);
  free(detail);
}

static const char *options_kind(enum cp_api_method m) {
  switch (m) {
  case CP_API_POST: return "CreateOptions";
  case CP_API_PUT: return "UpdateOptions";
  case CP_API_PATCH: return "PatchOptions";
  case CP_API_DELETE: return "DeleteOptions";
  default: return NULL;
  }
}

int cp_dry_run_check_query(const struct cp_api_request *rq,
                           struct cp_api_response *rs) {
  const struct cp_query *q = &rq->query;
  const char *kind = options_kind(rq->method);
  const char **values;
  size_t i, n = 0;
  int bad = 0;

  if (kind == NULL || (rq->method == CP_API_DELETE && rq->body_len > 0))
    return 0;
  for (i = 0; i < q->n; i++)
    if (strcmp(q->keys[i], "dryRun") == 0) {
      n++;
      bad |= strcmp(q->values[i], "All") != 0;
    }
  if (!bad)
    return 0;
  if ((values = calloc(n, sizeof *values)) == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    return -1;
  }
  for (i = 0, n = 0; i < q->n; i++)
    if (strcmp(q->keys[i], "dryRun") == 0)
      values[n++] = q->values[i];
  respond_unsupported(kind, values, n, rs);
  free(values);
  return -1;
}

int cp_dry_run_check_list(json_object *list, struct cp_api_response *rs) {
  const char **values;
  size_t i, n;
  int bad = 0;

  if (list == NULL || !json_object_is_type(list, json_type_array))
    return 0;
  n = json_object_array_length(list);
  for (i = 0; i < n; i++) {
    json_object *v = json_object_array_get_idx(list, i);

    bad |= !json_object_is_type(v, json_type_string) ||
           strcmp(json_object_get_string(v), "All") != 0;
  }
  if (!bad)
    return n > 0;
  if ((values = calloc(n, sizeof *values)) == NULL) {
    cp_api_respond_status(rs, 500, NULL);
    return -1;
  }
  for (i = 0; i < n; i++)
    values[i] = json_object_get_string(json_object_array_get_idx(list, i));
  respond_unsupported("DeleteOptions", values, n, rs);
  free(values);
  return -1;
}

int cp_dry_run_create(cp_store *store, const char *key) {
  cp_store_kv kv;
  int rc;

  memset(&kv, 0, sizeof kv);
  rc = cp_store_get(store, key, strlen(key), 0, &kv, NULL);
  cp_store_kv_free(&kv);
  if (rc == CPLANE_OK)
    return CP_STORE_EEXISTS;
  return rc == CPLANE_ENOENT ? CPLANE_OK : rc;
}
