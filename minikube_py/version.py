"""Which Kubernetes this is: the release whose API the server follows (`/version`, the kubelet's
`nodeInfo.kubeletVersion`, the OpenAPI document's info.version all say this one)."""
KUBERNETES_MAJOR, KUBERNETES_MINOR = "1", "33"
GIT_VERSION = f"v{KUBERNETES_MAJOR}.{KUBERNETES_MINOR}.0-minikube-py"
