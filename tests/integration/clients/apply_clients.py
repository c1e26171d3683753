# The Python client's server-side apply against cplane: the dynamic
# client's server_side_apply creates, a second manager conflicts (409
# naming the first), force takes the field.
#
# Usage: python3 apply_clients.py KUBECONFIG
import json
import sys

from kubernetes import config
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient

api = ApiClient(config.load_kube_config(config_file=sys.argv[1]) or None)
dyn = DynamicClient(api)
cms = dyn.resources.get(api_version="v1", kind="ConfigMap")


def cm(value):
    # The client sends an apply patch only as text (its REST layer
    # refuses a dict for a non-JSON content type).
    return json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                       "metadata": {"name": "py-applied",
                                    "namespace": "default"},
                       "data": {"k": value}})


def apply(value, manager, force=None):
    return dyn.server_side_apply(cms, body=cm(value), name="py-applied",
                                 namespace="default", field_manager=manager,
                                 force_conflicts=force)


got = apply("1", "py-a")
assert got.data.k == "1", got
try:
    apply("2", "py-b")
    raise SystemExit("no conflict")
except ApiException as e:
    assert e.status == 409, e
    status = json.loads(e.body)
    assert status["message"] == ('Apply failed with 1 conflict: conflict '
                                 'with "py-a": .data.k'), status
got = apply("2", "py-b", True)
assert got.data.k == "2", got
owners = {m.manager: m.operation for m in got.metadata.managedFields}
assert owners == {"py-b": "Apply"}, owners
print("python apply ok")
