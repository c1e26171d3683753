/*
 * test_cronjob - the cronjob plugin's modules (plugins/cronjob, without
 * its glue) and the SDK's cron.h they build on: schedules parsed and
 * stepped in UTC and through Europe/Berlin's DST changes, the tz file
 * reader, kube's most-recent-time and missed-schedule reckoning, Job
 * names, bodies and scheduled-time annotations, history order, and the
 * test-only scaled clock. Objects are the host's own (cp_host_api()).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/plugin.h"
#include "plugin_objects.h"

#include "clock.h"
#include "history.h"
#include "jobs.h"
#include "schedule.h"
#include "zone.h"

static const struct cplane_host_api *api;

static int64_t at(const char *rfc3339) {
  int64_t ms;

  assert_int_equal(cplane_time_parse(rfc3339, &ms), CPLANE_OK);
  return ms;
}

/* The next run after `after` of `spec` in `zone` (NULL: UTC), as text. */
static const char *next_in(const char *spec, const char *zone,
                           const char *after) {
  static char out[64];
  struct cplane_cron c;
  struct cj_zone z;
  char why[256];
  int64_t t;

  assert_int_equal(cplane_cron_parse(spec, &c, why, sizeof why), 0);
  assert_int_equal(cj_zone_load(NULL, zone, &z, why, sizeof why), 0);
  t = cplane_cron_next(&c, at(after), cj_zone_offset, &z);
  cj_zone_free(&z);
  if (t < 0)
    return "none";
  assert_int_equal(cplane_time_format(t, out, sizeof out), 0);
  return out;
}

static void test_cron_next_utc(void **state) {
  (void)state;
  /* 2026-01-01 is a Thursday. */
  assert_string_equal(next_in("*/15 9-17 * * mon-fri", NULL,
                              "2026-01-01T00:00:00Z"),
                      "2026-01-01T09:00:00Z");
  assert_string_equal(next_in("*/15 9-17 * * mon-fri", NULL,
                              "2026-01-02T17:45:00Z"),
                      "2026-01-05T09:00:00Z");
  assert_string_equal(next_in("* * * * *", NULL, "2026-01-01T00:00:59Z"),
                      "2026-01-01T00:01:00Z");
  assert_string_equal(next_in("* * * * *", NULL, "2026-01-01T00:01:00Z"),
                      "2026-01-01T00:02:00Z");
  assert_string_equal(next_in("@yearly", NULL, "2026-01-01T00:00:00Z"),
                      "2027-01-01T00:00:00Z");
  assert_string_equal(next_in("@monthly", NULL, "2026-01-31T10:00:00Z"),
                      "2026-02-01T00:00:00Z");
  assert_string_equal(next_in("@weekly", NULL, "2026-01-01T00:00:00Z"),
                      "2026-01-04T00:00:00Z");
  assert_string_equal(next_in("@hourly", NULL, "2026-01-01T00:00:00Z"),
                      "2026-01-01T01:00:00Z");
  /* Both day fields restricted: either matches (the 13th or a Friday). */
  assert_string_equal(next_in("0 0 13 * 5", NULL, "2026-01-01T00:00:00Z"),
                      "2026-01-02T00:00:00Z");
  /* One of them "*": both must (Fridays only). */
  assert_string_equal(next_in("0 0 * * 5", NULL, "2026-01-02T00:00:00Z"),
                      "2026-01-09T00:00:00Z");
  assert_string_equal(next_in("0 0 29 2 *", NULL, "2026-01-01T00:00:00Z"),
                      "2028-02-29T00:00:00Z");
  assert_string_equal(next_in("0 0 30 2 *", NULL, "2026-01-01T00:00:00Z"),
                      "none");
}

