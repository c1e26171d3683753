/*
 * test_kit_persistentvolume - the persistentvolume plugin (linked in
 * unchanged) on the test kit's fake host: the default class appears only
 * when none is default; a claim binds to the smallest fitting volume on
 * both sides, also after a conflict on the volume; a WaitForFirstConsumer
 * claim waits for a scheduled pod, then gets the selected node and a
 * provisioned volume; reclaim Delete removes a released volume, Retain
 * keeps it Released. No write ever comes from a dispatch callback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <cplane/testing.h>

const struct cplane_plugin *cplane_plugin_entry(void);

#define PVCS "persistentvolumeclaims"
#define PVS "persistentvolumes"
#define SCS "storageclasses.storage.k8s.io"

static cplane_test_host *start(void) {
  cplane_test_host *h = cplane_test_host_new();

  assert_non_null(h);
  assert_int_equal(cplane_test_start(h, cplane_plugin_entry()), CPLANE_OK);
  return h;
}

static void finish(cplane_test_host *h) {
  assert_int_equal(cplane_test_dispatch_writes(h), 0);
  cplane_test_host_free(h);
}

static void add_volume(cplane_test_host *h, const char *name, const char *size,
                       const char *policy) {
  char json[1024];

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolume\",\"metadata\":"
           "{\"name\":\"%s\"},\"spec\":{\"capacity\":{\"storage\":\"%s\"},"
           "\"accessModes\":[\"ReadWriteOnce\"],\"storageClassName\":\"\","
           "\"persistentVolumeReclaimPolicy\":\"%s\",\"hostPath\":{\"path\":"
           "\"/x\"}},\"status\":{\"phase\":\"Pending\"}}",
           name, size, policy);
  assert_int_equal(cplane_test_add(h, PVS, json), CPLANE_OK);
}

static void add_claim(cplane_test_host *h, const char *name,
                      const char *class) {
  char json[1024];

  snprintf(json, sizeof json,
           "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\","
           "\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\",\"uid\":"
           "\"uid-%s\"},\"spec\":{\"storageClassName\":\"%s\",\"accessModes\":"
           "[\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\":"
           "\"1Gi\"}}},\"status\":{\"phase\":\"Pending\"}}",
           name, name, class);
  assert_int_equal(cplane_test_add(h, PVCS, json), CPLANE_OK);
}

static const char *str(cplane_test_host *h, const char *res, const char *key,
                       const char *path) {
  static char buf[4][256];
  static int k;

  k = (k + 1) % 4;
  return cplane_test_get_string(h, res, key, path, buf[k], sizeof buf[k]);
}

#define NS_DEFAULT "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"default\"}}"

static void test_default_class(void **state) {
  cplane_test_host *h = start();

  (void)state;
  assert_int_equal(cplane_test_add(h, "namespaces", NS_DEFAULT), CPLANE_OK);
  cplane_test_drain(h);
  assert_string_equal(str(h, SCS, "standard", "provisioner"),
                      "cplane.io/simulated");
  assert_string_equal(str(h, SCS, "standard", "volumeBindingMode"),
                      "WaitForFirstConsumer");
  finish(h);

  /* A cluster with a default class of its own gets no second one. */
  h = start();
  assert_int_equal(
      cplane_test_add(h, SCS,
                      "{\"apiVersion\":\"storage.k8s.io/v1\",\"kind\":"
                      "\"StorageClass\",\"metadata\":{\"name\":\"gold\","
                      "\"annotations\":{\"storageclass.kubernetes.io/"
                      "is-default-class\":\"true\"}},\"provisioner\":\"x\"}"),
      CPLANE_OK);
  assert_int_equal(cplane_test_add(h, "namespaces", NS_DEFAULT), CPLANE_OK);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_count(h, SCS, NULL, NULL), 1);
  finish(h);
}

/* The smallest volume that fits wins, both sides are written, and a
 * conflict on the volume only delays it. */
