"""minikube-py's API server, shaped like kube-apiserver (k8s.io/apiserver and pkg/registry):
a REST API over etcd that every other component talks to, and the only one that
touches etcd.

    request -> app.py (Status middleware) -> routing.py -> handlers.py -> admission/,
               strategies/, minikube_py/api (defaults, validation) -> storage.py -> etcd
    etcd watch -> watchcache.py -> watch.py -> every HTTP watcher

In reading order:

    cli.py            `minikube-py apiserver`: kube-apiserver's flags, the ones we have
    options.py        the typed options the flags set, and the REST layer's configuration
    app.py            the aiohttp application: Status middleware, routes, start-up on etcd
    routing.py        URL -> RequestInfo (resource, namespace, name, subresource)
    handlers.py       the generic verbs and the create pipeline
    http.py           decoding bodies (JSON, YAML), query parameters, JSON replies
    objectmeta.py     server-owned metadata: uid, creationTimestamp, generateName
    admission/        the admission chain, one file per plugin
    strategies/       what differs per type (pods, services, namespaces, budgets)
    allocator.py      ClusterIPs and NodePorts, claimed in the Service's transaction
    storage.py        one etcd key per object, transactions on the revision, dry run
    updates.py        PUT and PATCH: one read-modify-write pipeline
    apply.py          server-side apply over HTTP and the field manager of every write
                      (the bookkeeping: minikube_py/api/managedfields)
    deletion.py       graceful deletion, finalizers, propagation, deletecollection
    listing.py        selectors, limit + continue paging
    watchcache.py     one etcd watch, ring buffers, fan-out with selector transitions
    watch.py          the HTTP watch stream and bookmarks
    subresources.py   status, scale, binding, finalize, log
    eviction.py       pods/eviction, honouring PodDisruptionBudgets
    leases.py         time-to-live (Events) through etcd leases
    bootstrap.py      system namespaces, PriorityClasses, the `kubernetes` Service
    discovery.py      /version, /api, /apis, health checks
    openapi.py        /openapi/v2 (and openapi_gnostic.py: its protobuf form)
    tables.py         server-side Tables for `kubectl get` (table_printers.py, table_helpers.py)

The map of the whole project: docs/architecture.md.
"""
