/*
 * sync - see sync.h. The steps follow kube's syncCronJob in order, with
 * its event reasons and messages.
 */
#include "sync.h"

#include "cj.h"
#include "history.h"
#include "jobs.h"
#include "schedule.h"
#include "zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CRONJOB (&cj_resources[CJ_CRONJOBS])
#define JOBS (&cj_resources[CJ_JOBS])
#define EVENT(s, type, reason, ...)                                        \
  (void)(s)->api->event_record((s)->ctx, CRONJOB, (s)->cj, type, reason,   \
                               __VA_ARGS__)
#define DELETE_BACKGROUND "{\"propagationPolicy\":\"Background\"}"

/* GETs a Job from the API server, past the cache: its HTTP status (200,
 * 404...) or a negative status; *msg as api->get() gives it. */
static int get_job(struct cj_sync *s, const char *ns, const char *name,
                   char **msg) {
  const cplane_object *job = NULL;
  int code = s->api->get(s->ctx, JOBS, ns, name, &job, msg);

  s->api->object_release(job);
  return code;
}

/* A Job of ours, unfinished and not in status.active: kube re-reads the
 * CronJob first, as the cache may not show our own status write yet.
 * 1 when the fresh CronJob lists it (we are behind: stop), 0 when it is
 * really unexpected (a Job someone else made, e.g. kubectl create job
 * --from), -1 when the read failed. */
static int unexpected(struct cj_sync *s, const cplane_object *job) {
  const cplane_object *fresh = NULL;
  struct cj_status st;
  int code, rc = -1;

  code = s->api->get(s->ctx, CRONJOB, s->api->object_namespace(s->cj),
                     s->api->object_name(s->cj), &fresh, NULL);
  if (code == 404)
    return 0;
  if (code != 200)
    return -1;
  if (cj_status_load(s->api, fresh, &st) == 0) {
    rc = cj_status_find(&st, s->api->object_uid(job), NULL) >= 0;
    cj_status_free(&st);
  }
  s->api->object_release(fresh);
  if (rc == 0)
    EVENT(s, "Warning", "UnexpectedJob",
          "Saw a job that the controller did not create or forgot: %s",
          s->api->object_name(job));
  return rc;
}

/* The finished Job's completionTime as lastSuccessfulTime when later. */
static void note_success(struct cj_sync *s, const cplane_object *job) {
  int64_t at;

  if (cplane_time_parse(s->api->object_string(job, "status.completionTime"),
                        &at) != CPLANE_OK)
    return;
  if (s->st.last_successful_ms < 0 || at > s->st.last_successful_ms) {
    s->st.last_successful_ms = at;
    s->st.changed = 1;
  }
}

/* status.active against the Jobs that exist. 0, 1 when the cache is
 * behind (stop and look again), -1 on a failed read. */
static int reconcile_active(struct cj_sync *s) {
  const struct cplane_host_api *api = s->api;
  size_t i, k;
  int r;

  for (i = 0; i < s->n_jobs; i++) {
    const cplane_object *j = s->jobs[i];
    const char *fin = cj_job_finished(api, j);
    int at = cj_status_find(&s->st, api->object_uid(j), NULL);

    if (at < 0 && fin == NULL) {
      if ((r = unexpected(s, j)) != 0)
        return r;
    } else if (at >= 0 && fin != NULL) {
      cj_status_remove(&s->st, at);
      EVENT(s, "Normal", "SawCompletedJob",
            "Saw completed job: %s, condition: %s", api->object_name(j), fin);
    }
    if (fin != NULL)
      note_success(s, j);
  }
  for (k = 0; k < s->st.n_active;) {
    const struct cj_ref *ref = &s->st.active[k];
    int found = 0, code;

    for (i = 0; i < s->n_jobs && !found; i++)
      found = strcmp(api->object_uid(s->jobs[i]), ref->uid) == 0;
    if (found) {
      k++;
      continue;
    }
    /* Not in the cache: ask the API server before calling it gone. */
    code = get_job(s, ref->ns, ref->name, NULL);
    if (code == 404) {
      EVENT(s, "Normal", "MissingJob", "Active job went missing: %s",
            ref->name);
      cj_status_remove(&s->st, (int)k);
      continue;
    }
    if (code != 200)
      return -1;
    k++;
  }
  return 0;
}