static void test_binds_smallest(void **state) {
  cplane_test_host *h = start();

  (void)state;
  add_volume(h, "big", "10Gi", "Retain");
  add_volume(h, "small", "2Gi", "Retain");
  add_volume(h, "tiny", "500Mi", "Retain");
  cplane_test_drain(h);
  assert_string_equal(str(h, PVS, "small", "status.phase"), "Available");
  assert_int_equal(cplane_test_fail(h, "patch", PVS, 1, 409, NULL), CPLANE_OK);
  add_claim(h, "data", "");
  cplane_test_drain(h);
  assert_string_equal(str(h, PVCS, "default/data", "spec.volumeName"), "");
  assert_true(cplane_test_queued(h, "pvc:default/data")); /* backing off */
  cplane_test_clock_advance_ms(h, 100);
  cplane_test_drain(h);
  assert_string_equal(str(h, PVCS, "default/data", "spec.volumeName"), "small");
  assert_string_equal(str(h, PVCS, "default/data", "status.phase"), "Bound");
  assert_string_equal(str(h, PVCS, "default/data", "status.capacity.storage"),
                      "2Gi");
  assert_string_equal(
      str(h, PVCS, "default/data",
          "metadata.annotations.pv\\.kubernetes\\.io/bind-completed"),
      "yes");
  assert_string_equal(str(h, PVS, "small", "spec.claimRef.uid"), "uid-data");
  assert_string_equal(str(h, PVS, "small", "status.phase"), "Bound");
  assert_string_equal(str(h, PVS, "big", "status.phase"), "Available");

  /* Retain: the claim goes, the volume stays Released. */
  assert_int_equal(cplane_test_delete(h, PVCS, "default/data"), CPLANE_OK);
  cplane_test_drain(h);
  assert_string_equal(str(h, PVS, "small", "status.phase"), "Released");
  finish(h);
}

#define CLASS_WFFC                                                         \
  "{\"apiVersion\":\"storage.k8s.io/v1\",\"kind\":\"StorageClass\","       \
  "\"metadata\":{\"name\":\"standard\"},\"provisioner\":"                  \
  "\"cplane.io/simulated\",\"volumeBindingMode\":\"WaitForFirstConsumer\"}"

/* WaitForFirstConsumer: nothing until a pod using the claim is scheduled;
 * then selected-node, a provisioned volume, the binding; and reclaim
 * Delete removes the volume with the claim. */
static void test_wait_for_consumer(void **state) {
  cplane_test_host *h = start();

  (void)state;
  assert_int_equal(cplane_test_add(h, SCS, CLASS_WFFC), CPLANE_OK);
  add_claim(h, "data", "standard");
  cplane_test_drain(h);
  assert_int_equal(cplane_test_count(h, PVS, NULL, NULL), 0);
  assert_true(cplane_test_events_count(h, "WaitForFirstConsumer") >= 1);
  assert_int_equal(
      cplane_test_add(h, "pods",
                      "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
                      "\"name\":\"p\",\"namespace\":\"default\"},\"spec\":{"
                      "\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\"}],"
                      "\"volumes\":[{\"name\":\"d\",\"persistentVolumeClaim\":"
                      "{\"claimName\":\"data\"}}]}}"),
      CPLANE_OK);
  cplane_test_drain(h);
  assert_string_equal(
      str(h, PVCS, "default/data",
          "metadata.annotations.volume\\.kubernetes\\.io/selected-node"),
      "n1");
  assert_string_equal(str(h, PVCS, "default/data", "spec.volumeName"),
                      "pvc-uid-data");
  assert_string_equal(str(h, PVS, "pvc-uid-data", "status.phase"), "Bound");
  assert_string_equal(
      str(h, PVS, "pvc-uid-data", "spec.persistentVolumeReclaimPolicy"),
      "Delete");
  assert_int_equal(cplane_test_events_count(h, "ProvisioningSucceeded"), 1);

  assert_int_equal(cplane_test_delete(h, PVCS, "default/data"), CPLANE_OK);
  cplane_test_drain(h);
  assert_int_equal(cplane_test_count(h, PVS, NULL, NULL), 0);
  finish(h);
}

/* A failed provisioning is a Warning event and a retry, not a loss. */
static void test_provision_failure_retries(void **state) {
  cplane_test_host *h = start();

  (void)state;
  assert_int_equal(cplane_test_add(h, SCS,
                                   "{\"apiVersion\":\"storage.k8s.io/v1\","
                                   "\"kind\":\"StorageClass\",\"metadata\":{"
                                   "\"name\":\"now\"},\"provisioner\":"
                                   "\"cplane.io/simulated\"}"),
                   CPLANE_OK);
  assert_int_equal(cplane_test_fail(h, "create", PVS, 1, 500, "boom"),
                   CPLANE_OK);
  add_claim(h, "data", "now");
  cplane_test_drain(h);
  assert_int_equal(cplane_test_events_count(h, "ProvisioningFailed"), 1);
  assert_true(cplane_test_queued(h, "pvc:default/data"));
  cplane_test_clock_advance_ms(h, 2000);
  cplane_test_drain(h);
  assert_string_equal(str(h, PVCS, "default/data", "status.phase"), "Bound");
  finish(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_default_class),
      cmocka_unit_test(test_binds_smallest),
      cmocka_unit_test(test_wait_for_consumer),
      cmocka_unit_test(test_provision_failure_retries),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
