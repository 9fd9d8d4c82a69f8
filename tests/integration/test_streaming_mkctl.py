"""mkctl exec / attach / cp / port-forward (our own client library, WebSocket v5) against the real stack."""
from __future__ import annotations

import concurrent.futures
import hashlib
import os
import subprocess
import sys
import urllib.request

from minikube_py.testing import ROOT, eventually_sync, free_port
from tests.integration.streaming_lab import (
    HTTP_PORT,
    SHOW_TERMINAL,
    lab_fixture,  # noqa: F401  (provides the `lab` fixture)
    run_in_terminal,
    sh,
)


def mkctl_argv(lab, *args: str) -> list[str]:
    return [sys.executable, "-m", "minikube_py.cli.mkctl", "-s", lab.apiserver.url, "-n", lab.ns, *args]


def mkctl(lab, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(mkctl_argv(lab, *args), capture_output=True, timeout=60, cwd=ROOT, **kw)


def test_exec_exit_code_stdin_and_errors(lab):
    lab.core.create_namespaced_service(lab.ns, {"apiVersion": "v1", "kind": "Service",
                                                "metadata": {"name": "web-mk-exec"},
                                                "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})
    result = mkctl(lab, "exec", "shell", "--", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (result.returncode, result.stdout) == (3, b"out\n")
    assert b"err\n" in result.stderr and b"command terminated with exit code 3" in result.stderr
    data = os.urandom(2 * 1024 * 1024)
    result = mkctl(lab, "exec", "-i", "shell", "--", "md5sum", input=data)
    assert result.stdout.split()[0].decode() == hashlib.md5(data).hexdigest()
    assert mkctl(lab, "exec", "svc/web-mk-exec", "--", "hostname").stdout == b"web\n"   # a pod of the Service
    result = mkctl(lab, "exec", "shell", "-c", "nope", "--", "true")
    assert result.returncode == 1
    assert b"Error from server (BadRequest): container nope is not valid for pod shell" in result.stderr


def test_exec_with_a_terminal(lab):
    argv = mkctl_argv(lab, "exec", "-it", "shell", "--", "sh", "-c", SHOW_TERMINAL + "; exit 2")
    code, output = run_in_terminal(argv,
                                   rows=27, cols=91, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert b"/dev/pts/" in output and b"size 27 91" in output, output
    assert code == 2, output


def test_cp_both_ways(lab, tmp_path):
    data = os.urandom(2 * 1024 * 1024 + 5)
    (tmp_path / "up.bin").write_bytes(data)
    assert mkctl(lab, "cp", str(tmp_path / "up.bin"), "shell:/tmp/mkctl.bin").returncode == 0
    assert mkctl(lab, "exec", "shell", "--", "md5sum", "/tmp/mkctl.bin").stdout.split()[0].decode() == \
        hashlib.md5(data).hexdigest()
    result = mkctl(lab, "cp", "shell:/tmp/mkctl.bin", str(tmp_path / "down.bin"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "down.bin").read_bytes() == data


def test_attach(lab):
    lab.create_pod("talk-mk", [sh("talk", 'while read line; do echo "got $line"; done; echo bye', stdin=True)],
                   restartPolicy="Never")
    lab.wait_phase("talk-mk")
    result = mkctl(lab, "attach", "-i", "talk-mk", input=b"hello\n")
    assert result.returncode == 0, result.stderr
    assert b"got hello\nbye\n" in result.stdout


def test_port_forward_pod_and_service(lab):
    lab.core.create_namespaced_service(lab.ns, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web-mk"},
                                                "spec": {"selector": {"app": "web"},
                                                         "ports": [{"port": 80, "targetPort": HTTP_PORT}]}})
    expected = mkctl(lab, "exec", "web", "--", "md5sum", "/www/big").stdout.split()[0].decode()
    for target, remote in (("pod/web", HTTP_PORT), ("svc/web-mk", 80)):
        local = free_port()
        process = subprocess.Popen(mkctl_argv(lab, "port-forward", target, f"{local}:{remote}"), cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert process.stdout.readline().startswith(b"Forwarding from 127.0.0.1:")

            def fetch(path: str, local: int = local) -> bytes:
                with urllib.request.urlopen(f"http://127.0.0.1:{local}{path}", timeout=30) as response:
                    return response.read()
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                bodies = list(pool.map(fetch, ["/big"] * 4))
            assert all(hashlib.md5(body).hexdigest() == expected for body in bodies)
            assert fetch("/index.html") == b"hello-from-pod\n"
        finally:
            process.kill()
            process.wait()
    eventually_sync(lambda: lab.agent_debug()["sessions"] == 0, "the agent's port-forward sessions to end")
