"""`python -m controllers` as a real process with leader election, killed (SIGKILL) in the
middle of a rollout: a new copy takes the Lease over and finishes with no extra pods."""
from __future__ import annotations

import signal

from minikube_py.testing import eventually
from tests.controller_harness import ProcessManager, complete, deployment, kubelet, pods_of


async def test_rollout_survives_a_killed_controller_manager(api, apiserver, ns, tmp_path):
    deployments = api.resource("deployments", ns)
    flags = ("--leader-elect-lease-duration", "3", "--leader-elect-renew-deadline", "2",
             "--leader-elect-retry-period", "0.5")
    first = ProcessManager(apiserver.url, tmp_path / "cm1.log", *flags)
    second = ProcessManager(apiserver.url, tmp_path / "cm2.log", *flags)
    try:
        first.start()
        async with kubelet(api, ns):
            await deployments.create(deployment("r", 6, "r:v1"))
            await eventually(lambda: complete(api, ns, "r", "r:v1"), "v1", timeout=60)
            await deployments.patch("r", {"spec": {"template": {"spec": {"containers": [
                {"name": "app", "image": "r:v2"}]}}}}, "strategic")
            await eventually(lambda: _some_v2(api, ns), "the rollout to start")
            first.kill(signal.SIGKILL)
            second.start()
            await eventually(lambda: complete(api, ns, "r", "r:v2"), "v2 after the restart", timeout=90)
        assert len(await pods_of(api, ns, "app=r")) == 6
        lease = await api.resource("leases", "kube-system").get("kube-controller-manager")
        assert lease["spec"]["holderIdentity"]
    finally:
        first.kill()
        second.kill()


async def _some_v2(api, ns):
    return any(p["spec"]["containers"][0]["image"] == "r:v2" for p in await pods_of(api, ns, "app=r"))
