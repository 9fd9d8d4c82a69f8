"""minikube-py's scheduler, shaped like kube-scheduler (pkg/scheduler):

    framework.py   extension points, Status, plugin base classes
    plugins/       one file per plugin (filters, scores, preemption) and the default profile
    algorithm.py   one decision: filter, score, select; FitError message
    queue.py       activeQ / backoffQ / unschedulable
    cache.py       NodeInfos with bound and assumed pods
    nominator.py   pods nominated to a node by preemption, whose space is kept for them
    workloads.py   the Service/ReplicaSet selector a pod's default topology spreading uses
    binder.py      asynchronous pods/binding
    scheduler.py   informers -> cache and queue; the scheduling loop
    explain.py     decision tables and the decision annotation
    cli.py         `minikube-py scheduler`
"""
