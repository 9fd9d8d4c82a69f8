"""kubectl port-forward and the Python client's portforward() through the API server and a real agent.

The pod listens only on its own network namespace (busybox httpd and an nc
echo server, no host ports); the agent connects from inside that namespace.
kubectl 1.20 uses SPDY, the current kubectl SPDY inside WebSocket, the Python
client WebSocket channels.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import socket
import struct
import subprocess
import urllib.request

import aiohttp
import pytest
from kubernetes.stream import portforward

from agent.kubelet.streaming.portforward import WebSocketBytes
from minikube_py.httpstream import spdy
from minikube_py.testing import eventually_sync, free_port
from tests.integration.streaming_lab import (
    BIG_FILE_MB,
    ECHO_PORT,
    HTTP_PORT,
    KUBECTLS,
    lab_fixture,  # noqa: F401  (provides the `lab` fixture)
)

VERSIONS = list(KUBECTLS)
CONNECTIONS = 6


class PortForward:
    """A `kubectl port-forward` child process, stopped (by pid) at the end."""

    def __init__(self, lab, version: str, target: str, *mappings: str) -> None:
        self.process = subprocess.Popen(lab.kubectl_argv(version, "port-forward", target, *mappings),
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=lab.env)
        for _ in mappings:
            line = self.process.stdout.readline()
            assert line.startswith(b"Forwarding from"), line + self.process.stderr.read1()

    def stop(self) -> bytes:
        self.process.kill()
        self.process.wait()
        return self.process.stderr.read()


def echo(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        received = b""
        while len(received) < len(payload) and (chunk := s.recv(65536)):
            received += chunk
        return received


def http_get(port: int, path: str) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
        return response.read()


def big_file_md5(lab) -> str:
    return lab.kubectl("1.20", "exec", "web", "--", "md5sum", "/www/big").stdout.split()[0].decode()


@pytest.mark.parametrize("version", VERSIONS)
def test_kubectl_port_forward_concurrent_connections(lab, version):
    http_port, echo_port = free_port(), free_port()
    forward = PortForward(lab, version, "pod/web", f"{http_port}:{HTTP_PORT}", f"{echo_port}:{ECHO_PORT}")
    try:
        expected = big_file_md5(lab)
        with concurrent.futures.ThreadPoolExecutor(CONNECTIONS * 2) as pool:
            downloads = [pool.submit(http_get, http_port, "/big") for _ in range(CONNECTIONS)]
            echoes = [pool.submit(echo, echo_port, b"%d " % i * 20000) for i in range(CONNECTIONS)]
            for download in downloads:
                body = download.result()
                assert len(body) == BIG_FILE_MB * 1024 * 1024
                assert hashlib.md5(body).hexdigest() == expected
            for i, answer in enumerate(echoes):
                assert answer.result() == b"%d " % i * 20000
    finally:
        forward.stop()


@pytest.mark.parametrize("version", VERSIONS)
def test_kubectl_port_forward_to_a_service(lab, version):
    """kubectl resolves svc/web to one of its pods and the service port to the target port itself."""
    service = f"web-{version.replace('.', '')}"
    lab.core.create_namespaced_service(lab.ns, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": service},
                                                "spec": {"selector": {"app": "web"},
                                                         "ports": [{"port": 80, "targetPort": HTTP_PORT}]}})
    local = free_port()
    forward = PortForward(lab, version, f"svc/{service}", f"{local}:80")
    try:
        assert http_get(local, "/index.html") == b"hello-from-pod\n"
    finally:
        forward.stop()


@pytest.mark.parametrize("version", VERSIONS)
def test_kubectl_port_forward_to_a_closed_port(lab, version):
    """Nothing listens: kubectl's connection is closed and it reports the agent's error."""
    local = free_port()
    forward = PortForward(lab, version, "pod/web", f"{local}:7")
    try:
        with socket.create_connection(("127.0.0.1", local), timeout=30) as s:
            assert s.recv(100) == b""
    finally:
        errors = forward.stop()
    assert b"error forwarding port 7" in errors, errors


def test_python_client_port_forward(lab):
    def one(i: int) -> bytes:
        core = lab.own_client()
        forward = portforward(core.connect_get_namespaced_pod_portforward, "web", lab.ns, ports=str(ECHO_PORT))
        sock = forward.socket(ECHO_PORT)
        sock.setblocking(True)
        payload = b"python %d\n" % i
        sock.sendall(payload)
        received = b""
        while len(received) < len(payload):
            received += sock.recv(1024)
        sock.close()
        core.api_client.close()
        return received
    with concurrent.futures.ThreadPoolExecutor(CONNECTIONS) as pool:
        answers = list(pool.map(one, range(CONNECTIONS)))
    assert answers == [b"python %d\n" % i for i in range(CONNECTIONS)]


def test_python_client_port_forward_error(lab):
    forward = portforward(lab.core.connect_get_namespaced_pod_portforward, "web", lab.ns, ports="7")
    eventually_sync(lambda: forward.error(7), "the error channel of port 7")
    assert "error forwarding port 7" in forward.error(7)


def test_sessions_end_with_their_clients(lab):
    eventually_sync(lambda: lab.agent_debug()["sessions"] == 0, "every streaming session on the agent to end")


def read_to_eof(port: int) -> bytes:
    """HTTP/1.0 on a raw socket that never half-closes: only the pod's close can end it."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
        received = b""
        while chunk := s.recv(65536):
            received += chunk
        return received


@pytest.mark.parametrize("version", VERSIONS)
def test_the_pods_close_ends_the_forwarded_connection(lab, version):
    local = free_port()
    forward = PortForward(lab, version, "pod/web", f"{local}:{HTTP_PORT}")
    try:
        assert read_to_eof(local).endswith(b"hello-from-pod\n")
    finally:
        forward.stop()


@pytest.mark.parametrize("subprotocol", ["SPDY/3.1+portforward.k8s.io", "v2.portforward.k8s.io"])
async def test_spdy_inside_websocket_by_hand(lab, subprotocol):
    """The tunnel kubectl >= 1.30 uses, driven frame by frame: error + data streams, the echo comes back,
    the client's FIN half-closes and the pod's close ends the data stream."""
    codec = spdy.HeaderCodec()
    url = f"{lab.apiserver.url}/api/v1/namespaces/{lab.ns}/pods/web/portforward"
    async with aiohttp.ClientSession() as session, session.ws_connect(url, protocols=(subprotocol,)) as ws:
        assert ws.protocol == subprotocol
        for stream_id, kind in ((1, "error"), (3, "data")):
            headers = {"streamtype": [kind], "port": [str(ECHO_PORT)], "requestid": ["0"]}
            await ws.send_bytes(spdy.control_frame(spdy.SYN_STREAM, 0, struct.pack(">IIH", stream_id, 0, 0)
                                                   + codec.encode(headers)))
        await ws.send_bytes(spdy.data_frame(3, spdy.FLAG_FIN, b"through the tunnel\n"))
        tunnel = WebSocketBytes(ws)           # the agent's own reader of the tunnel, used here as the client's
        echoed, fins, replies = b"", set(), 0
        while 3 not in fins or 1 not in fins:
            frame = await asyncio.wait_for(spdy.read_frame(tunnel), 30)
            if frame.control:
                replies += frame.kind == spdy.SYN_REPLY
                continue
            if frame.stream_id == 3:
                echoed += frame.payload
            if frame.flags & spdy.FLAG_FIN:
                fins.add(frame.stream_id)
        assert replies == 2
        assert echoed == b"through the tunnel\n"
