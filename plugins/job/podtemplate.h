/*
 * podtemplate - the pod a Job creates, as kube's job controller makes it
 * from spec.template: generateName "<job>-" ("<job>-<index>-" when
 * Indexed), the template's labels and annotations, the tracking
 * finalizer, the Job as controller; for an Indexed Job also the index
 * as annotation and label (batch.kubernetes.io/job-completion-index),
 * hostname "<job>-<index>" and the env JOB_COMPLETION_INDEX (from the
 * annotation, through fieldRef) in every container and init container;
 * with backoffLimitPerIndex, the index's failures so far.
 *
 * Ownership: the body is the caller's (api->free).
 * Threading: pure function of a borrowed object.
 */
#ifndef JOB_PODTEMPLATE_H
#define JOB_PODTEMPLATE_H

#include "jobs.h"

/* The JSON body creating one pod of job, for completion index `index`
 * (-1: not Indexed), carrying `failures` earlier failures of that index
 * as batch.kubernetes.io/job-index-failure-count (-1: not written, no
 * backoffLimitPerIndex). NULL when out of memory or the Job has no uid. */
char *job_pod_body(const struct cplane_host_api *api, const cplane_object *job,
                   int index, int failures);

#endif
