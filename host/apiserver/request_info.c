/*
 * request_info - see request_info.h. Follows kube-apiserver's
 * k8s.io/apiserver/pkg/endpoints/request.RequestInfoFactory.
 */
#include "apiserver/request_info.h"

#include <stdlib.h>
#include <string.h>

#define MAX_PARTS 16

/* kube's namespaceSubresources: namespaces/NS/status is the namespace's
 * own subresource, not a resource named "status" in NS. */
static int namespace_subresource(const char *s) {
  return strcmp(s, "status") == 0 || strcmp(s, "finalize") == 0;
}

const char *cp_request_verb(enum cp_api_method method, int has_name,
                            int watch) {
  switch (method) {
  case CP_API_GET:
    return has_name ? "get" : watch ? "watch" : "list";
  case CP_API_POST:
    return "create";
  case CP_API_PUT:
    return "update";
  case CP_API_PATCH:
    return "patch";
  case CP_API_DELETE:
    return has_name ? "delete" : "deletecollection";
  default:
    return "unknown";
  }
}

/* A non-resource request's verb is the method in lower case. */
static const char *path_verb(enum cp_api_method m) {
  static const char *const names[] = {"get", "post", "put", "patch",
                                      "delete"};

  return m >= CP_API_GET && m <= CP_API_DELETE ? names[m] : "";
}

/* Splits buf in place at '/', skipping empty segments as the router
 * does. Returns the count, at most MAX_PARTS. */
static size_t split_parts(char *buf, char **parts) {
  size_t n = 0;
  char *p = buf;

  while (*p != '\0' && n < MAX_PARTS) {
    char *e;

    while (*p == '/')
      p++;
    if (*p == '\0')
      break;
    parts[n++] = p;
    if ((e = strchr(p, '/')) == NULL)
      break;
    *e = '\0';
    p = e + 1;
  }
  return n;
}

int cp_request_info_parse(enum cp_api_method method, const char *path,
                          int watch, struct cp_request_info *info) {
  char *parts[MAX_PARTS];
  const char *group = "";
  size_t n, i;

  memset(info, 0, sizeof *info);
  info->path = path;
  info->verb = path_verb(method);
  info->group = info->version = info->ns = "";
  info->resource = info->subresource = info->name = "";
  if ((info->buf = strdup(path)) == NULL)
    return -1;
  n = split_parts(info->buf, parts);
  if (n >= 2 && strcmp(parts[0], "api") == 0) {
    i = 2;
  } else if (n >= 3 && strcmp(parts[0], "apis") == 0) {
    group = parts[1];
    i = 3;
  } else {
    return 0;
  }
  if (i == n) /* discovery of a group version */
    return 0;
  info->resource_request = 1;
  info->group = group;
  info->version = parts[i - 1];
  if (strcmp(parts[i], "namespaces") == 0 && n - i > 1) {
    info->ns = parts[i + 1];
    if (n - i > 2 && !namespace_subresource(parts[i + 2]))
      i += 2;
  }
  info->resource = parts[i];
  if (n - i >= 2)
    info->name = parts[i + 1];
  if (n - i >= 3)
    info->subresource = parts[i + 2];
  info->verb = cp_request_verb(method, info->name[0] != '\0', watch);
  return 0;
}

void cp_request_info_clear(struct cp_request_info *info) {
  free(info->buf);
  memset(info, 0, sizeof *info);
}
