/*
 * status - see status.h.
 */
#include "apiserver/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/json_buf.h"

static const struct {
  int code;
  const char *reason;
} reasons[] = {
    {400, "BadRequest"},       {401, "Unauthorized"},
    {403, "Forbidden"},        {404, "NotFound"},
    {405, "MethodNotAllowed"}, {406, "NotAcceptable"},
    {409, "Conflict"},         {410, "Expired"},
    {413, "RequestEntityTooLarge"},
    {415, "UnsupportedMediaType"},
    {422, "Invalid"},          {429, "TooManyRequests"},
    {500, "InternalError"},    {503, "ServiceUnavailable"},
    {504, "Timeout"},
};

const char *cp_status_reason_for(int code) {
  size_t i;

  for (i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
    if (reasons[i].code == code)
      return reasons[i].reason;
  return "";
}

/* Appends ,"key":"value" when value is not NULL. */
static void put_member(struct cp_json_buf *b, const char *key,
                       const char *value, int *first) {
  if (value == NULL)
    return;
  if (!*first)
    cp_json_buf_put(b, ",", 1);
  *first = 0;
  cp_json_buf_quoted(b, key, strlen(key));
  cp_json_buf_put(b, ":", 1);
  cp_json_buf_quoted(b, value, strlen(value));
}

static void put_details(struct cp_json_buf *b,
                        const struct cp_status_details *d) {
  int first = 1;
  size_t i;

  if (d == NULL)
    return;
  cp_json_buf_puts(b, ",\"details\":{");
  put_member(b, "name", d->name, &first);
  put_member(b, "group", d->group, &first);
  put_member(b, "kind", d->kind, &first);
  put_member(b, "uid", d->uid, &first);
  if (d->n_causes > 0) {
    cp_json_buf_puts(b, first ? "\"causes\":[" : ",\"causes\":[");
    first = 0;
    for (i = 0; i < d->n_causes; i++) {
      int f = 1;

      cp_json_buf_puts(b, i ? ",{" : "{");
      put_member(b, "reason", d->causes[i].reason, &f);
      put_member(b, "message", d->causes[i].message, &f);
      put_member(b, "field", d->causes[i].field, &f);
      cp_json_buf_puts(b, "}");
    }
    cp_json_buf_puts(b, "]");
  }
  if (d->retry_after_seconds > 0) {
    char n[32];

    snprintf(n, sizeof n, "%s\"retryAfterSeconds\":%d", first ? "" : ",",
             d->retry_after_seconds);
    cp_json_buf_puts(b, n);
  }
  cp_json_buf_puts(b, "}");
}

char *cp_status_failure(int code, const char *reason, const char *message,
                        const struct cp_status_details *details) {
  struct cp_json_buf b = CP_JSON_BUF_INIT;
  char num[16];

  if (reason == NULL)
    reason = cp_status_reason_for(code);
  cp_json_buf_puts(&b, "{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                       "\"metadata\":{},\"status\":\"Failure\",\"message\":");
  cp_json_buf_quoted(&b, message != NULL ? message : "",
                     message != NULL ? strlen(message) : 0);
  cp_json_buf_puts(&b, ",\"reason\":");
  cp_json_buf_quoted(&b, reason, strlen(reason));
  put_details(&b, details);
  snprintf(num, sizeof num, ",\"code\":%d}", code);
  cp_json_buf_puts(&b, num);
  return cp_json_buf_take(&b);
}

char *cp_status_failuref(int code, const char *fmt, ...) {
  va_list ap;
  char *msg = NULL, *s;
  int n;

  va_start(ap, fmt);
  n = vasprintf(&msg, fmt, ap);
  va_end(ap);
  if (n < 0)
    return NULL;
  s = cp_status_failure(code, NULL, msg, NULL);
  free(msg);
  return s;
}

char *cp_status_success(const struct cp_status_details *details) {
  struct cp_json_buf b = CP_JSON_BUF_INIT;

  cp_json_buf_puts(&b, "{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                       "\"metadata\":{},\"status\":\"Success\"");
  put_details(&b, details);
  cp_json_buf_puts(&b, "}");
  return cp_json_buf_take(&b);
}
