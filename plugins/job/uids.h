/*
 * uids - an ordered set of pod uids: status.uncountedTerminatedPods'
 * lists as the controller edits them (kept in the order written, so an
 * unchanged list is written back byte for byte and costs no write).
 *
 * Ownership: the list owns copies of its uids. Threading: one thread.
 */
#ifndef JOB_UIDS_H
#define JOB_UIDS_H

#include <cplane/cplane.h>

struct job_uids {
  struct cplane_sset set; /* membership */
  char **v;               /* order; each owned */
  int n, cap;
};

/* 0 or -1 (no memory). A zeroed list is empty and may be freed. */
int job_uids_init(struct job_uids *u);
void job_uids_free(struct job_uids *u);
/* Adds uid at the end unless present. 0 or -1 (no memory). */
int job_uids_add(struct job_uids *u, const char *uid);
int job_uids_has(const struct job_uids *u, const char *uid);
/* Removes every uid not in keep; returns how many went. */
int job_uids_keep_only(struct job_uids *u, const struct cplane_sset *keep);
/* The list as a JSON array of strings. Owned: free(). NULL: no memory. */
char *job_uids_json(const struct cplane_host_api *api,
                    const struct job_uids *u);

#endif
