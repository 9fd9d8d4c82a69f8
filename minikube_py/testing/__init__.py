"""What the tests and the benchmarks share: real servers on loopback and waiting for conditions.

Kubernetes keeps the same kind of code beside its components rather than inside its
test tree: `test/integration/framework` starts a private etcd, `cmd/kube-apiserver/
app/testing` a real API server on a free port, and `k8s.io/apimachinery/pkg/util/wait`
polls for a condition. Both tests/ and bench/ import from here, so bench/ never imports
the test suite.

- servers: a private etcd and `minikube-py apiserver` as child processes, stopped by pid
- polling: `eventually`, the one way to wait for a condition (never for a fixed time)
"""
from minikube_py.testing.polling import eventually, eventually_sync
from minikube_py.testing.servers import ROOT, ApiServer, Etcd, free_port, stop_process

__all__ = ["ROOT", "ApiServer", "Etcd", "eventually", "eventually_sync", "free_port", "stop_process"]
