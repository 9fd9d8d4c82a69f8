"""Fixtures of the integration tests: the locally built images and one agent per test (node
agent tests), a client of the shared API server and the controllers in-process (controller tests)."""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator

import docker
import pytest

from minikube_py.client import ApiClient, ClientConfig
from minikube_py.testing import ApiServer
from tests.agent_harness import Agent, remove_node_containers
from tests.controller_harness import InProcessManager, controllers_running


@pytest.fixture(scope="module")
def docker_client() -> Iterator[docker.DockerClient]:
    from minikube_py.images import build_images
    client = docker.from_env()
    build_images(client=client)
    yield client
    client.close()


@pytest.fixture
def agent(apiserver: ApiServer, docker_client: docker.DockerClient, unique: str) -> Iterator[Agent]:
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


@pytest.fixture
async def api(apiserver: ApiServer) -> AsyncIterator[ApiClient]:
    """Our client library (minikube_py.client) against the shared API server."""
    async with ApiClient(ClientConfig(server=apiserver.url)) as client:
        yield client


@pytest.fixture
async def manager(apiserver: ApiServer) -> AsyncIterator[InProcessManager]:
    """The Deployment, Endpoints, Namespace and ReplicaSet controllers in-process, stopped after the test."""
    async with controllers_running(apiserver.url, ["deployment", "endpoint", "namespace", "replicaset"]) as running:
        yield running


@pytest.fixture
def k8s(apiserver):
    """The official Python client (`kubernetes` package), talking to the suite's API server."""
    from kubernetes import client
    config = client.Configuration()
    config.host = apiserver.url
    with client.ApiClient(config) as api_client:
        yield api_client
