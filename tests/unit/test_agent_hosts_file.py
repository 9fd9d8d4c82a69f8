"""The kubelet-managed /etc/hosts of a pod (agent/kubelet/hosts_file.py)."""
from __future__ import annotations

from agent.kubelet.hosts_file import hosts_file_text, write_hosts_file


def pod(**spec) -> dict:
    return {"metadata": {"name": "web-0", "namespace": "shop"}, "spec": spec}


def test_localhost_and_the_pod_ip_under_its_hostname():
    lines = hosts_file_text(pod(), "10.244.1.7").splitlines()
    assert "127.0.0.1\tlocalhost" in lines
    assert lines[-1] == "10.244.1.7\tweb-0"


def test_subdomain_gives_the_fqdn_first_and_aliases_follow():
    text = hosts_file_text(pod(hostname="db", subdomain="dbs",
                               hostAliases=[{"ip": "10.1.2.3", "hostnames": ["a.example", "b.example"]}]), "10.244.1.8")
    assert "10.244.1.8\tdb.dbs.shop.svc.cluster.local\tdb\n" in text
    assert text.endswith("# Entries added by HostAliases.\n10.1.2.3\ta.example\tb.example\n")


def test_no_pod_ip_no_own_entry_and_rewritten_when_the_ip_arrives(tmp_path):
    assert "web-0" not in hosts_file_text(pod(), None)
    path = write_hosts_file(tmp_path / "uid", pod(), None)
    assert "web-0" not in path.read_text()
    assert write_hosts_file(tmp_path / "uid", pod(), "10.244.1.9") == path
    assert path.read_text().endswith("10.244.1.9\tweb-0\n")
