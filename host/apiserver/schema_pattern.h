/*
 * schema_pattern - the `pattern` keyword of a schema, matched as kube
 * matches it. kube-apiserver compiles a schema's pattern with Go's regexp
 * (RE2 syntax, k8s.io/kube-openapi's validate package) and tests it with
 * an unanchored search. This compiles the pattern with PCRE2 instead,
 * after refusing what RE2 would not compile (backreferences, lookaround,
 * atomic groups, possessive quantifiers, PCRE-only escapes, repeat counts
 * over 1000) with Go's messages, and rewriting where the two read the
 * same text differently (\v, octal escapes, `$` before a final newline).
 *
 * A match runs under a PCRE2 match, depth and heap limit; a pattern that
 * backtracks past them (`^(a|aa)+$` on "aaaa…!") is answered by PCRE2's
 * DFA matcher, which does not backtrack. The DFA matcher runs in a small
 * workspace; nested repeats (`^(a+)+$`) can exhaust it too, and then the
 * value is refused as not matching. So a match always ends quickly (tens
 * of milliseconds on a 200 kB value); it gives RE2's answer except that a
 * value only such a pattern could match after the budget is refused.
 *
 * Threading: a compiled pattern is immutable; any number of threads may
 * match against it at once (each match allocates its own match data).
 * Ownership: the caller owns what cp_pattern_compile returns and frees
 * it with cp_pattern_free.
 */
#ifndef CPLANE_HOST_APISERVER_SCHEMA_PATTERN_H
#define CPLANE_HOST_APISERVER_SCHEMA_PATTERN_H

#include <stddef.h>

struct cp_pattern;

/* Compiles pattern (RE2 syntax, as kube takes it). NULL with *err
 * (malloc'd) worded as Go's regexp.Compile error ("error parsing regexp:
 * invalid or unsupported Perl syntax: `(?=`"), or "out of memory". */
struct cp_pattern *cp_pattern_compile(const char *pattern, char **err);
void cp_pattern_free(struct cp_pattern *p);

/* 1 when s (len bytes, UTF-8) contains a match, 0 when not; -1 when the
 * match could not be decided (out of memory, or past both budgets): the
 * caller treats it as no match, so a value is never let through
 * unchecked. */
int cp_pattern_match(const struct cp_pattern *p, const char *s, size_t len);

/* The leftmost match in s at or after byte from, for CEL's find() and
 * findAll(): 1 with [*start, *end), 0 when none, -1 when it could not be
 * decided (out of memory, or past the backtracking budget: no DFA
 * fallback here, as it cannot say where a match starts). */
int cp_pattern_find(const struct cp_pattern *p, const char *s, size_t len,
                    size_t from, size_t *start, size_t *end);

#endif /* CPLANE_HOST_APISERVER_SCHEMA_PATTERN_H */
