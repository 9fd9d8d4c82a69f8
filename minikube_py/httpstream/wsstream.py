"""Channels over WebSocket messages (apimachinery util/httpstream/wsstream).

Binary protocols (`channel.k8s.io`, `v4.`, `v5.`): each message is one channel
byte and the data. Base64 protocols (`base64.channel.k8s.io`, `v4.base64.`)
are for clients that can only send text: the channel as an ASCII digit, then
the data in base64. The Python client sends text frames even on a binary
protocol (`chr(channel) + data`), so a text message is read as UTF-8 bytes.
"""
from __future__ import annotations

import base64
import binascii

from minikube_py.httpstream import remotecommand as rc

EXEC_PROTOCOLS = (rc.V5_CHANNEL, rc.V4_CHANNEL, rc.V4_BASE64_CHANNEL, rc.CHANNEL, rc.BASE64_CHANNEL)
PORT_FORWARD_PROTOCOLS = (rc.V4_CHANNEL, rc.V4_BASE64_CHANNEL, rc.CHANNEL, rc.BASE64_CHANNEL)


class ChannelError(ValueError):
    pass


def is_base64(protocol: str) -> bool:
    return "base64" in protocol


def status_on_error_channel(protocol: str) -> bool:
    """v4 and v5 send a Status on the error channel; the older protocols plain text."""
    return protocol.startswith(("v4.", "v5."))


def encode(protocol: str, channel: int, data: bytes) -> bytes | str:
    if is_base64(protocol):
        return str(channel) + base64.b64encode(data).decode()
    return bytes([channel]) + data


def decode(protocol: str, message: bytes | str) -> tuple[int, bytes]:
    """(channel, data) of one message."""
    if is_base64(protocol):
        text = message if isinstance(message, str) else message.decode("ascii", "replace")
        if not text or not text[0].isdigit():
            raise ChannelError("base64 channel message without a channel digit")
        try:
            return int(text[0]), base64.b64decode(text[1:], validate=True)
        except binascii.Error as e:
            raise ChannelError(f"bad base64 in channel message: {e}") from e
    raw = message.encode() if isinstance(message, str) else message
    if not raw:
        raise ChannelError("empty channel message")
    return raw[0], raw[1:]
