"""The Debian python3-kubernetes client against cplane's workload kinds:
typed create, list and watch of a Job and a StatefulSet (BatchV1Api,
AppsV1Api), reading back the defaults the server sets (a Job's generated
selector, a StatefulSet's podManagementPolicy), and a 422 the client
raises as ApiException.

Usage: python_workloads.py KUBECONFIG
"""
import sys
import threading

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

TEMPLATE = {"metadata": {"labels": {"app": "w"}},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}}


def job(name):
    t = {"metadata": {}, "spec": dict(TEMPLATE["spec"],
                                      restartPolicy="Never")}
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name}, "spec": {"template": t}}


def sts(name):
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": name},
            "spec": {"serviceName": name,
                     "selector": {"matchLabels": {"app": "w"}},
                     "template": TEMPLATE}}


def watch_for(list_fn, name, rv, seen):
    for ev in watch.Watch().stream(list_fn, "default", resource_version=rv,
                                   timeout_seconds=10):
        if ev["type"] == "ADDED" and ev["object"].metadata.name == name:
            seen.append(ev["object"])
            return


def check(kind, api_list, create, make):
    first = create("default", make("a"))
    rv = api_list("default").metadata.resource_version
    seen = []
    t = threading.Thread(target=watch_for, args=(api_list, "b", rv, seen))
    t.start()
    create("default", make("b"))
    t.join(15)
    assert seen, "%s: the watch saw no ADDED b" % kind
    names = [o.metadata.name for o in api_list("default").items]
    assert names == ["a", "b"], names
    print("ok: %s create, list and watch" % kind)
    return first


def main():
    config.load_kube_config(sys.argv[1])
    batch = client.BatchV1Api()
    apps = client.AppsV1Api()
    j = check("Job", batch.list_namespaced_job, batch.create_namespaced_job,
              job)
    assert j.spec.backoff_limit == 6, j.spec
    assert j.spec.completion_mode == "NonIndexed", j.spec
    uid = j.spec.selector.match_labels["batch.kubernetes.io/controller-uid"]
    assert uid == j.metadata.uid, j.spec.selector
    s = check("StatefulSet", apps.list_namespaced_stateful_set,
              apps.create_namespaced_stateful_set, sts)
    assert s.spec.pod_management_policy == "OrderedReady", s.spec
    assert s.spec.update_strategy.rolling_update.partition == 0, s.spec
    bad = sts("bad")
    bad["spec"]["selector"] = {"matchLabels": {"app": "other"}}
    try:
        apps.create_namespaced_stateful_set("default", bad)
        raise AssertionError("a selector not matching the labels was taken")
    except ApiException as e:
        assert e.status == 422, e
        assert "`selector` does not match template `labels`" in e.body, e.body
    print("ok: a StatefulSet whose selector misses its labels is a 422")


if __name__ == "__main__":
    main()
