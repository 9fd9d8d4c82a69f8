"""kubectl exec / attach / cp through the API server and a real agent on real Docker, with three clients.

kubectl 1.20 speaks SPDY/3.1, the current kubectl WebSocket v5, the Python
client WebSocket (v5 offered first, then v4). Each test asserts what the user
sees: output bytes, exit codes, error messages, and that nothing is left
running in the container afterwards.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import urllib.error
import urllib.request

import aiohttp
import docker
import pytest
from kubernetes.client import ApiException
from kubernetes.stream import stream

from agent.kubelet.runtime.types import LABEL_CONTAINER, LABEL_NODE, LABEL_POD_NAME
from minikube_py.httpstream import wsstream
from minikube_py.testing import eventually_sync, free_port
from tests.agent_harness import FOREVER
from tests.integration.streaming_lab import (
    KUBECTLS,
    SHOW_TERMINAL,
    lab_fixture,  # noqa: F401  (provides the `lab` fixture)
    run_in_terminal,
    sh,
)

VERSIONS = list(KUBECTLS)


def exec_pids(docker_client: docker.DockerClient, lab, pod: str = "shell") -> list[str]:
    """The running exec instances Docker has for the pod's container."""
    container = next(c for c in docker_client.containers.list(filters={"label": [
        f"{LABEL_NODE}={lab.agent.node}", f"{LABEL_POD_NAME}={pod}", f"{LABEL_CONTAINER}=main"]}))
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


@pytest.mark.parametrize("version", VERSIONS)
def test_kubectl_exec_stdin_from_a_file(lab, version, tmp_path):
    """A file is read faster than the pod takes it: flow control must hold, nothing may be lost."""
    data = os.urandom(3 * 1024 * 1024)
    (tmp_path / "in.bin").write_bytes(data)
    with open(tmp_path / "in.bin", "rb") as stdin:
        result = lab.kubectl(version, "exec", "-i", "shell", "--", "md5sum", stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0].decode() == hashlib.md5(data).hexdigest()


@pytest.mark.parametrize("version", VERSIONS)
def test_kubectl_exec_with_a_terminal(lab, version):
    """-it from a real terminal: the command sees a tty of the client's size, exit code still travels."""
    code, output = run_in_terminal(lab.kubectl_argv(version, "exec", "-it", "shell", "--", "sh", "-c",
                                                    SHOW_TERMINAL + "; exit 4"), rows=33, cols=101,
                                   env=lab.env)
    assert b"/dev/pts/" in output, output
    assert b"size 33 101" in output, output
    assert code == 4, output


def test_python_client_exec_with_a_terminal(lab):
    output = stream(lab.core.connect_get_namespaced_pod_exec, "shell", lab.ns, command=["tty"], stderr=True,
                    stdin=False, stdout=True, tty=True)
    assert "/dev/pts/" in output


@pytest.mark.parametrize("version", VERSIONS)
def test_kubectl_cp_both_ways(lab, version, tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 17)
    (tmp_path / "up.bin").write_bytes(data)
    target = f"/tmp/cp-{version}.bin"
    result = lab.kubectl(version, "cp", str(tmp_path / "up.bin"), f"shell:{target}", "-c", "main")
    assert result.returncode == 0, result.stderr
    in_pod = lab.kubectl(version, "exec", "shell", "--", "md5sum", target).stdout.split()[0].decode()
    assert in_pod == hashlib.md5(data).hexdigest()
    result = lab.kubectl(version, "cp", f"shell:{target}", str(tmp_path / "down.bin"), "-c", "main")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "down.bin").read_bytes() == data


@pytest.mark.parametrize("version", VERSIONS)
def test_kubectl_attach_to_a_running_container(lab, version):
    """The end of kubectl's stdin closes the container's stdin; the container then ends, and so does attach."""
    name = f"talk-{version.replace('.', '')}"
    lab.create_pod(name, [sh("talk", 'while read line; do echo "got $line"; done; echo bye', stdin=True)],
                   restartPolicy="Never")
    lab.wait_phase(name)
    result = lab.kubectl(version, "attach", "-i", name, input=b"hello\n")
    assert result.returncode == 0, result.stderr
    assert b"got hello\nbye\n" in result.stdout


def test_python_client_attach(lab):
    lab.create_pod("talk-py", [sh("talk", 'while read line; do echo "got $line"; done; ' + FOREVER, stdin=True)])
    lab.wait_phase("talk-py")
    response = stream(lab.core.connect_get_namespaced_pod_attach, "talk-py", lab.ns, stdin=True, stdout=True,
                      stderr=True, tty=False, _preload_content=False)
    response.write_stdin("hello\n")
    line = eventually_sync(lambda: response.update(timeout=1) or response.peek_stdout(), "attached output")
    assert "got hello" in line
    response.close()


def test_default_container_annotation_and_unknown_container(lab):
    lab.create_pod("pair", [sh("first", FOREVER), sh("second", FOREVER)],
                   annotations={"kubectl.kubernetes.io/default-container": "second"})
    lab.wait_phase("pair")
    output = stream(lab.core.connect_get_namespaced_pod_exec, "pair", lab.ns, command=["hostname"],
                    stderr=True, stdin=False, stdout=True, tty=False)
    assert output.strip() == "pair"                      # it ran (in "second": the annotation chose it)
    with pytest.raises(ApiException) as failure:
        stream(lab.core.connect_get_namespaced_pod_exec, "pair", lab.ns, command=["true"], container="nope",
               stderr=True, stdin=False, stdout=True, tty=False)
    assert "container nope is not valid for pod pair" in str(failure.value)


