"""The kubelet's status patch carries the pod's uid; a refusal because the name now belongs to
another pod is "that pod is gone", any other refusal is an error the caller must see."""
from __future__ import annotations

import pytest

from agent.kubelet.status import StatusManager
from minikube_py.api import errors
from minikube_py.api.errors import ApiError

POD = {"metadata": {"name": "p", "namespace": "ns", "uid": "uid-1"}, "status": {"phase": "Pending"}}


class RefusingPods:
    """Stands in for the API: records each status patch and answers with a given error."""

    def __init__(self, error: ApiError | None) -> None:
        self.error = error
        self.patches: list[dict] = []

    def resource(self, plural: str, namespace: str) -> RefusingPods:
        return self

    async def patch_status(self, name: str, body: dict) -> dict:
        self.patches.append(body)
        if self.error:
            raise self.error
        return body


async def test_the_patch_names_the_pod_uid() -> None:
    api = RefusingPods(None)
    assert await StatusManager(api).set_status(POD, {"phase": "Running", "conditions": []})
    assert api.patches == [{"metadata": {"uid": "uid-1"}, "status": {"phase": "Running", "conditions": []}}]


async def test_a_refused_uid_means_the_pod_is_gone() -> None:
    refused = errors.invalid("Pod", "p", [errors.cause("metadata.uid", "field is immutable")])
    assert not await StatusManager(RefusingPods(refused)).set_status(POD, {"phase": "Running", "conditions": []})


async def test_an_invalid_status_is_still_an_error() -> None:
    invalid = errors.invalid("Pod", "p", [errors.cause("status.phase", "Unsupported value")])
    with pytest.raises(ApiError):
        await StatusManager(RefusingPods(invalid)).set_status(POD, {"phase": "Bogus", "conditions": []})
