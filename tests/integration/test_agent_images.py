"""Image pulls that fail, as kubelet reports them (kuberuntime image manager + pull back-off).

The images named here live in a "registry" on 127.0.0.1:9, where nothing
listens: Docker's pull fails at once and no packet leaves the machine.
"""
from __future__ import annotations

from minikube_py.testing import eventually
from tests.agent_harness import POLL, condition, pod_body, pod_events, pod_now

MISSING = "127.0.0.1:9/none/nothing"


async def waiting_reasons_until(http, ns: str, name: str, done, agent) -> dict[str, list[str]]:
    """Watch the pod and collect, per container, every waiting reason it goes through
    (a watch sees each status the agent writes, however short-lived), until `done(reasons)`."""
    pod = await pod_now(http, ns, name)
    stream = await http.watch(f"/api/v1/namespaces/{ns}/pods?watch=1&fieldSelector=metadata.name%3D{name}"
                              f"&resourceVersion={pod['metadata']['resourceVersion']}")
    reasons: dict[str, list[str]] = {}
    try:
        async def next_change():
            event = await stream.next_of({"MODIFIED"}, timeout=30)
            for status in event["object"].get("status", {}).get("containerStatuses") or []:
                reason = (status["state"].get("waiting") or {}).get("reason")
                seen = reasons.setdefault(status["name"], [])
                if reason and (not seen or seen[-1] != reason):
                    seen.append(reason)
            return done(reasons)
        await eventually(next_change, f"waiting reasons of {name}", timeout=40, interval=POLL, explain=agent.log_tail)
    finally:
        stream.close()
    return reasons


def went_through(seen: list[str], *sequence: str) -> bool:
    """Does `seen` contain `sequence` in that order (not necessarily adjacent)?"""
    position = 0
    for reason in seen:
        if position < len(sequence) and reason == sequence[position]:
            position += 1
    return position == len(sequence)


async def test_failed_pull_goes_err_image_pull_then_image_pull_back_off(http, ns, agent):
    containers = [{"name": "always", "image": f"{MISSING}:1", "imagePullPolicy": "Always"},
                  {"name": "if-not-present", "image": f"{MISSING}:2", "imagePullPolicy": "IfNotPresent"}]
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod_body("pull", agent.node, containers))

    def both_backed_off_twice(reasons: dict[str, list[str]]) -> bool:
        return all(went_through(reasons.get(c["name"], []), "ErrImagePull", "ImagePullBackOff", "ErrImagePull",
                                "ImagePullBackOff") for c in containers)
    await waiting_reasons_until(http, ns, "pull", both_backed_off_twice, agent)

    pod = await pod_now(http, ns, "pull")
    assert pod["status"]["phase"] == "Pending"
    assert condition(pod, "Ready") == "False"
    for status in pod["status"]["containerStatuses"]:
        assert status["restartCount"] == 0 and status["ready"] is False and "containerID" not in status
    events = await pod_events(http, ns, "pull")
    for container in containers:
        image = container["image"]
        failed = [e for e in events if e["reason"] == "Failed" and f'Failed to pull image "{image}"' in e["message"]]
        assert failed and failed[0]["type"] == "Warning", events
        assert "127.0.0.1:9" in failed[0]["message"] and "refused" in failed[0]["message"]
        back_off = [e for e in events
                    if e["reason"] == "BackOff" and e["message"] == f'Back-off pulling image "{image}"']
        assert back_off, events
    pulling = {e["message"] for e in events if e["reason"] == "Pulling"}
    assert f'Pulling image "{MISSING}:1"' in pulling and f'Pulling image "{MISSING}:2"' in pulling


async def test_never_pull_policy_with_a_missing_image_is_err_image_never_pull(http, ns, agent):
    image = f"{MISSING}:3"
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod_body(
        "never", agent.node, [{"name": "app", "image": image, "imagePullPolicy": "Never"}]))

    async def reported():
        events = await pod_events(http, ns, "never")
        return events if any(e["reason"] == "ErrImageNeverPull" for e in events) else None
    events = await eventually(reported, "the ErrImageNeverPull event", interval=POLL, explain=agent.log_tail)
    pod = await pod_now(http, ns, "never")
    waiting = pod["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting == {"reason": "ErrImageNeverPull",
                       "message": f'Container image "{image}" is not present with pull policy of Never'}
    assert pod["status"]["phase"] == "Pending"
    never = next(e for e in events if e["reason"] == "ErrImageNeverPull")
    assert never["type"] == "Warning" and never["message"] == waiting["message"]
    assert not [e for e in events if e["reason"] in ("Pulling", "Pulled", "BackOff")], events
