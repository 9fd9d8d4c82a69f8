"""networking.k8s.io/v1 NetworkPolicy served to the real clients: the Python client and kubectl."""
from __future__ import annotations

import subprocess

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException


def test_python_client_crud_with_defaults_and_errors(k8s, ns):  # noqa: F811 (the imported fixture)
    net = client.NetworkingV1Api(k8s)
    body = client.V1NetworkPolicy(
        metadata=client.V1ObjectMeta(name="db"),
        spec=client.V1NetworkPolicySpec(
            pod_selector=client.V1LabelSelector(match_labels={"app": "db"}),
            ingress=[client.V1NetworkPolicyIngressRule(ports=[client.V1NetworkPolicyPort(port=5432)])],
            egress=[client.V1NetworkPolicyEgressRule(to=[client.V1NetworkPolicyPeer(
                ip_block=client.V1IPBlock(cidr="10.0.0.0/8", _except=["10.1.0.0/16"]))])]))
    created = net.create_namespaced_network_policy(ns, body).to_dict()
    assert created["spec"]["policy_types"] == ["Ingress", "Egress"]
    assert created["spec"]["ingress"][0]["ports"][0]["protocol"] == "TCP"
    assert created["spec"]["egress"][0]["to"][0]["ip_block"]["_except"] == ["10.1.0.0/16"]
    assert [p["metadata"]["name"] for p in net.list_namespaced_network_policy(ns).to_dict()["items"]] == ["db"]
    patched = net.patch_namespaced_network_policy("db", ns, {"spec": {"policyTypes": ["Ingress"]}}).to_dict()
    assert patched["spec"]["policy_types"] == ["Ingress"]
    with pytest.raises(ApiException) as bad:
        net.patch_namespaced_network_policy("db", ns, {"spec": {"ingress": [{"ports": [{"port": "web",
                                                                                          "endPort": 90}]}]}})
    assert bad.value.status == 422 and "spec.ingress[0].ports[0].endPort" in str(bad.value.body)
    net.delete_namespaced_network_policy("db", ns)
    assert net.list_namespaced_network_policy(ns).to_dict()["items"] == []


def test_kubectl_get_netpol_shows_the_pod_selector(apiserver, kubectl_path, ns):
    manifest = f"""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: deny-all, namespace: {ns}}}
spec: {{podSelector: {{}}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: web, namespace: {ns}}}
spec:
  podSelector: {{matchLabels: {{app: web}}}}
  ingress: [{{from: [{{namespaceSelector: {{matchLabels: {{team: a}}}}}}]}}]
"""
    kubectl = [kubectl_path, "--server", apiserver.url]
    applied = subprocess.run([*kubectl, "apply", "-f", "-"], input=manifest, capture_output=True, text=True,
                             timeout=60)
    assert applied.returncode == 0, applied.stderr
    shown = subprocess.run([*kubectl, "get", "netpol", "-n", ns], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    lines = [line.split() for line in shown.stdout.splitlines()]
    assert lines[0] == ["NAME", "POD-SELECTOR", "AGE"]
    assert [line[:2] for line in lines[1:]] == [["deny-all", "<none>"], ["web", "app=web"]]
    resources = subprocess.run([*kubectl, "api-resources", "--api-group", "networking.k8s.io"],
                               capture_output=True, text=True, timeout=60)
    assert "netpol" in resources.stdout and "NetworkPolicy" in resources.stdout, resources.stdout
