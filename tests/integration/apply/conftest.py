"""Fixtures of the dry-run / server-side-apply tests: real kubectls against the shared API server.

`kubectl` runs each test with both Debian's kubectl 1.20 and a current 1.33
(.run/tools/kubectl-1.33/kubectl, installed by scripts/setup.sh); the 1.33 run
is skipped, saying so, only when that binary is absent.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
KUBECTLS = {"1.20": ROOT / ".run/tools/usr/bin/kubectl", "1.33": ROOT / ".run/tools/kubectl-1.33/kubectl"}
KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: [{{name: t, cluster: {{server: "{url}"}}}}]
users: [{{name: me, user: {{}}}}]
contexts: [{{name: t, context: {{cluster: t, user: me, namespace: {namespace}}}}}]
current-context: t
"""


@dataclass
class Kubectl:
    binary: Path
    version: str
    kubeconfig: Path

    def run(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([str(self.binary), "--kubeconfig", str(self.kubeconfig), *args], input=stdin,
                                capture_output=True, text=True, timeout=60)
        if check:
            assert result.returncode == 0, f"kubectl {self.version} {' '.join(args)}: {result.stderr}{result.stdout}"
        return result


@pytest.fixture(params=sorted(KUBECTLS))
def kubectl(request, apiserver, ns, tmp_path) -> Kubectl:
    binary = KUBECTLS[request.param]
    if not binary.exists():
        pytest.skip(f"kubectl {request.param} is not installed at {binary} (scripts/setup.sh installs it)")
    config = tmp_path / "kubeconfig"
    config.write_text(KUBECONFIG.format(url=apiserver.url, namespace=ns))
    return Kubectl(binary, request.param, config)
