"""The kubelet's streaming server (pkg/kubelet/cri/streaming): exec, attach and port-forward.

    /exec/{namespace}/{pod}/{container}?command=..&stdin=&stdout=&stderr=&tty=
    /run/{namespace}/{pod}/{container}     served as /exec (the kubelet's older one-shot endpoint)
    /attach/{namespace}/{pod}/{container}?stdin=&stdout=&stderr=&tty=
    /portForward/{namespace}/{pod}[?ports=80,8080]

served beside /containerLogs. The API server's pods/exec, pods/attach and
pods/portforward proxy the client's upgraded connection here byte for byte, so
this is where the wire protocols end: WebSocket channels or SPDY streams
(`command_io`, `portforward`), Docker's exec and attach streams
(`docker_streams`), TCP connections made inside the pod's network namespace
(`portforward`).
"""
