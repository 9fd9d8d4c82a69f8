"""load_config: precedence of arguments, environment and kubeconfig; one-line errors."""
from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

from minikube_py.client.config import DEFAULT_SERVER, ConfigError, load_config

KUBECONFIG = {
    "apiVersion": "v1", "kind": "Config", "current-context": "lab",
    "clusters": [{"name": "lab", "cluster": {"server": "http://192.168.56.10:6443"}},
                 {"name": "tls", "cluster": {"server": "https://10.0.0.1:6443",
                                             "certificate-authority-data": base64.b64encode(b"PEM").decode()}}],
    "users": [{"name": "admin", "user": {"token": "file-token"}}],
    "contexts": [{"name": "lab", "context": {"cluster": "lab", "user": "admin", "namespace": "team"}},
                 {"name": "other", "context": {"cluster": "tls"}}],
}


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for var in ("MK_SERVER", "MK_TOKEN", "KUBECONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return monkeypatch


def write(tmp_path: Path, doc) -> str:
    path = tmp_path / "config"
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc))
    return str(path)


def test_default_without_anything(clean_env):
    cfg = load_config()
    assert (cfg.server, cfg.token, cfg.namespace) == (DEFAULT_SERVER, None, "default")


def test_kubeconfig_current_context(clean_env, tmp_path):
    cfg = load_config(kubeconfig=write(tmp_path, KUBECONFIG))
    assert (cfg.server, cfg.token, cfg.namespace) == ("http://192.168.56.10:6443", "file-token", "team")


def test_kubeconfig_from_env_and_named_context(clean_env, tmp_path):
    clean_env.setenv("KUBECONFIG", write(tmp_path, KUBECONFIG))
    cfg = load_config(context="other")
    assert cfg.server == "https://10.0.0.1:6443" and cfg.namespace == "default"
    assert cfg.ca_file is not None and Path(cfg.ca_file).read_bytes() == b"PEM"


def test_home_kubeconfig(clean_env, tmp_path):
    (tmp_path / "home/.kube").mkdir(parents=True)
    (tmp_path / "home/.kube/config").write_text(yaml.safe_dump(KUBECONFIG))
    assert load_config().namespace == "team"


def test_env_beats_kubeconfig_and_arguments_beat_env(clean_env, tmp_path):
    path = write(tmp_path, KUBECONFIG)
    clean_env.setenv("MK_SERVER", "http://env:1")
    clean_env.setenv("MK_TOKEN", "env-token")
    cfg = load_config(kubeconfig=path)
    assert (cfg.server, cfg.token) == ("http://env:1", "env-token")
    cfg = load_config(server="http://arg:2/", token="arg-token", kubeconfig=path, namespace="ns1")
    assert (cfg.server, cfg.token, cfg.namespace) == ("http://arg:2", "arg-token", "ns1")


@pytest.mark.parametrize("content, words", [
    ("clusters: [", "cannot parse"),
    ("- just a list", "not a mapping"),
    (yaml.safe_dump({**KUBECONFIG, "current-context": "nope"}), "context 'nope' not found"),
    (yaml.safe_dump({**KUBECONFIG, "clusters": []}), "cluster 'lab' not found"),
])
def test_bad_kubeconfig_is_a_one_line_config_error(clean_env, tmp_path, content, words):
    with pytest.raises(ConfigError) as info:
        load_config(kubeconfig=write(tmp_path, content))
    assert words in str(info.value) and "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_missing_explicit_kubeconfig(clean_env, tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(kubeconfig=str(tmp_path / "absent"))