@pytest.mark.parametrize("version", VERSIONS)
def test_kubectl_errors_are_statuses(lab, version):
    result = lab.kubectl(version, "exec", "shell", "-c", "nope", "--", "true")
    assert result.returncode != 0
    assert b"container nope is not valid for pod shell" in result.stderr
    result = lab.kubectl(version, "exec", "missing", "--", "true")
    assert b'pods "missing" not found' in result.stderr


def test_pod_without_a_node_or_completed(lab):
    lab.create_pod("floating", [sh("main", FOREVER)], node=None)
    with pytest.raises(ApiException) as failure:
        stream(lab.core.connect_get_namespaced_pod_exec, "floating", lab.ns, command=["true"], stderr=True,
               stdin=False, stdout=True, tty=False)
    assert "pod floating does not have a host assigned" in str(failure.value)
    lab.create_pod("done", [sh("main", "exit 0")], restartPolicy="Never")
    lab.wait_phase("done", "Succeeded")
    with pytest.raises(ApiException) as failure:
        stream(lab.core.connect_get_namespaced_pod_exec, "done", lab.ns, command=["true"], stderr=True,
               stdin=False, stdout=True, tty=False)
    assert "cannot exec into a container in a completed pod; current phase is Succeeded" in str(failure.value)


def test_agent_not_answering(lab):
    """A node whose agent is down: the API server says it cannot dial it, with a Status."""
    dead_port = free_port()
    lab.core.create_node({"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"{lab.ns}-dead"}})
    lab.core.patch_node_status(f"{lab.ns}-dead", {"status": {
        "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": dead_port}}}})
    try:
        lab.create_pod("orphan", [sh("main", FOREVER)], node=f"{lab.ns}-dead")
        result = lab.kubectl("1.20", "exec", "orphan", "--", "true")
        assert result.returncode != 0
        assert b"error dialing backend" in result.stderr, result.stderr
    finally:
        lab.core.delete_node(f"{lab.ns}-dead")


@pytest.mark.parametrize("version", VERSIONS)
def test_nothing_left_after_the_client_goes_away(lab, version, docker_client):
    """kubectl killed mid-exec: the command is ended, the agent's session and tasks are gone."""
    eventually_sync(lambda: lab.agent_debug()["sessions"] == 0, "earlier tests' sessions to end", 90)
    process = subprocess.Popen(lab.kubectl_argv(version, "exec", "-i", "shell", "--", "sleep", "1000"),
                               stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=lab.env)
    try:
        eventually_sync(lambda: exec_pids(docker_client, lab), "the exec to start", 90)
        assert lab.agent_debug()["sessions"] == 1
        assert lab.agent_debug()["streaming_tasks"] > 0          # the counter sees the session's pumps
    finally:
        process.kill()
        process.wait()
    eventually_sync(lambda: not exec_pids(docker_client, lab), "Docker to have no running exec left", 90)
    eventually_sync(lambda: lab.agent_debug()["sessions"] == 0, "the agent's session to end", 90)
    eventually_sync(lambda: lab.agent_debug()["streaming_tasks"] == 0, "the session's tasks to end", 90)


@pytest.mark.parametrize("query", ["exec?command=true&stdout=1", "portforward?ports=80",
                                   "exec?stdout=1", "portforward?ports=notaport"])
def test_bad_requests_get_a_status(lab, query):
    """No upgrade, no command, a bad port: a 4xx Status from the agent's words, never a 500."""
    websocket = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                 "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol": "v4.channel.k8s.io"}
    headers = websocket if "notaport" in query else {}
    request = urllib.request.Request(f"{lab.apiserver.url}/api/v1/namespaces/{lab.ns}/pods/web/{query}",
                                     headers=headers)
    with pytest.raises(urllib.error.HTTPError) as failure:
        urllib.request.urlopen(request, timeout=10)
    status = json.loads(failure.value.read())
    assert status["kind"] == "Status" and 400 <= status["code"] < 500, status
    assert status["message"], status


@pytest.mark.parametrize("protocol", ["v4.channel.k8s.io", "v4.base64.channel.k8s.io", "channel.k8s.io",
                                      "base64.channel.k8s.io"])
async def test_older_websocket_protocols(lab, protocol):
    """What older clients offer: v4 (Status on the error channel) and v1 (plain text), binary or base64."""
    url = f"{lab.apiserver.url}/api/v1/namespaces/{lab.ns}/pods/shell/exec"
    params = [("command", "sh"), ("command", "-c"), ("command", "echo out; echo err >&2; exit 3"),
              ("stdout", "true"), ("stderr", "true")]
    channels: dict[int, bytes] = {}
    async with aiohttp.ClientSession() as session, session.ws_connect(url, params=params,
                                                                      protocols=(protocol,)) as ws:
        assert ws.protocol == protocol
        async for message in ws:
            channel, data = wsstream.decode(protocol, message.data)
            channels[channel] = channels.get(channel, b"") + data
    assert channels[1] == b"out\n" and channels[2] == b"err\n"
    if protocol.startswith("v4."):
        assert json.loads(channels[3])["details"]["causes"] == [{"reason": "ExitCode", "message": "3"}]
    else:
        assert b"exit code 3" in channels[3]
