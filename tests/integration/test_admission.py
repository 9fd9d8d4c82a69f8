"""The admission chain on a real API server: refusals answer as kube-apiserver's do, and a
bad plugin name stops the server before it starts. (Switching DefaultTolerationSeconds off
by name: test_apiserver_default_tolerations.py.)"""
from __future__ import annotations

import subprocess
import sys

from minikube_py.testing import ROOT
from tests.helpers import namespace, pod


async def test_a_terminating_namespace_refuses_new_content_as_kubernetes_does(http, unique):
    name = f"closing-{unique}"
    await http.ok("POST", "/api/v1/namespaces", namespace(name))
    status, _ = await http.delete(f"/api/v1/namespaces/{name}")
    assert status == 202
    status, body = await http.post(f"/api/v1/namespaces/{name}/pods", pod("late"))
    assert status == 403 and body["reason"] == "Forbidden"
    assert body["message"] == (f'pods "late" is forbidden: unable to create new content in namespace {name} '
                               "because it is being terminated")
    assert body["details"]["causes"] == [{"reason": "NamespaceTerminating", "field": "metadata.namespace",
                                          "message": f"namespace {name} is being terminated"}]
    current = await http.ok("GET", f"/api/v1/namespaces/{name}")       # let the namespace go
    current["spec"]["finalizers"] = []
    await http.ok("PUT", f"/api/v1/namespaces/{name}/finalize", current)


def test_an_unknown_plugin_name_stops_the_server_before_it_starts() -> None:
    result = subprocess.run([sys.executable, "-m", "apiserver", "--disable-admission-plugins", "NoSuchPlugin"],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 2
    assert 'disable-admission-plugins plugin "NoSuchPlugin" is unknown' in result.stderr
    assert "Traceback" not in result.stderr
