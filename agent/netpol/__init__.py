"""NetworkPolicy enforcement on every node: policies, pods and namespaces become iptables filter rules.

    model.py       policies + pods + namespaces -> each local pod's ingress/egress allow sets (pure)
    rules.py       allow sets -> the KUBE-NWPLCY chains (pure)
    controller.py  the sync loop: coalesced, partial, periodically full; --cleanup
    cli.py         `minikube-py netpol --node-name N [--netns NAME]` (= python -m agent.netpol)
"""
