/*
 * names - see names.h.
 */
#include "labels/names.h"

#include <string.h>

static int is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int is_alnum(char c) {
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..n). */
static int dns_label_chars(const char *s, size_t n) {
  size_t i;

  if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
    return 0;
  for (i = 0; i < n; i++)
    if (!is_lower_alnum(s[i]) && s[i] != '-')
      return 0;
  return 1;
}

int cp_name_is_dns1123_label(const char *s, size_t n) {
  return s != NULL && n <= 63 && dns_label_chars(s, n);
}

int cp_name_is_dns1123_subdomain(const char *s, size_t n) {
  size_t start = 0, i;

  if (s == NULL || n == 0 || n > 253)
    return 0;
  for (i = 0; i <= n; i++) {
    if (i < n && s[i] != '.')
      continue;
    if (!dns_label_chars(s + start, i - start))
      return 0;
    start = i + 1;
  }
  return 1;
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], at most 63. */
static int name_part(const char *s, size_t n) {
  size_t i;

  if (n == 0 || n > 63 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
    return 0;
  for (i = 0; i < n; i++)
    if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
      return 0;
  return 1;
}

int cp_name_is_qualified(const char *s) {
  const char *slash;

  if (s == NULL)
    return 0;
  slash = strchr(s, '/');
  if (slash == NULL)
    return name_part(s, strlen(s));
  return cp_name_is_dns1123_subdomain(s, (size_t)(slash - s)) &&
         name_part(slash + 1, strlen(slash + 1));
}

int cp_name_is_label_value(const char *s) {
  return s != NULL && (s[0] == '\0' || name_part(s, strlen(s)));
}

static const char subdomain_msg[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
    "characters, '-' or '.', and must start and end with an alphanumeric "
    "character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
static const char label_msg[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric "
    "characters or '-', and must start and end with an alphanumeric "
    "character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
static const char qualified_msg[] =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and "
    "must start and end with an alphanumeric character (e.g. 'MyName',  or "
    "'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
static const char value_msg[] =
    "a valid label must be an empty string or consist of alphanumeric "
    "characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
    "regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

const char *cp_name_dns1123_subdomain_error(const char *s) {
  size_t n = s != NULL ? strlen(s) : 0;

  if (n > 253)
    return "must be no more than 253 characters";
  return cp_name_is_dns1123_subdomain(s, n) ? NULL : subdomain_msg;
}

const char *cp_name_dns1123_label_error(const char *s) {
  size_t n = s != NULL ? strlen(s) : 0;

  if (n > 63)
    return "must be no more than 63 characters";
  return cp_name_is_dns1123_label(s, n) ? NULL : label_msg;
}

const char *cp_name_qualified_error(const char *s) {
  const char *slash, *name;

  if (s == NULL || s[0] == '\0')
    return "name part must be non-empty";
  if (cp_name_is_qualified(s))
    return NULL;
  slash = strchr(s, '/');
  name = slash != NULL ? slash + 1 : s;
  if (slash != NULL && slash == s)
    return "prefix part must be non-empty";
  if (slash != NULL &&
      !cp_name_is_dns1123_subdomain(s, (size_t)(slash - s)))
    return (size_t)(slash - s) > 253
               ? "prefix part must be no more than 253 characters"
               : "prefix part a lowercase RFC 1123 subdomain must consist of "
                 "lower case alphanumeric characters, '-' or '.', and must "
                 "start and end with an alphanumeric character";
  if (name[0] == '\0')
    return "name part must be non-empty";
  if (strlen(name) > 63)
    return "name part must be no more than 63 characters";
  return qualified_msg;
}

const char *cp_name_label_value_error(const char *s) {
  if (s != NULL && strlen(s) > 63)
    return "must be no more than 63 characters";
  return cp_name_is_label_value(s) ? NULL : value_msg;
}
