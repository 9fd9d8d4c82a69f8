"""The kubelet half of the node agent: node registration and heartbeat, pod workers,
container runtime (Docker or hollow), probes, volumes, status and the log server."""
