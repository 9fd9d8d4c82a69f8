"""kube-proxy in iptables mode: Services and Endpoints become NAT rules on every node.

    model.py      Service + Endpoints -> ServicePort (with ready endpoints), chain names
    rules.py      the ruleset, as a pure function of the service ports; the restore payload
    iptables.py   iptables-restore --noflush, jumps from the built-in chains
    conntrack.py  stale UDP conntrack entries
    proxier.py    the sync loop: coalesced, partial, periodically full
    cli.py        `minikube-py proxy --server URL [--netns NAME]` (= python -m agent.proxy)
"""
