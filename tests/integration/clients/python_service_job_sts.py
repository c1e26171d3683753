"""The Debian python3-kubernetes client against cplane: typed create, list
and watch of a Service, a Job and a StatefulSet (CoreV1Api, BatchV1Api,
AppsV1Api), each object deserialized by the client's models (a field
of the wrong shape fails there).

Usage: python_service_job_sts.py KUBECONFIG NAMESPACE
"""
import sys
import threading

from kubernetes import client, config, watch

TEMPLATE = {"metadata": {"labels": {"app": "s"}},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}}


def service(name):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"selector": {"app": "s"}, "ports": [{"port": 80}]}}


def job(name):
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name},
            "spec": {"template": {"metadata": {}, "spec": dict(
                TEMPLATE["spec"], restartPolicy="Never")}}}


def sts(name):
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": name},
            "spec": {"serviceName": name,
                     "selector": {"matchLabels": {"app": "s"}},
                     "template": TEMPLATE}}


def check(kind, ns, list_fn, create, make):
    create(ns, make("a"))
    rv = list_fn(ns).metadata.resource_version
    seen = []

    def run():
        for ev in watch.Watch().stream(list_fn, ns, resource_version=rv,
                                       timeout_seconds=10):
            if ev["type"] == "ADDED" and ev["object"].metadata.name == "b":
                seen.append(ev["object"])
                return

    t = threading.Thread(target=run)
    t.start()
    create(ns, make("b"))
    t.join(15)
    assert seen, "%s: the watch saw no ADDED b" % kind
    names = sorted(o.metadata.name for o in list_fn(ns).items)
    assert names == ["a", "b"], names
    print("ok: python %s create, list and watch" % kind)
    return seen[0]


def main():
    config.load_kube_config(sys.argv[1])
    ns = sys.argv[2]
    core, batch, apps = client.CoreV1Api(), client.BatchV1Api(), client.AppsV1Api()
    s = check("Service", ns, core.list_namespaced_service,
              core.create_namespaced_service, service)
    assert s.spec.cluster_ip and s.spec.ports[0].protocol == "TCP", s.spec
    j = check("Job", ns, batch.list_namespaced_job,
              batch.create_namespaced_job, job)
    assert j.spec.template.spec.security_context is not None, j.spec
    st = check("StatefulSet", ns, apps.list_namespaced_stateful_set,
               apps.create_namespaced_stateful_set, sts)
    assert st.spec.pod_management_policy == "OrderedReady", st.spec


if __name__ == "__main__":
    main()
