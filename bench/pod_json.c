/*
 * pod_json.c - a realistic ~2.5 KB kubelet-style pod (a ReplicaSet owner,
 * labels, a projected service-account volume, one container with env,
 * resources and probes, status conditions), varied by index and version.
 * Include from one bench source; it is not a library.
 */
#include <stdio.h>

#define NODES 500

/* Writes pod i at version rv into buf; returns its length. */
__attribute__((unused)) static size_t pod_json(char *buf, size_t cap,
                                                unsigned i, unsigned rv) {
  static const char *apps[] = {"web", "api", "worker", "cache", "auth"};
  static const char *tiers[] = {"frontend", "backend", "data"};
  const char *app = apps[i % 5];
  unsigned rs = i / 10, node = (i * 2654435761u) % NODES;
  int n;

  n = snprintf(
      buf, cap,
      "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{"
      "\"name\":\"%s-%05x-7c9d8f%05u\",\"generateName\":\"%s-%05x-7c9d8f\","
      "\"namespace\":\"team-%u\",\"uid\":\"%08x-5c1e-4d2a-9b7f-%012x\","
      "\"resourceVersion\":\"%u\",\"creationTimestamp\":"
      "\"2024-05-14T09:21:%02uZ\",\"labels\":{\"app\":\"%s\","
      "\"pod-template-hash\":\"7c9d8f%05x\",\"tier\":\"%s\","
      "\"version\":\"v1.%u.%u\"},\"annotations\":{"
      "\"prometheus.io/scrape\":\"true\"},"
      "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":"
      "\"ReplicaSet\",\"name\":\"%s-%05x-7c9d8f\",\"uid\":"
      "\"%08x-aaaa-4bbb-8ccc-%012x\",\"controller\":true,"
      "\"blockOwnerDeletion\":true}]},"
      "\"spec\":{\"volumes\":[{\"name\":\"kube-api-access-%05x\","
      "\"projected\":{\"sources\":[{\"serviceAccountToken\":{"
      "\"expirationSeconds\":3607,\"path\":\"token\"}},{\"configMap\":{"
      "\"name\":\"kube-root-ca.crt\",\"items\":[{\"key\":\"ca.crt\","
      "\"path\":\"ca.crt\"}]}}],\"defaultMode\":420}}],"
      "\"containers\":[{\"name\":\"%s\",\"image\":"
      "\"registry.example.com/team-%u/%s:1.%u.%u\",\"ports\":[{"
      "\"name\":\"http\",\"containerPort\":8080,\"protocol\":\"TCP\"}],"
      "\"env\":[{\"name\":\"LOG_LEVEL\",\"value\":\"info\"},{\"name\":"
      "\"POD_NAME\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\","
      "\"fieldPath\":\"metadata.name\"}}}],"
      "\"resources\":{\"limits\":{\"cpu\":\"500m\","
      "\"memory\":\"512Mi\"},\"requests\":{\"cpu\":\"250m\",\"memory\":"
      "\"256Mi\"}},\"volumeMounts\":[{\"name\":\"kube-api-access-%05x\","
      "\"readOnly\":true,\"mountPath\":"
      "\"/var/run/secrets/kubernetes.io/serviceaccount\"}],"
      "\"terminationMessagePath\":\"/dev/termination-log\","
      "\"imagePullPolicy\":"
      "\"IfNotPresent\"}],\"restartPolicy\":\"Always\","
      "\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":\"ClusterFirst\","
      "\"serviceAccountName\":\"default\","
      "\"nodeName\":\"node-%03u.zone-%c.example.com\","
      "\"schedulerName\":\"default-scheduler\",\"tolerations\":[{\"key\":"
      "\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":"
      "\"NoExecute\",\"tolerationSeconds\":300}],"
      "\"priority\":0,\"enableServiceLinks\":true},\"status\":{\"phase\":\"Running\","
      "\"conditions\":[{\"type\":\"Initialized\",\"status\":\"True\","
      "\"lastTransitionTime\":\"2024-05-14T09:21:02Z\"},{\"type\":"
      "\"Ready\",\"status\":\"True\",\"lastTransitionTime\":"
      "\"2024-05-14T09:21:09Z\"},{\"type\":\"PodScheduled\",\"status\":\"True\","
      "\"lastTransitionTime\":\"2024-05-14T09:21:01Z\"}],\"hostIP\":"
      "\"10.0.%u.%u\",\"podIP\":\"10.%u.%u.%u\",\"podIPs\":[{\"ip\":"
      "\"10.%u.%u.%u\"}],\"startTime\":\"2024-05-14T09:21:01Z\","
      "\"containerStatuses\":[{\"name\":\"%s\",\"state\":{\"running\":{"
      "\"startedAt\":\"2024-05-14T09:21:05Z\"}},"
      "\"ready\":true,\"restartCount\":%u,\"image\":"
      "\"registry.example.com/team-%u/%s:1.%u.%u\",\"imageID\":"
      "\"registry.example.com/team-%u/%s@sha256:%08x%08x%08x%08x\","
      "\"containerID\":\"containerd://%08x%08x%08x%08x\",\"started\":true}],"
      "\"qosClass\":\"Burstable\"}}",
      app, rs, i, app, rs, i % 50, i, i, rv, i % 60, app, rs, tiers[i % 3],
      i % 7, i % 13, app, rs, rs, rs, i, app, i % 50, app, i % 7, i % 13, i,
      node, 'a' + (int)(node % 3), node / 250, node % 250, (i >> 16) & 255,
      (i >> 8) & 255, i & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255, app,
      i % 3, i % 50, app, i % 7, i % 13, i % 50, app, i * 7u, i * 13u,
      i * 17u, i * 19u, i * 23u, i * 29u, i * 31u, i * 37u);
  return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