/* Deletes a Job (Background), dropping it from active. 0, or -1. */
static int delete_job(struct cj_sync *s, const char *ns, const char *name,
                      const char *uid) {
  char *msg = NULL;
  int code = s->api->delete_object(s->ctx, JOBS, ns, name, DELETE_BACKGROUND,
                                   &msg);

  if (code != 200 && code != 202 && code != 404) {
    EVENT(s, "Warning", "FailedDelete", "Deleted job: %s",
          msg != NULL ? msg : "no answer");
    s->api->free(msg);
    return -1;
  }
  s->api->free(msg);
  if (code != 404)
    EVENT(s, "Normal", "SuccessfulDelete", "Deleted job %s", name);
  /* Last: name and uid may be that reference's own strings. */
  cj_status_remove(&s->st, cj_status_find(&s->st, uid, NULL));
  return 0;
}

/* Replace: every active Job goes before the new one starts. */
static int replace_active(struct cj_sync *s) {
  while (s->st.n_active > 0) {
    struct cj_ref *r = &s->st.active[0];
    char *msg = NULL;
    int code = get_job(s, r->ns, r->name, &msg);

    if (code != 200) {
      EVENT(s, "Warning", "FailedGet", "Get job: %s",
            msg != NULL ? msg : "no answer");
      s->api->free(msg);
      return -1;
    }
    if (delete_job(s, r->ns, r->name, r->uid) < 0)
      return -1;
  }
  return 0;
}

/* The Job exists already (our earlier create, or a name taken): kube
 * takes it into active when it is ours and not listed yet. */
static int already_exists(struct cj_sync *s, const char *name,
                          const cplane_object **job) {
  int code = s->api->get(s->ctx, JOBS, s->api->object_namespace(s->cj), name,
                         job, NULL);

  if (code != 200)
    return -1;
  if (!cplane_is_controlled_by(s->api, *job, s->api->object_uid(s->cj)) ||
      cj_status_find(&s->st, s->api->object_uid(*job), NULL) >= 0) {
    s->api->object_release(*job);
    *job = NULL;
  }
  return 0;
}

/* Creates the Job for `at`, into active. 0, 1 when there is nothing more
 * to do this pass (the Job is someone else's), -1 on failure. */
static int create_job(struct cj_sync *s, int64_t at, int32_t offset) {
  const struct cplane_host_api *api = s->api;
  const cplane_object *job = NULL;
  char *body = cj_job_body(api, s->cj, at, offset), *msg = NULL;
  char name[320];
  int code, rc = -1;

  if (body == NULL)
    return -1;
  code = api->create(s->ctx, JOBS, api->object_namespace(s->cj), body, &job,
                     &msg);
  if (code == 201) {
    EVENT(s, "Normal", "SuccessfulCreate", "Created job %s",
          api->object_name(job));
  } else if (code == 409 && cj_job_name(api->object_name(s->cj), at, name,
                                        sizeof name) == 0) {
    if (already_exists(s, name, &job) < 0)
      goto out;
    if (job == NULL) {
      rc = 1;
      goto out;
    }
  } else {
    /* A terminating namespace refuses every create: no event for it. */
    if (msg == NULL || strstr(msg, "being terminated") == NULL)
      EVENT(s, "Warning", "FailedCreate", "Error creating job: %s",
            msg != NULL ? msg : "no answer");
    goto out;
  }
  if (cj_status_add(api, &s->st, job) < 0)
    goto out;
  s->st.last_schedule_ms = at;
  rc = 0;
out:
  api->object_release(job);
  api->free(body);
  api->free(msg);
  return rc;
}

/* kube's time.RFC1123Z in UTC, for MissSchedule. */
static void rfc1123z(int64_t ms, char *buf, size_t len) {
  static const char *const wd[] = {"Thu", "Fri", "Sat", "Sun",
                                   "Mon", "Tue", "Wed"};
  static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t sec = ms / 1000 - (ms % 1000 < 0), day, y;
  int m, d, tod;

  day = sec / 86400 - (sec % 86400 < 0);
  tod = (int)(sec - day * 86400);
  cplane_time__civil(day, &y, &m, &d);
  snprintf(buf, len, "%s, %02d %s %04lld %02d:%02d:%02d +0000",
           wd[((day % 7) + 7) % 7], d, mon[m - 1], (long long)y, tod / 3600,
           tod % 3600 / 60, tod % 60);
}

