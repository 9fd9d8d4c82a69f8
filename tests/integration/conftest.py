"""Fixtures of the node agent tests: the locally built images and one agent per test."""
from __future__ import annotations

import shutil
import tempfile

import docker
import pytest

from tests.agent_harness import Agent, remove_node_containers


@pytest.fixture(scope="module")
def docker_client():
    from minikube_py.images import build_images
    client = docker.from_env()
    build_images(client=client)
    yield client
    client.close()


@pytest.fixture
def agent(apiserver, docker_client, unique):
    """An agent of its own node; stopped, its containers and directory removed, even on failure."""
    root_dir = tempfile.mkdtemp(prefix="mk-agent-")
    node = Agent(apiserver.url, f"agent-{unique}", root_dir)
    node.start()
    try:
        yield node
    finally:
        node.stop()
        remove_node_containers(docker_client, node.node)
        shutil.rmtree(root_dir, ignore_errors=True)
