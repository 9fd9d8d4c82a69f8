"""Housekeeping (kubelet's HandlePodCleanups): containers of pods that are neither in the
pod cache nor being worked on are killed and removed, each on its own.

The kubelet is the real one on the hollow runtime; nothing is started and no
API server is contacted (clean_up_orphans reads only the informer's cache, the
pod workers and the runtime).
"""
from __future__ import annotations

from agent.kubelet.config import KubeletConfig
from agent.kubelet.kubelet import Kubelet
from agent.kubelet.runtime.hollow import HollowRuntime
from agent.kubelet.runtime.types import PodRef
from minikube_py.client.config import ClientConfig
from minikube_py.client.rest import ApiClient


class StuckContainerRuntime(HollowRuntime):
    """A runtime that cannot remove one container (Docker's "Dead" container whose
    filesystem is still busy: `docker rm -f` answers 500 until it is not)."""

    def __init__(self, node_name: str) -> None:
        super().__init__(node_name)
        self.stuck: set[str] = set()

    async def remove_container(self, container_id: str) -> None:
        if container_id in self.stuck:
            raise RuntimeError("driver failed to remove root filesystem: device or resource busy")
        await super().remove_container(container_id)


def make_kubelet(runtime: HollowRuntime) -> Kubelet:
    config = KubeletConfig(node_name="hk-node", runtime="hollow", root_dir="/nonexistent")
    return Kubelet(config, ApiClient(ClientConfig(server="http://127.0.0.1:9")), runtime=runtime)


async def orphan_pod(runtime: HollowRuntime, name: str) -> list[str]:
    pod = PodRef(uid=f"uid-{name}", name=name, namespace="gone", hostname=name)
    sandbox = await runtime.run_sandbox(pod, 0)
    return [sandbox.id]


async def test_an_orphan_that_cannot_be_removed_does_not_shield_the_others() -> None:
    runtime = StuckContainerRuntime("hk-node")
    kubelet = make_kubelet(runtime)
    stuck = await orphan_pod(runtime, "older")          # listed first: oldest first
    others = await orphan_pod(runtime, "newer")
    runtime.stuck.update(stuck)

    await kubelet.clean_up_orphans()

    assert [r.id for r in runtime.pod_containers()] == stuck
    runtime.stuck.clear()                                # Docker lets go: the next pass removes it
    await kubelet.clean_up_orphans()
    assert runtime.pod_containers() == [] and others


async def test_containers_of_a_pod_in_the_cache_are_left_alone() -> None:
    runtime = HollowRuntime("hk-node")
    kubelet = make_kubelet(runtime)
    kept = await orphan_pod(runtime, "known")
    kubelet.pods.store.put({"metadata": {"name": "known", "namespace": "gone", "uid": "uid-known",
                                         "resourceVersion": "1"}, "spec": {"nodeName": "hk-node"}})
    await orphan_pod(runtime, "unknown")

    await kubelet.clean_up_orphans()

    assert [r.id for r in runtime.pod_containers()] == kept
