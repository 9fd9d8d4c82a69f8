"""minikube-py's client library, shaped like client-go.

    config.py          where the API server is (kubeconfig, env, arguments)   ~ clientcmd
    rest.py            HTTP, Status errors, retries, streams                  ~ rest.RESTClient
    resource.py        one resource type's verbs and paths                    ~ dynamic client
    informer.py        list + watch + indexed cache + event handlers          ~ tools/cache
    workqueue.py       dedup, per-key backoff, workers                        ~ util/workqueue
    leaderelection.py  one active replica via a Lease                         ~ tools/leaderelection
"""
from minikube_py.client.config import ClientConfig, ConfigError, load_config
from minikube_py.client.rest import ApiClient, ResourceClient

__all__ = ["ApiClient", "ClientConfig", "ConfigError", "ResourceClient", "load_config"]
