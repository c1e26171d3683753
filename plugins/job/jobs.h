/*
 * jobs - the names the job plugin's modules share: its resources and the
 * well-known keys kube's Job controller writes on pods.
 */
#ifndef JOB_JOBS_H
#define JOB_JOBS_H

#include <cplane/cplane.h>

/* The plugin's resources (defined in resources.c), indexed by these. */
extern const struct cplane_resource job_resources[2];
#define JOB_JOBS 0
#define JOB_PODS 1

/* Held by every pod the controller creates until it has counted the pod,
 * so that a finished pod is never lost (batch.kubernetes.io/v1). */
#define JOB_TRACKING_FINALIZER "batch.kubernetes.io/job-tracking"
/* Indexed Jobs: the pod's index, as annotation and label. */
#define JOB_INDEX_KEY "batch.kubernetes.io/job-completion-index"
#define JOB_INDEX_PATH_ANN                                                     \
  "metadata.annotations.batch\\.kubernetes\\.io/job-completion-index"

#endif
