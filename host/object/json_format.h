/*
 * json_format - build JSON text from a template, with escaping done for the
 * caller. This is what the SDK's api->json_format() runs.
 *
 * Template: JSON in which ' stands for " and these directives insert
 * values: %s (string, escaped and quoted; NULL gives null), %d %ld %lld %u
 * (integers), %b (true/false from int), %j (raw JSON, checked valid), %%.
 * The whole result is checked to be valid JSON before it is returned.
 *
 * Threading: safe from any thread; the only state is the thread-local
 * reason of the last failure.
 * Ownership: the result is malloc'd; the caller frees it. NULL on a bad
 * template, invalid %j text, invalid result or out of memory, and then
 * cp_json_format_error() says which.
 */
#ifndef CPLANE_HOST_JSON_FORMAT_H
#define CPLANE_HOST_JSON_FORMAT_H

#include <stdarg.h>

char *cp_json_format(const char *fmt, ...);
char *cp_json_vformat(const char *fmt, va_list ap);
/* Why the last format on this thread returned NULL (one line naming the
 * directive, the %j text's parse error with its byte offset, or "out of
 * memory"), or NULL when it succeeded or none ran. Borrowed: thread-local,
 * valid until the next format on this thread. */
const char *cp_json_format_error(void);

#endif /* CPLANE_HOST_JSON_FORMAT_H */
