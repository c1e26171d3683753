/*
 * ds - the names the daemonset plugin's modules share: its resources, and
 * the plain records a reconcile builds from the cache (one per node, one
 * per daemon pod) so that the decisions (plan, rolling) are pure
 * functions of arrays.
 *
 * Ownership: the strings in the records are borrowed from the objects the
 * reconcile holds (struct ds_view keeps them alive).
 * Threading: plain data; one reconcile's worker.
 */
#ifndef DS_DS_H
#define DS_DS_H

#include <cplane/cplane.h>

#include <stdint.h>

/* The plugin's resources (defined in resources.c), indexed by these. */
extern const struct cplane_resource ds_resources[4];
#define DS_DAEMONSETS 0
#define DS_PODS 1
#define DS_NODES 2
#define DS_REVISIONS 3

/* The labels kube puts on daemon pods. */
#define DS_GENERATION_LABEL "pod-template-generation"
#define DS_GENERATION_ANNOTATION "deprecated.daemonset.template.generation"

/* A node as the DaemonSet sees it: kube's NodeShouldRunDaemonPod. */
struct ds_node {
  const char *name;
  int should_run;      /* a new daemon pod may be placed here */
  int should_continue; /* a daemon pod already here may stay */
};

enum { DS_PHASE_ACTIVE, DS_PHASE_FAILED, DS_PHASE_SUCCEEDED };

/* A pod the DaemonSet controls. */
struct ds_pod {
  const char *name;
  int node;      /* index into the nodes, or -1: no such node */
  int scheduled; /* spec.nodeName is set */
  int updated;   /* of the current revision (hash or template generation) */
  int ready, available;
  int phase;    /* DS_PHASE_* */
  int deleting; /* metadata.deletionTimestamp is set */
  int64_t created_ms;
};

#endif
