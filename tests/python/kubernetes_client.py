"""Checks the Python `kubernetes` client against a running `compass up`.

Not part of CI (it needs the client from PyPI). Run:
    python3 -m venv /tmp/pyk && /tmp/pyk/bin/pip install kubernetes
    cargo compass up --data-dir /tmp/cp &   # then: KUBECONFIG=/tmp/cp/kubeconfig kubectl apply -k crds/yaml -f examples/
    /tmp/pyk/bin/python tests/python/kubernetes_client.py /tmp/cp/kubeconfig
"""
import sys

from kubernetes import client, config, watch, dynamic
from kubernetes.client.rest import ApiException
config.load_kube_config(sys.argv[1])
api = client.ApiClient()
core = client.CoreV1Api(api)
core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="py")))
core.create_namespaced_config_map("py", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c"), data={"a": "1"}))
print("configmap", core.read_namespaced_config_map("c", "py").data)
co = client.CustomObjectsApi(api)
G, V, P = "compass.kyma-project.io", "v1alpha1", "runtimes"
body = {"apiVersion": f"{G}/{V}", "kind": "Runtime", "metadata": {"name": "py-rt"}, "spec": {"description": "from python"}}
co.create_namespaced_custom_object(G, V, "acme", P, body)
o = co.get_namespaced_custom_object(G, V, "acme", P, "py-rt")
print("get", o["metadata"]["name"], o["metadata"]["generation"])
co.patch_namespaced_custom_object(G, V, "acme", P, "py-rt", {"spec": {"description": "patched"}})
co.patch_namespaced_custom_object_status(G, V, "acme", P, "py-rt", {"status": {"applicationCount": 2}})
ssa = {"apiVersion": f"{G}/{V}", "kind": "Runtime", "metadata": {"name": "py-rt"}, "spec": {"description": "applied"}}
co.patch_namespaced_custom_object(G, V, "acme", P, "py-rt", ssa, field_manager="py", _content_type="application/apply-patch+yaml", force=True)
o = co.get_namespaced_custom_object(G, V, "acme", P, "py-rt")
print("after patches", o["spec"]["description"], o["status"], o["metadata"]["generation"])
stale = dict(o); stale["metadata"] = dict(o["metadata"]); stale["metadata"]["resourceVersion"] = "1"
try:
    co.replace_namespaced_custom_object(G, V, "acme", P, "py-rt", stale)
except ApiException as e:
    print("stale replace", e.status, e.reason)
w = watch.Watch()
seen = [e["type"] + " " + e["object"]["metadata"]["name"] for e in w.stream(co.list_namespaced_custom_object, G, V, "acme", P, timeout_seconds=1)]
print("watch", seen)
dyn = dynamic.DynamicClient(api)
rt = dyn.resources.get(api_version=f"{G}/{V}", kind="Runtime")
print("dynamic", [i.metadata.name for i in rt.get(namespace="acme").items])
co.delete_namespaced_custom_object(G, V, "acme", P, "py-rt")
print("deleted; list", [i["metadata"]["name"] for i in co.list_namespaced_custom_object(G, V, "acme", P)["items"]])