static void test_cron_every_and_errors(void **state) {
  struct cplane_cron c;
  char why[256];

  (void)state;
  assert_int_equal(cplane_cron_parse("@every 90s", &c, why, sizeof why), 0);
  assert_int_equal(cplane_cron_next(&c, 1500, NULL, NULL), 91000);
  assert_int_equal(cplane_cron_parse("@every 10ms", &c, why, sizeof why), 0);
  assert_int_equal(c.every_ms, 1000); /* at least a second */
  assert_int_equal(cplane_cron_parse("@every soon", &c, why, sizeof why), -1);
  assert_string_equal(why, "failed to parse duration @every soon: time: "
                           "invalid duration \"soon\"");
  assert_int_equal(cplane_cron_parse("", &c, why, sizeof why), -1);
  assert_string_equal(why, "empty spec string");
  assert_int_equal(cplane_cron_parse(" @daily", &c, why, sizeof why), -1);
  assert_string_equal(why, "expected exactly 5 fields, found 1: [@daily]");
  assert_int_equal(cplane_cron_parse("1-2-3 * * * *", &c, why, sizeof why),
                   -1);
  assert_string_equal(why, "too many hyphens: 1-2-3");
  assert_int_equal(cplane_cron_parse("*/0 * * * *", &c, why, sizeof why), -1);
  assert_string_equal(why, "step of range should be a positive number: */0");
  assert_int_equal(cplane_cron_parse("* * * * 7", &c, why, sizeof why), -1);
  assert_string_equal(why, "end of range (7) above maximum (6): 7");
  /* A step over "*" is no longer a star for the day rule. */
  assert_int_equal(cplane_cron_parse("0 0 */2 * 1", &c, why, sizeof why), 0);
  assert_false(c.dom_star);
  assert_true(c.dow_star == 0);
}

static void test_zone(void **state) {
  struct cj_zone z;
  char why[256];
  int32_t off;
  int64_t until;

  (void)state;
  assert_int_equal(cj_zone_load(NULL, "Europe/Berlin", &z, why, sizeof why),
                   0);
  cj_zone_offset(&z, at("2026-01-15T12:00:00Z") / 1000, &off, &until);
  assert_int_equal(off, 3600);
  assert_int_equal(until, at("2026-03-29T01:00:00Z") / 1000);
  cj_zone_offset(&z, at("2026-07-01T12:00:00Z") / 1000, &off, &until);
  assert_int_equal(off, 7200);
  assert_int_equal(until, at("2026-10-25T01:00:00Z") / 1000);
  cj_zone_free(&z);
  assert_int_equal(cj_zone_load(NULL, "Mars/Olympus", &z, why, sizeof why),
                   -1);
  assert_string_equal(why, "unknown time zone Mars/Olympus");
  assert_int_equal(cj_zone_load(NULL, "../../etc/passwd", &z, why, sizeof why),
                   -1);
  assert_int_equal(cj_zone_load("/etc", "hostname", &z, why, sizeof why), -1);
  assert_int_equal(cj_zone_load(NULL, "UTC", &z, why, sizeof why), 0);
  cj_zone_offset(&z, 0, &off, &until);
  assert_int_equal(off, 0);
  cj_zone_free(&z);
}

static void test_cron_dst(void **state) {
  (void)state;
  /* 09:00 Berlin: 08:00Z in winter, 07:00Z once summer time begins. */
  assert_string_equal(next_in("0 9 * * *", "Europe/Berlin",
                              "2026-03-28T00:00:00Z"),
                      "2026-03-28T08:00:00Z");
  assert_string_equal(next_in("0 9 * * *", "Europe/Berlin",
                              "2026-03-28T08:00:00Z"),
                      "2026-03-29T07:00:00Z");
  /* 02:30 does not exist on 29 March: the next is the 30th's. */
  assert_string_equal(next_in("30 2 * * *", "Europe/Berlin",
                              "2026-03-28T12:00:00Z"),
                      "2026-03-30T00:30:00Z");
  /* 02:30 happens twice on 25 October: CEST, then CET. */
  assert_string_equal(next_in("30 2 * * *", "Europe/Berlin",
                              "2026-10-24T12:00:00Z"),
                      "2026-10-25T00:30:00Z");
  assert_string_equal(next_in("30 2 * * *", "Europe/Berlin",
                              "2026-10-25T00:30:00Z"),
                      "2026-10-25T01:30:00Z");
  assert_string_equal(next_in("30 2 * * *", "Europe/Berlin",
                              "2026-10-25T01:30:00Z"),
                      "2026-10-26T01:30:00Z");
  /* A half-hour zone. */
  assert_string_equal(next_in("0 0 * * *", "Asia/Kolkata",
                              "2026-01-01T00:00:00Z"),
                      "2026-01-01T18:30:00Z");
}

