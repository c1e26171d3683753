"""The Debian python3-kubernetes client against cplane: typed create and
list, a watch from a compacted resourceVersion that fails with 410, then a
re-list and a watch from the list's resourceVersion that sees a new pod.

Usage: python_watch.py KUBECONFIG
"""
import sys
import threading
import time

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException


def pod(name):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}}


def main():
    config.load_kube_config(sys.argv[1])
    v1 = client.CoreV1Api()
    for i in range(3):
        v1.create_namespaced_pod("default", pod("p%d" % i))
    names = [p.metadata.name for p in v1.list_namespaced_pod("default").items]
    assert names == ["p0", "p1", "p2"], names
    assert v1.read_namespaced_pod("p1", "default").spec.containers[0].image \
        == "busybox"

    # Compaction runs every second here: wait until revision 2 is gone.
    deadline = time.time() + 20
    while True:
        try:
            for _ in watch.Watch().stream(v1.list_namespaced_pod, "default",
                                          resource_version="2",
                                          timeout_seconds=2):
                pass
        except ApiException as e:
            assert e.status == 410, e
            print("ok: watch from a compacted version fails with 410")
            break
        assert time.time() < deadline, "no 410 within 20 s"
        time.sleep(0.5)

    listed = v1.list_namespaced_pod("default")
    rv = listed.metadata.resource_version

    def later():
        time.sleep(0.5)
        v1.create_namespaced_pod("default", pod("p3"))

    threading.Thread(target=later).start()
    seen = None
    for ev in watch.Watch().stream(v1.list_namespaced_pod, "default",
                                   resource_version=rv, timeout_seconds=10):
        if ev["type"] == "ADDED" and ev["object"].metadata.name == "p3":
            seen = ev["object"]
            break
    assert seen is not None, "the re-listed watch saw no ADDED p3"
    assert int(seen.metadata.resource_version) > int(rv)
    print("ok: re-list, then the watch sees the new pod")

    try:
        v1.create_namespaced_pod("default", pod("p3"))
        raise AssertionError("duplicate create succeeded")
    except ApiException as e:
        assert e.status == 409 and "AlreadyExists" in e.body, e
    print("ok: AlreadyExists surfaces as ApiException 409")


main()
