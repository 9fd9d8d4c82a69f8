"""kubectl exec / attach / cp through the API server and a real agent on real Docker, with three clients.

kubectl 1.20 speaks SPDY/3.1, the current kubectl WebSocket v5, the Python
client WebSocket (v5 offered first, then v4). Each test asserts what the user
sees: output bytes, exit codes, error messages, and that nothing is left
running in the container afterwards.
"""
from __future__ import annotations

import hashlib

import docker
import pytest
from kubernetes.stream import stream

from tests.integration.streaming_lab import KUBECTLS, lab, poll, sh  # noqa: F401  (lab is a fixture)

VERSIONS = list(KUBECTLS)


def exec_pids(docker_client: docker.DockerClient, lab, pod: str = "shell") -> list[str]:
    """The running exec instances Docker has for the pod's container."""
    container = next(c for c in docker_client.containers.list(filters={"label": "io.minikube-py.container=main"})
                     if c.labels.get("io.minikube-py.pod-name") == pod and c.labels.get("io.minikube-py.node")
                     == lab.agent.node)
    container.reload()
    ids = container.attrs.get("ExecIDs") or []
    return [i for i in ids if docker_client.api.exec_inspect(i).get("Running")]


@pytest.mark.parametrize("version", VERSIONS)
def test_kubectl_exec_output_and_exit_code(lab, version):
    result = lab.kubectl(version, "exec", "shell", "--", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert result.stdout == b"out\n"
    assert b"err\n" in result.stderr
    assert b"command terminated with exit code 3" in result.stderr
    assert result.returncode == 3


@pytest.mark.parametrize("version", VERSIONS)
def test_kubectl_exec_stdin_to_eof(lab, version):
    data = b"".join(b"line %d\n" % i for i in range(20000))          # ~200 KB through stdin and back
    result = lab.kubectl(version, "exec", "-i", "shell", "--", "cat", input=data)
    assert result.returncode == 0, result.stderr
    assert result.stdout == data


@pytest.mark.parametrize("version", VERSIONS)
def test_kubectl_exec_large_output_intact(lab, version):
    expected = lab.kubectl(version, "exec", "web", "--", "md5sum", "/www/big").stdout.split()[0].decode()
    result = lab.kubectl(version, "exec", "web", "--", "cat", "/www/big")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout) == 4 * 1024 * 1024
    assert hashlib.md5(result.stdout).hexdigest() == expected


def test_python_client_exec(lab):
    output = stream(lab.core.connect_get_namespaced_pod_exec, "shell", lab.ns,
                    command=["sh", "-c", "echo hello; echo oops >&2"], stderr=True, stdin=False, stdout=True,
                    tty=False)
    assert "hello" in output and "oops" in output


def test_python_client_exit_code_and_stdin(lab):
    response = stream(lab.core.connect_get_namespaced_pod_exec, "shell", lab.ns, command=["sh", "-c", "cat; exit 7"],
                      stderr=True, stdin=True, stdout=True, tty=False, _preload_content=False)
    response.write_stdin("ping\n")
    response.close_channel(0)          # v5 close signal: stdin ends, cat ends
    response.run_forever(timeout=30)
    assert response.returncode == 7     # read first: read_all() empties every channel, the error one too
    assert response.read_all() == "ping\n"