static void test_most_recent(void **state) {
  struct cplane_cron c;
  struct cj_schedule s = {&c, NULL, NULL};
  struct cj_times t = {at("2026-01-01T00:00:10Z"), -1, -1};
  struct cj_recent r;
  char why[64];

  (void)state;
  assert_int_equal(cplane_cron_parse("* * * * *", &c, why, sizeof why), 0);
  /* Not due yet. */
  assert_int_equal(cj_most_recent(&s, &t, at("2026-01-01T00:00:50Z"), 1, &r),
                   0);
  assert_int_equal(r.most_recent_ms, -1);
  assert_int_equal(cj_next_delay_ms(&s, &t, at("2026-01-01T00:00:50Z")),
                   10000 + CJ_NEXT_DELTA_MS);
  /* Exactly one due. */
  cj_most_recent(&s, &t, at("2026-01-01T00:01:30Z"), 1, &r);
  assert_int_equal(r.most_recent_ms, at("2026-01-01T00:01:00Z"));
  assert_int_equal(r.missed, CJ_NONE_MISSED);
  /* Ten missed: only the latest counts. */
  cj_most_recent(&s, &t, at("2026-01-01T00:10:30Z"), 1, &r);
  assert_int_equal(r.most_recent_ms, at("2026-01-01T00:10:00Z"));
  assert_int_equal(r.missed, CJ_FEW_MISSED);
  /* From lastScheduleTime on. */
  t.last_schedule_ms = at("2026-01-01T00:10:00Z");
  cj_most_recent(&s, &t, at("2026-01-01T00:10:30Z"), 1, &r);
  assert_int_equal(r.most_recent_ms, -1);
  assert_int_equal(cj_next_delay_ms(&s, &t, at("2026-01-01T00:10:30Z")),
                   30000 + CJ_NEXT_DELTA_MS);
  /* Over a hundred missed: many, still only the latest. */
  cj_most_recent(&s, &t, at("2026-01-01T03:00:05Z"), 1, &r);
  assert_int_equal(r.missed, CJ_MANY_MISSED);
  assert_int_equal(r.most_recent_ms, at("2026-01-01T03:00:00Z"));
  /* startingDeadlineSeconds moves the earliest time up. */
  t.deadline_s = 200;
  cj_most_recent(&s, &t, at("2026-01-01T03:00:05Z"), 1, &r);
  assert_int_equal(r.earliest_ms, at("2026-01-01T02:56:45Z"));
  assert_int_equal(r.missed, CJ_FEW_MISSED);
  /* A schedule with no two times is kube's "less than 1 second". */
  assert_int_equal(cplane_cron_parse("0 0 30 2 *", &c, why, sizeof why), 0);
  assert_int_equal(cj_most_recent(&s, &t, at("2026-06-01T00:00:00Z"), 1, &r),
                   -1);
  assert_int_equal(cj_next_delay_ms(&s, &t, at("2026-06-01T00:00:00Z")), -1);
}

static void test_job_name_and_times(void **state) {
  char buf[64];

  (void)state;
  assert_int_equal(cj_job_name("hello", at("2026-01-01T00:01:00Z"), buf,
                               sizeof buf),
                   0);
  assert_string_equal(buf, "hello-29453761");
  assert_int_equal(cj_job_name("hello", 0, buf, 7), -1);
  cj_format_rfc3339(at("2026-03-29T01:00:00Z"), 7200, buf, sizeof buf);
  assert_string_equal(buf, "2026-03-29T03:00:00+02:00");
  cj_format_rfc3339(at("2026-01-01T18:30:00Z"), -34200, buf, sizeof buf);
  assert_string_equal(buf, "2026-01-01T09:00:00-09:30");
  cj_format_rfc3339(at("2026-01-01T18:30:00Z"), 0, buf, sizeof buf);
  assert_string_equal(buf, "2026-01-01T18:30:00Z");
}

static void test_job_body(void **state) {
  const cplane_object *cj = plugin_obj(
      api,
      "{'metadata':{'name':'hello','namespace':'ns1','uid':'cj-uid'},"
      "'spec':{'schedule':'* * * * *','jobTemplate':{'metadata':{"
      "'labels':{'app':'hello'},'annotations':{'a':'b','batch.kubernetes.io/"
      "cronjob-scheduled-timestamp':'old'}},'spec':{'backoffLimit':2,"
      "'template':{'spec':{'restartPolicy':'Never','containers':[{"
      "'name':'c','image':'busybox'}]}}}}}}");
  const cplane_object *job = NULL;
  char *body = cj_job_body(api, cj, at("2026-01-01T00:01:00Z"), 3600);

  (void)state;
  assert_non_null(body);
  assert_int_equal(api->object_parse(body, strlen(body), &job, NULL),
                   CPLANE_OK);
  assert_string_equal(api->object_name(job), "hello-29453761");
  assert_string_equal(api->object_namespace(job), "ns1");
  assert_string_equal(api->object_label(job, "app"), "hello");
  assert_string_equal(api->object_annotation(job, "a"), "b");
  assert_string_equal(api->object_annotation(job, CJ_SCHEDULED_ANNOTATION),
                      "2026-01-01T01:01:00+01:00");
  assert_string_equal(api->object_controller_uid(job), "cj-uid");
  assert_string_equal(
      api->object_string(job, "metadata.ownerReferences[0].kind"), "CronJob");
  assert_string_equal(
      api->object_string(job, "spec.template.spec.containers[0].image"),
      "busybox");
  api->object_release(job);
  api->free(body);
  api->object_release(cj);
  /* No template spec: nothing to build. */
  cj = plugin_obj(api, "{'metadata':{'name':'x','namespace':'n','uid':'u'},"
                       "'spec':{'jobTemplate':{'spec':3}}}");
  assert_null(cj_job_body(api, cj, 0, 0));
  api->object_release(cj);
}

