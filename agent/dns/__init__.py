"""Cluster DNS: what CoreDNS's `kubernetes` plugin answers, fed by informers.

    records.py    the zone: names -> records, computed from the Service/Endpoints caches
    server.py     UDP and TCP listeners speaking DNS through dnslib
    cli.py        `minikube-py dns --server URL --listen ADDR:PORT [--netns NAME]` (= python -m agent.dns)
"""
