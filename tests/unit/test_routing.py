"""URL grammar: which resource, namespace, name and subresource a path names."""
from __future__ import annotations

import pytest

from apiserver.routing import parse
from minikube_py.api.errors import ApiError


@pytest.mark.parametrize("group,version,path,expected", [
    ("", "v1", "pods", ("pods", None, None, None, False)),
    ("", "v1", "namespaces/default/pods", ("pods", "default", None, None, False)),
    ("", "v1", "namespaces/default/pods/web/status", ("pods", "default", "web", "status", False)),
    ("", "v1", "namespaces/default", ("namespaces", None, "default", None, False)),
    ("", "v1", "namespaces/default/finalize", ("namespaces", None, "default", "finalize", False)),
    ("", "v1", "namespaces/status/pods", ("pods", "status", None, None, False)),
    ("", "v1", "nodes/n1/status", ("nodes", None, "n1", "status", False)),
    ("", "v1", "watch/namespaces/x/pods", ("pods", "x", None, None, True)),
    ("apps", "v1", "namespaces/a/deployments/d/scale", ("deployments", "a", "d", "scale", False)),
])
def test_paths(group, version, path, expected):
    info = parse(group, version, path)
    assert (info.rt.plural, info.namespace, info.name, info.subresource, info.legacy_watch) == expected


@pytest.mark.parametrize("group,version,path", [
    ("", "v1", "widgets"),                        # unknown resource
    ("", "v1", "pods/web"),                       # namespaced object outside a namespace
    ("", "v1", "namespaces/x/nodes"),             # cluster-scoped type inside a namespace
    ("", "v1", "namespaces/x/pods/p/nosuch"),     # unknown subresource (exec is served since issue 15)
    ("", "v1", "namespaces/x/pods/p/status/extra"),
    ("apps", "v2", "deployments"),                # unknown version
])
def test_bad_paths_are_404(group, version, path):
    with pytest.raises(ApiError) as error:
        parse(group, version, path)
    assert error.value.code == 404
