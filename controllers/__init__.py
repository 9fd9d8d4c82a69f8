"""minikube-py's controller manager, shaped like kube-controller-manager (pkg/controller):
control loops that watch the API through shared informers and move the cluster toward
what its objects ask for, one controller per module.

In reading order:

    base.py                the controller pattern: handlers enqueue keys, workers reconcile
    registry.py            which controllers exist and which run (`--controllers`)
    manager.py             one process, shared informers and client, leader election
    config.py              the typed configuration the controllers read
    cli.py                 `minikube-py controller-manager`
    util/                  what workload controllers share: ownership, expectations,
                           pod ranking, the pod-owner handlers and PodControl
    replicaset.py          ReplicaSet: keep N pods
    deployment.py          Deployment: ReplicaSets per template, with
                           deployment_rollout.py (rolling / recreate), deployment_status.py
                           (status and conditions) and deployment_util.py (the arithmetic)
    daemonset.py           DaemonSet: one pod per eligible node (daemonset_util.py: the rules)
    job.py                 Job: run pods to completion
    endpoints.py           Endpoints: the ready pods behind each Service
    namespace.py           Namespace: delete the contents of a Terminating namespace
    garbage_collector.py   delete dependents whose owners are gone
    node_ipam.py           a podCIDR for every node
    node_lifecycle.py      node health: NotReady / unreachable conditions and taints
    taint_eviction.py      evict pods that do not tolerate a NoExecute taint
    disruption.py          PodDisruptionBudget status

The map of the whole project: docs/architecture.md.
"""
