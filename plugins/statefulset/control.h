/*
 * control - the pod writes of one StatefulSet sync, as kube's
 * updateStatefulSet: each missing ordinal gets its claims and its pod
 * (OrderedReady: in order, each after the one before is Running and Ready
 * (and available for minReadySeconds); Parallel: all at once), a failed
 * or succeeded pod is deleted to be made again, pods beyond the replicas
 * are deleted highest ordinal first (one at a time when ordered), then
 * RollingUpdate replaces pods of an old revision from the highest ordinal
 * down to the partition (one at a time, or up to maxUnavailable when it
 * is set); OnDelete replaces nothing. Status counts follow each write.
 *
 * Threading: blocking writes; a reconcile's worker only.
 */
#ifndef STS_CONTROL_H
#define STS_CONTROL_H

#include "sts.h"

/* 0 (done, or waiting for a pod: its events queue the set again), or -1
 * on a failed write. */
int sts_update_pods(struct sts *s);

#endif
