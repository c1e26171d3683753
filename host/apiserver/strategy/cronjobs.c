/*
 * cronjobs - batch/v1 CronJob, as kube's pkg/registry/batch/cronjob
 * strategy: status reset on create, SetDefaults_CronJob
 * (concurrencyPolicy Allow, suspend false, history limits 3 and 1),
 * ValidateCronJob (a name of at most 52 characters, a schedule the cron
 * parser takes and no TZ in it, a known timeZone, the job template's
 * pod template with containers and restartPolicy OnFailure or Never).
 */
#include "apiserver/strategy/strategy.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include <cplane/cron.h>

#include "apiserver/strategy/fields.h"
#include "apiserver/strategy/pod_template.h"
#include "apiserver/strategy/printers.h"
#include "apiserver/strategy/workloads.h"

/* kube: a CronJob's name plus the 11 characters of a job's suffix must
 * be a valid label value. */
#define MAX_NAME 52

void cp_defaults_cronjob(json_object *obj) {
  json_object *spec = cp_field_obj(obj, "spec");

  if (spec == NULL)
    return;
  cp_field_default(spec, "concurrencyPolicy", json_object_new_string("Allow"));
  cp_field_default(spec, "suspend", json_object_new_boolean(0));
  cp_field_default(spec, "successfulJobsHistoryLimit", json_object_new_int(3));
  cp_field_default(spec, "failedJobsHistoryLimit", json_object_new_int(1));
}

static void prepare_create(const struct cp_strategy_write *w,
                           json_object *obj) {
  (void)w;
  cp_defaults_cronjob(obj);
  cp_field_set(obj, "status", json_object_new_object());
}

static void prepare_update(const struct cp_strategy_write *w,
                           json_object *obj, json_object *old) {
  (void)w;
  (void)old;
  cp_defaults_cronjob(obj);
}

/* A time zone name the tz database knows (kube loads it the same way). */
static int known_zone(const char *tz) {
  char path[512];

  if (tz[0] == '\0' || tz[0] == '/' || strstr(tz, "..") != NULL ||
      strlen(tz) > 255)
    return 0;
  snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz);
  return access(path, R_OK) == 0;
}

static void check_schedule(json_object *spec, struct cp_field_errors *errs) {
  const char *s = cp_field_str(spec, "schedule");
  const char *tz = cp_field_str(spec, "timeZone");
  struct cplane_cron cron;
  char why[256], value[600];

  if (s == NULL || s[0] == '\0') {
    cp_field_required(errs, "spec.schedule", NULL);
  } else if (strstr(s, "TZ") != NULL) {
    cp_field_invalid_str(errs, "spec.schedule", s,
                         "cannot use TZ or CRON_TZ in schedule, use timeZone "
                         "field instead");
  } else if (cplane_cron_parse(s, &cron, why, sizeof why) < 0) {
    cp_field_invalid_str(errs, "spec.schedule", s, why);
  }
  if (tz != NULL && !known_zone(tz)) {
    snprintf(value, sizeof value, "unknown time zone %s", tz);
    cp_field_invalid_str(errs, "spec.timeZone", tz, value);
  }
}

static void validate(const struct cp_strategy_write *w, json_object *obj,
                     json_object *old, struct cp_field_errors *errs) {
  static const char *const job_restart[] = {"OnFailure", "Never", NULL};
  json_object *spec = cp_field_at(obj, "spec");
  const char *name = cp_field_str(obj, "metadata.name");
  char detail[64];

  (void)old;
  if (w->subresource != NULL)
    return;
  if (name != NULL && strlen(name) > MAX_NAME) {
    snprintf(detail, sizeof detail, "must be no more than %d characters",
             MAX_NAME);
    cp_field_invalid_str(errs, "metadata.name", name, detail);
  }
  check_schedule(spec, errs);
  cp_check_nonnegative(spec, "spec", "startingDeadlineSeconds", errs);
  cp_check_nonnegative(spec, "spec", "successfulJobsHistoryLimit", errs);
  cp_check_nonnegative(spec, "spec", "failedJobsHistoryLimit", errs);
  cp_pod_template_check_spec(cp_field_at(spec, "jobTemplate.spec.template"),
                             "spec.jobTemplate.spec.template", job_restart,
                             errs);
}

static const struct cp_table_column columns[] = {
    {"Name", "string", "name", 0, ""},
    {"Schedule", "string", "", 0, ""},
    {"Timezone", "string", "", 0, ""},
    {"Suspend", "boolean", "", 0, ""},
    {"Active", "integer", "", 0, ""},
    {"Last Schedule", "string", "", 0, ""},
    {"Age", "string", "", 0, ""},
    {"Containers", "string", "", 1, ""},
    {"Images", "string", "", 1, ""},
    {"Selector", "string", "", 1, ""},
};

static void cells(json_object *obj, long long now, json_object *out) {
  json_object *active = cp_field_typed(obj, "status.active", json_type_array);
  const char *last = cp_field_str(obj, "status.lastScheduleTime");
  char buf[32];

  cp_cell_name(out, obj);
  cp_cell_str(out, cp_field_str(obj, "spec.schedule"));
  cp_cell_str(out, cp_field_str(obj, "spec.timeZone"));
  cp_cell_str(out, cp_field_true(obj, "spec.suspend") ? "True" : "False");
  cp_cell_int(out, active != NULL ? (long long)json_object_array_length(active)
                                  : 0);
  if (last != NULL)
    cp_print_age(buf, sizeof buf, last, now);
  cp_cell_str(out, last != NULL ? buf : "<none>");
  cp_cell_age(out, obj, now);
  cp_cell_containers(out, cp_field_at(obj, "spec.jobTemplate.spec.template"));
  cp_cell_selector(out, cp_field_at(obj, "spec.jobTemplate.spec.selector"));
}

static const char *const categories[] = {"all", NULL};

const struct cp_strategy cp_strategy_cronjobs = {
    .group = "batch",
    .resource = "cronjobs",
    .flags = CP_STRATEGY_GENERATION | CP_STRATEGY_STATUS_SPLIT,
    .categories = categories,
    .prepare_create = prepare_create,
    .prepare_update = prepare_update,
    .validate = validate,
    .columns = columns,
    .n_columns = sizeof columns / sizeof columns[0],
    .cells = cells,
};