/* From the schedule on: start the most recent unmet run, or not. */
static int launch(struct cj_sync *s, const struct cj_schedule *sch,
                  struct cj_times *t, const struct cj_zone *zone) {
  const struct cplane_host_api *api = s->api;
  const char *policy = api->object_string(s->cj, "spec.concurrencyPolicy");
  struct cj_recent r;
  char name[320], when[64];
  int32_t off = 0;
  int64_t until;
  int rc;

  if (cj_most_recent(sch, t, s->now_ms, 1, &r) < 0) {
    EVENT(s, "Warning", "InvalidSchedule", "invalid schedule: %s : %s",
          api->object_string(s->cj, "spec.schedule"),
          "time difference between two schedules is less than 1 second");
    return 0;
  }
  s->requeue_ms = cj_next_delay_ms(sch, t, s->now_ms);
  if (r.most_recent_ms < 0 || r.most_recent_ms > s->now_ms)
    return 0;
  if (r.missed == CJ_MANY_MISSED)
    EVENT(s, "Warning", "TooManyMissedTimes",
          "too many missed start times. Set or decrease "
          ".spec.startingDeadlineSeconds or check clock skew");
  if (t->deadline_s >= 0 &&
      r.most_recent_ms + t->deadline_s * 1000 < s->now_ms) {
    rfc1123z(r.most_recent_ms, when, sizeof when);
    EVENT(s, "Warning", "MissSchedule",
          "Missed scheduled time to start a job: %s", when);
    return 0;
  }
  if (cj_job_name(api->object_name(s->cj), r.most_recent_ms, name,
                  sizeof name) != 0 ||
      cj_status_find(&s->st, NULL, name) >= 0 ||
      s->st.last_schedule_ms == r.most_recent_ms)
    return 0; /* already processed */
  if (policy != NULL && strcmp(policy, "Forbid") == 0 && s->st.n_active > 0) {
    EVENT(s, "Normal", "JobAlreadyActive",
          "Not starting job because prior execution is running and "
          "concurrency policy is Forbid");
    return 0;
  }
  if (policy != NULL && strcmp(policy, "Replace") == 0 &&
      replace_active(s) < 0)
    return -1;
  cj_zone_offset((void *)zone, r.most_recent_ms / 1000, &off, &until);
  if ((rc = create_job(s, r.most_recent_ms, off)) != 0) {
    s->requeue_ms = -1; /* kube: an error retries; another's Job, no more */
    return rc < 0 ? -1 : 0;
  }
  t->last_schedule_ms = s->st.last_schedule_ms;
  s->requeue_ms = cj_next_delay_ms(sch, t, s->now_ms);
  return 0;
}

/* Time zone, suspend and schedule, then launch(). */
static int schedule(struct cj_sync *s) {
  const struct cplane_host_api *api = s->api;
  const char *tz = api->object_string(s->cj, "spec.timeZone");
  const char *spec = api->object_string(s->cj, "spec.schedule");
  struct cplane_cron cron;
  struct cj_zone zone;
  struct cj_schedule sch = {&cron, cj_zone_offset, &zone};
  struct cj_times t = {0, s->st.last_schedule_ms, -1};
  char why[256];
  int suspend = 0, rc;

  if (cj_zone_load(s->zone_dir, tz, &zone, why, sizeof why) < 0) {
    EVENT(s, "Warning", "UnknownTimeZone", "invalid timeZone: \"%s\": %s",
          tz, why);
    return 0;
  }
  if (api->object_bool(s->cj, "spec.suspend", &suspend) == CPLANE_OK &&
      suspend) {
    rc = 0;
    goto out;
  }
  if (cplane_cron_parse(spec != NULL ? spec : "", &cron, why, sizeof why) <
      0) {
    EVENT(s, "Warning", "UnparseableSchedule",
          "unparseable schedule: \"%s\" : %s", spec != NULL ? spec : "", why);
    rc = 0;
    goto out;
  }
  if (cplane_time_parse(api->object_string(s->cj, "metadata.creationTimestamp"),
                        &t.created_ms) != CPLANE_OK)
    t.created_ms = s->now_ms;
  if (api->object_int(s->cj, "spec.startingDeadlineSeconds", &t.deadline_s) !=
          CPLANE_OK ||
      t.deadline_s < 0)
    t.deadline_s = -1;
  rc = launch(s, &sch, &t, &zone);
out:
  cj_zone_free(&zone);
  return rc;
}

int cj_sync_run(struct cj_sync *s) {
  int r;

  s->requeue_ms = -1;
  if ((r = reconcile_active(s)) != 0)
    return r;
  if (s->api->object_deletion_timestamp(s->cj) != NULL)
    return 0; /* being deleted: status only */
  return schedule(s);
}

int cj_sync_cleanup(struct cj_sync *s) {
  const cplane_object **victims;
  size_t i, n;
  int rc = 0;

  if (s->n_jobs == 0)
    return 0;
  if ((victims = calloc(s->n_jobs, sizeof *victims)) == NULL)
    return -1;
  n = cj_history_victims(s->api, s->cj, s->jobs, s->n_jobs, victims);
  for (i = 0; i < n; i++)
    if (s->api->object_deletion_timestamp(victims[i]) == NULL &&
        delete_job(s, s->api->object_namespace(victims[i]),
                   s->api->object_name(victims[i]),
                   s->api->object_uid(victims[i])) < 0)
      rc = -1;
  free(victims);
  return rc;
}
