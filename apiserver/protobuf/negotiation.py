"""Response content negotiation for protobuf clients (k8s.io/apiserver's negotiation package).

Go clients ask for `Accept: application/vnd.kubernetes.protobuf,application/json` and
take whichever the server picks. We decode protobuf bodies but always answer JSON, as
Kubernetes does for the types it has no protobuf encoding for (custom resources): a
client that accepts nothing but protobuf gets 406 NotAcceptable, which tells it the
request can never succeed in that form.
"""
from __future__ import annotations

from minikube_py.api import errors

PROTOBUF = "application/vnd.kubernetes.protobuf"
SERVED = ("application/json",)


def check_acceptable(accept: str) -> None:
    """406 when every media range in the Accept header is protobuf; any other header gets JSON."""
    ranges = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    ranges = [r for r in ranges if r]
    if ranges and all(r == PROTOBUF for r in ranges):
        raise errors.ApiError(406, "NotAcceptable",
                              f"only the following media types are accepted: {', '.join(SERVED)}")
