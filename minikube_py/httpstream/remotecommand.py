"""What both ends of exec/attach and port-forward agree on (apimachinery remotecommand, kubelet cri/streaming).

Channels, in WebSocket channel numbers and SPDY `streamtype` headers:

    0 stdin   1 stdout   2 stderr   3 error   4 resize   255 close (v5 only)

The error channel carries the outcome once, at the end, as a Status (v4 and
later; v1-v3 carried plain text): Success, or Failure with reason
NonZeroExitCode and the exit code as the message of a cause whose reason is
`ExitCode`; kubectl turns that into "command terminated with exit code N".
Resize messages are JSON `{"Width": w, "Height": h}`. v5 adds the close
signal: `255, channel` says the client will send nothing more on that channel,
which is how `echo hi | kubectl exec -i POD -- cat` gets its EOF over WebSocket.
"""
from __future__ import annotations

import json
from typing import Any

# WebSocket subprotocols (Sec-WebSocket-Protocol) and SPDY X-Stream-Protocol-Version values
V5_CHANNEL = "v5.channel.k8s.io"
V4_CHANNEL = "v4.channel.k8s.io"
V4_BASE64_CHANNEL = "v4.base64.channel.k8s.io"
CHANNEL = "channel.k8s.io"
BASE64_CHANNEL = "base64.channel.k8s.io"
PORT_FORWARD = "portforward.k8s.io"
SPDY_TUNNELED_PORT_FORWARD = "SPDY/3.1+portforward.k8s.io"   # kubectl >= 1.31: SPDY inside WebSocket
V2_PORT_FORWARD = "v2.portforward.k8s.io"                    # kubectl 1.30's name for the same tunnel
TUNNELED_PORT_FORWARD = (SPDY_TUNNELED_PORT_FORWARD, V2_PORT_FORWARD)
SPDY_UPGRADE = "SPDY/3.1"
PROTOCOL_HEADER = "X-Stream-Protocol-Version"

STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
STREAM_TYPES = {"stdin": STDIN, "stdout": STDOUT, "stderr": STDERR, "error": ERROR, "resize": RESIZE}


def success() -> dict[str, Any]:
    return {"metadata": {}, "status": "Success"}


def failure(message: str, reason: str = "InternalError") -> dict[str, Any]:
    return {"metadata": {}, "status": "Failure", "message": message, "reason": reason}


def exit_status(command: list[str], code: int) -> dict[str, Any]:
    """The error-channel Status of a command that ended with `code` (success when 0)."""
    if code == 0:
        return success()
    return {"metadata": {}, "status": "Failure", "reason": "NonZeroExitCode",
            "message": f"command terminated with non-zero exit code: error executing command "
                       f"[{' '.join(command)}], "
                       f"exit code {code}",
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


def exit_code(status: dict[str, Any]) -> int | None:
    """The exit code in an error-channel Status: 0 on Success, None when it failed otherwise."""
    if status.get("status") == "Success":
        return 0
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode":
            try:
                return int(cause.get("message", ""))
            except ValueError:
                return None
    return None


def parse_resize(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a resize message; None when it is not one."""
    try:
        size = json.loads(data)
        width, height = int(size["Width"]), int(size["Height"])
    except (ValueError, TypeError, KeyError):
        return None
    return (width, height) if 0 < width < 65536 and 0 < height < 65536 else None
