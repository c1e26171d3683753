/*
 * platform_fields - see platform_fields.h.
 */
#include "apiserver/strategy/platform_fields.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encoding/base64.h"
#include "labels/names.h"

json_object *cp_plat_get(json_object *o, const char *key, json_type t) {
  json_object *v = NULL;

  if (o == NULL || !json_object_is_type(o, json_type_object) ||
      !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, t))
    return NULL;
  return v;
}

const char *cp_plat_str(json_object *o, const char *key) {
  json_object *v = cp_plat_get(o, key, json_type_string);

  return v != NULL ? json_object_get_string(v) : NULL;
}

const char *cp_plat_str0(json_object *o, const char *key) {
  const char *s = cp_plat_str(o, key);

  return s != NULL ? s : "";
}

size_t cp_plat_len(json_object *o, const char *key) {
  json_object *v = cp_plat_get(o, key, json_type_array);

  return v != NULL ? json_object_array_length(v) : 0;
}

int cp_plat_int(json_object *o, const char *key, long long *v) {
  json_object *j = cp_plat_get(o, key, json_type_int);

  if (j == NULL)
    return 0;
  *v = (long long)json_object_get_int64(j);
  return 1;
}

int cp_plat_bool(json_object *o, const char *key, int def) {
  json_object *j = cp_plat_get(o, key, json_type_boolean);

  return j != NULL ? json_object_get_boolean(j) : def;
}

int cp_plat_equal(json_object *a, json_object *b) {
  if (a == NULL || b == NULL)
    return a == b;
  return json_object_equal(a, b);
}

/* A growing string; ok 0 once out of memory. */
struct sbuf {
  char *s;
  size_t n, cap;
  int ok;
};

static void put(struct sbuf *b, const char *s, size_t n) {
  if (!b->ok)
    return;
  if (b->n + n + 1 > b->cap) {
    size_t cap = (b->n + n + 1) * 2;
    char *p = realloc(b->s, cap);

    if (p == NULL) {
      b->ok = 0;
      return;
    }
    b->s = p;
    b->cap = cap;
  }
  memcpy(b->s + b->n, s, n);
  b->n += n;
  b->s[b->n] = '\0';
}

static void puts0(struct sbuf *b, const char *s) { put(b, s, strlen(s)); }

/* Go's %q for printable text: quotes, \ and " escaped, control bytes as
 * \xNN. */
static void put_quoted(struct sbuf *b, const char *s) {
  char hex[8];

  put(b, "\"", 1);
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;

    if (c == '"' || c == '\\') {
      put(b, "\\", 1);
      put(b, s, 1);
    } else if (c == '\n') {
      puts0(b, "\\n");
    } else if (c < 0x20 || c == 0x7f) {
      snprintf(hex, sizeof hex, "\\x%02x", c);
      puts0(b, hex);
    } else {
      put(b, s, 1);
    }
  }
  put(b, "\"", 1);
}

static char *done(struct sbuf *b) {
  if (!b->ok) {
    free(b->s);
    return NULL;
  }
  return b->s;
}

static int all_strings(json_object *a) {
  size_t i;

  for (i = 0; i < json_object_array_length(a); i++)
    if (!json_object_is_type(json_object_array_get_idx(a, i),
                             json_type_string))
      return 0;
  return 1;
}

