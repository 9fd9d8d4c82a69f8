"""Multiplexed streams over one upgraded HTTP connection (Kubernetes' apimachinery util/httpstream).

`kubectl exec`, `attach`, `cp` and `port-forward` each need several byte
streams at once (stdin, stdout, stderr, an error channel, terminal resizes; or
one data and one error stream per forwarded connection) over a single HTTP
connection that has been switched to another protocol with `101 Switching
Protocols`. Kubernetes speaks two such protocols, and so do we:

- `spdy`: SPDY/3.1, one SPDY stream per channel, the stream's purpose in its
  `streamtype` header (kubectl before 1.30 for exec, before 1.31 for
  port-forward, and any kubectl as a fallback);
- `wsstream`: WebSocket messages whose first byte names the channel
  (`v5.channel.k8s.io` and its predecessors; kubectl >= 1.30, the Python client).

`hijack` takes over an aiohttp server connection once it has been upgraded;
`remotecommand` holds the protocol names and the exit-code Status that both
ends of an exec agree on.
"""
