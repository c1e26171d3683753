/*
 * indexes - sets of completion indexes of an Indexed Job, as kube writes
 * them in status.completedIndexes and status.failedIndexes: ascending
 * ranges, "1,3-5,7". A set is a byte per index below `n` (completions,
 * at most 100000), so membership and counting are direct.
 *
 * Ownership: the caller owns the set's bytes; job_indexes_format returns
 * malloc'd text. Threading: pure functions.
 */
#ifndef JOB_INDEXES_H
#define JOB_INDEXES_H

#include <stddef.h>

/* Marks in set[0..n) the indexes listed in text (NULL or "": none);
 * indexes >= n are ignored, as kube ignores them after completions
 * shrink. Returns how many distinct indexes were marked, or -1 when the
 * text is malformed (what was read so far stays marked). */
int job_indexes_parse(const char *text, unsigned char *set, int n);
/* The ranges of set[0..n) ("" for none); malloc'd, NULL when out of
 * memory. */
char *job_indexes_format(const unsigned char *set, int n);
/* How many of set[0..n) are marked. */
int job_indexes_count(const unsigned char *set, int n);
/* The parsed value of an index annotation ("3"), or -1 when it is not a
 * plain decimal below n. */
int job_index_value(const char *s, int n);

#endif
