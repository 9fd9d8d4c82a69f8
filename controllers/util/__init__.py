"""What kube-controller-manager's pkg/controller (controller_utils.go, controller_ref_manager.go)
gives every workload controller: claiming objects through ownerReferences (ownership.py),
expectations of the controller's own writes (expectations.py), ranking pods (pods.py), and
the pod-owner machinery that ReplicaSet, DaemonSet and Job share (pod_owner.py)."""
