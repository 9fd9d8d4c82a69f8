"""mkctl's streaming commands: the client-side rules kubectl applies before any connection."""
from __future__ import annotations

import pytest

from minikube_py.cli.mkctl_cmds.errors import CliError
from minikube_py.cli.mkctl_cmds.streams import _parse_mapping, _service_target_ports, _split_remote


def test_cp_tells_remote_from_local_as_kubectl():
    assert _split_remote("web-1:/tmp/x") == ("web-1", "/tmp/x")
    assert _split_remote("/tmp/x") is None
    assert _split_remote("./dir:with-colon/file") is None       # a slash before the colon: local
    assert _split_remote(":/tmp/x") is None


def test_port_mappings():
    assert _parse_mapping("8080:80") == (8080, 80)
    assert _parse_mapping("80") == (80, 80)
    assert _parse_mapping(":80") == (80, 80)
    for bad in ("x:80", "8080:0", "70000:80"):
        with pytest.raises(CliError):
            _parse_mapping(bad)


def test_service_ports_become_target_ports():
    service = {"spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 53}]}}
    assert _service_target_ports(service, [(9000, 80), (9001, 53), (9002, 7)]) == [(9000, 8080), (9001, 53),
                                                                                    (9002, 7)]
    assert _service_target_ports(None, [(1, 2)]) == [(1, 2)]
    named = {"spec": {"ports": [{"port": 80, "targetPort": "http"}]}}
    assert _service_target_ports(named, [(9000, 80)], {"http": 8080}) == [(9000, 8080)]
    with pytest.raises(CliError):
        _service_target_ports(named, [(9000, 80)], {})