static const cplane_object *job_obj(const char *name, const char *cond,
                                    const char *start) {
  char json[512];

  snprintf(json, sizeof json,
           "{'metadata':{'name':'%s','namespace':'n','uid':'%s'},'status':{"
           "%s%s%s'conditions':[{'type':'%s','status':'True'}]}}",
           name, name, start ? "'startTime':'" : "", start ? start : "",
           start ? "'," : "", cond);
  return plugin_obj(api, json);
}

static void test_history(void **state) {
  const cplane_object *cj = plugin_obj(
      api, "{'metadata':{'name':'c'},'spec':{'successfulJobsHistoryLimit':1,"
           "'failedJobsHistoryLimit':0}}");
  const cplane_object *jobs[5], *out[5];
  size_t i, n;

  (void)state;
  jobs[0] = job_obj("c-3", "Complete", NULL);
  jobs[1] = job_obj("c-2", "Complete", "2026-01-01T00:02:00Z");
  jobs[2] = job_obj("c-1", "Complete", "2026-01-01T00:03:00Z");
  jobs[3] = job_obj("c-4", "Failed", "2026-01-01T00:04:00Z");
  jobs[4] = job_obj("c-5", "Running", NULL);
  n = cj_history_victims(api, cj, jobs, 5, out);
  assert_int_equal(n, 3);
  /* Oldest start first; one with none sorts last and is kept. */
  assert_string_equal(api->object_name(out[0]), "c-2");
  assert_string_equal(api->object_name(out[1]), "c-1");
  assert_string_equal(api->object_name(out[2]), "c-4");
  for (i = 0; i < 5; i++)
    api->object_release(jobs[i]);
  api->object_release(cj);
  /* No limits: nothing goes. */
  cj = plugin_obj(api, "{'metadata':{'name':'c'},'spec':{}}");
  jobs[0] = job_obj("c-1", "Complete", NULL);
  assert_int_equal(cj_history_victims(api, cj, jobs, 1, out), 0);
  api->object_release(jobs[0]);
  api->object_release(cj);
  assert_string_equal(cj_job_finished(api, jobs[0] = job_obj("x", "Failed",
                                                             NULL)),
                      "Failed");
  api->object_release(jobs[0]);
}

static void test_clock(void **state) {
  struct cj_clock c = {1000000, 60};
  int64_t s;

  (void)state;
  assert_int_equal(cj_clock_now(&c, 1000000), 1000000);
  assert_int_equal(cj_clock_now(&c, 1001000), 1060000);
  assert_int_equal(cj_clock_host_delay(&c, 60100), 1002);
  c.scale = 1;
  assert_int_equal(cj_clock_now(&c, 5), 5);
  assert_int_equal(cj_clock_parse_scale(NULL, &s), 0);
  assert_int_equal(s, 1);
  assert_int_equal(cj_clock_parse_scale("60", &s), 0);
  assert_int_equal(s, 60);
  assert_int_equal(cj_clock_parse_scale("0", &s), -1);
  assert_int_equal(cj_clock_parse_scale("3601", &s), -1);
  assert_int_equal(cj_clock_parse_scale("6x", &s), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cron_next_utc),
      cmocka_unit_test(test_cron_every_and_errors),
      cmocka_unit_test(test_zone),
      cmocka_unit_test(test_cron_dst),
      cmocka_unit_test(test_most_recent),
      cmocka_unit_test(test_job_name_and_times),
      cmocka_unit_test(test_job_body),
      cmocka_unit_test(test_history),
      cmocka_unit_test(test_clock),
  };

  api = cp_host_api();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