char *cp_plat_go_value(json_object *v) {
  struct sbuf b = {NULL, 0, 0, 1};
  size_t i;

  put(&b, "", 0);
  if (v == NULL) {
    puts0(&b, "[]string(nil)");
  } else if (json_object_is_type(v, json_type_string)) {
    put_quoted(&b, json_object_get_string(v));
  } else if (json_object_is_type(v, json_type_array) && all_strings(v)) {
    puts0(&b, "[]string{");
    for (i = 0; i < json_object_array_length(v); i++) {
      if (i > 0)
        puts0(&b, ", ");
      put_quoted(&b, json_object_get_string(json_object_array_get_idx(v, i)));
    }
    puts0(&b, "}");
  } else {
    puts0(&b, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
  }
  return done(&b);
}

char *cp_plat_go_bytes(const unsigned char *p, size_t n) {
  struct sbuf b = {NULL, 0, 0, 1};
  char hex[8];
  size_t i;

  puts0(&b, "[]byte{");
  for (i = 0; i < n; i++) {
    snprintf(hex, sizeof hex, i > 0 ? ", 0x%02x" : "0x%02x", p[i]);
    puts0(&b, hex);
  }
  puts0(&b, "}");
  return done(&b);
}

unsigned char *cp_plat_b64_decode(const char *s, size_t *n) {
  size_t len = strlen(s);

  *n = 0;
  if (len > (size_t)1 << 30)
    return NULL;
  return cp_base64_decode(CP_BASE64_STD, 0, s, len, n);
}

void cp_plat_immutable(struct cp_field_errors *e, const char *field,
                       json_object *now, json_object *was) {
  char *v;

  if (cp_plat_equal(now, was))
    return;
  if ((v = cp_plat_go_value(now)) == NULL) {
    e->oom = 1;
    return;
  }
  /* Go prints a nil pointer as null. */
  cp_field_errors_add(e, CP_FIELD_INVALID, field,
                      now == NULL ? "null" : v, "field is immutable");
  free(v);
}

const char *cp_plat_path_segment_error(const char *name) {
  if (name == NULL)
    return NULL; /* a missing name is the metadata checks' to report */
  if (strcmp(name, ".") == 0)
    return "may not be '.'";
  if (strcmp(name, "..") == 0)
    return "may not be '..'";
  if (strchr(name, '/') != NULL)
    return "may not contain '/'";
  if (strchr(name, '%') != NULL)
    return "may not contain '%'";
  return NULL;
}

const char *cp_plat_dns1035_error(const char *s) {
  size_t i, n = strlen(s);

  if (n > 63)
    return "must be no more than 63 characters";
  for (i = 0; i < n; i++) {
    char c = s[i];
    int lower = c >= 'a' && c <= 'z', digit = c >= '0' && c <= '9';

    if ((i == 0 && !lower) || (i == n - 1 && !lower && !digit) ||
        (!lower && !digit && c != '-'))
      break;
  }
  if (n > 0 && i == n)
    return NULL;
  return "a DNS-1035 label must consist of lower case alphanumeric "
         "characters or '-', start with an alphabetic character, and end "
         "with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
         "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
}

const char *cp_plat_port_name_error(const char *s) {
  size_t i, n = strlen(s);
  int letter = 0;

  /* kube's order of checks; the first failing one is reported. */
  if (n > 15)
    return "must be no more than 15 characters";
  for (i = 0; i < n; i++) {
    char c = s[i];

    if (c >= 'a' && c <= 'z')
      letter = 1;
    else if (!(c >= '0' && c <= '9') && c != '-')
      return "must contain only alpha-numeric characters (a-z, 0-9), and "
             "hyphens (-)";
  }
  if (n == 0)
    return "must contain only alpha-numeric characters (a-z, 0-9), and "
           "hyphens (-)";
  if (!letter)
    return "must contain at least one letter (a-z)";
  if (strstr(s, "--") != NULL)
    return "must not contain consecutive hyphens";
  if (s[0] == '-' || s[n - 1] == '-')
    return "must not begin or end with a hyphen";
  return NULL;
}

void cp_plat_fully_qualified(struct cp_field_errors *e, const char *field,
                             const char *name) {
  const char *why, *p;
  int dots = 0;

  if (name == NULL || name[0] == '\0') {
    cp_field_required(e, field, NULL);
    return;
  }
  /* kube lowercases before checking the subdomain rules. */
  {
    char *lower = strdup(name);
    size_t i;

    if (lower == NULL) {
      e->oom = 1;
      return;
    }
    for (i = 0; lower[i] != '\0'; i++)
      if (lower[i] >= 'A' && lower[i] <= 'Z')
        lower[i] = (char)(lower[i] - 'A' + 'a');
    why = cp_name_dns1123_subdomain_error(lower);
    free(lower);
  }
  if (why != NULL) {
    cp_field_invalid_str(e, field, name, why);
    return;
  }
  for (p = name; *p != '\0'; p++)
    dots += *p == '.';
  if (dots < 2)
    cp_field_invalid_str(e, field, name,
                         "should be a domain with at least three segments "
                         "separated by dots");
}

int cp_plat_cidr(const char *s, unsigned char addr[16], int *bits,
                 int *prefix) {
  char ip[64];
  const char *slash = strchr(s, '/');
  char *end;
  long p;
  size_t n;

  if (slash == NULL || (n = (size_t)(slash - s)) == 0 || n >= sizeof ip ||
      slash[1] == '\0')
    return 0;
  memcpy(ip, s, n);
  ip[n] = '\0';
  p = strtol(slash + 1, &end, 10);
  if (*end != '\0' || slash[1] == '-' || slash[1] == '+')
    return 0;
  memset(addr, 0, 16);
  if (inet_pton(AF_INET, ip, addr) == 1)
    *bits = 32;
  else if (inet_pton(AF_INET6, ip, addr) == 1)
    *bits = 128;
  else
    return 0;
  if (p < 0 || p > *bits)
    return 0;
  *prefix = (int)p;
  return 1;
}

int cp_plat_is_ip(const char *s) {
  unsigned char a[16];

  return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}
