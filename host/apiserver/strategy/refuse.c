/*
 * refuse - see refuse.h.
 */
#include "apiserver/strategy/refuse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "apiserver/status.h"
#include "apiserver/verbs.h"

const char *cp_strategy_refused_name(json_object *o) {
  const char *n = get_str(get(o, "metadata"), "name");

  if (n == NULL || n[0] == '\0')
    n = get_str(get(o, "metadata"), "generateName");
  return n != NULL && n[0] != '\0' ? n : "Unknown";
}

void cp_strategy_forbidden(struct cp_api_response *rs, const char *group,
                           const char *resource, const char *name,
                           const char *why_fmt, ...) {
  struct cp_status_details d = {.name = name,
                                .group = group[0] != '\0' ? group : NULL,
                                .kind = resource};
  char *why = NULL, *msg = NULL;
  va_list ap;
  int n;

  va_start(ap, why_fmt);
  n = vasprintf(&why, why_fmt, ap);
  va_end(ap);
  if (n < 0) {
    cp_api_respond_status(rs, 500, NULL);
    return;
  }
  if (name != NULL && name[0] != '\0')
    n = asprintf(&msg, "%s%s%s \"%s\" is forbidden: %s", resource,
                 group[0] != '\0' ? "." : "", group, name, why);
  else
    n = asprintf(&msg, "%s%s%s is forbidden: %s", resource,
                 group[0] != '\0' ? "." : "", group, why);
  free(why);
  if (n < 0) {
    cp_api_respond_status(rs, 500, NULL);
    return;
  }
  cp_api_respond_status(rs, 403,
                        cp_status_failure(403, "Forbidden", msg, &d));
  free(msg);
}
