"""The one-machine lab: a whole cluster on one host, nodes as network namespaces.

    lab bridge mkpy-<name>  192.168.56.10/24   (host side: etcd, apiserver, scheduler,
        |                                       controller-manager, cluster DNS)
        |-- veth -- netns mkpy-<name>-node1   eth0 192.168.56.11   agent + kube-proxy
        |-- veth -- netns mkpy-<name>-node2   eth0 192.168.56.12   agent + kube-proxy
        ...

    config.py      names and addresses of one lab (pure)
    state.py       the lab's state dir: what it made, pids, logs
    netsetup.py    bridge, namespaces, veths, blackhole routes, the FORWARD rule (pyroute2)
    components.py  the command line of every component
    processes.py   start a component (inside a namespace), stop one by its recorded pid
    supervisor.py  the daemon that keeps every component running
    bootstrap.py   objects the cluster needs (the kube-dns Service), nodes Ready
    kubeconfig.py  a standard kubeconfig for mkctl / kubectl
    teardown.py    `lab down`: undo everything recorded, also after a crash
    cli.py         `minikube-py lab up|down|status|logs|restart|stop|start`
"""
