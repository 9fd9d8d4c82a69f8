"""pods/log is proxied to the node agent that runs the pod (its /containerLogs endpoint).

The node agent is another issue; here a minimal HTTP endpoint on loopback
plays its part, so what is tested is the API server's routing: finding the
pod's node, the node's address and agent port, and passing the options on.
"""
from __future__ import annotations

from aiohttp import web

from minikube_py.testing import free_port
from tests.helpers import pod


async def test_log_is_proxied_to_the_pods_node(http, ns, unique):
    asked = []

    async def container_logs(request: web.Request) -> web.StreamResponse:
        asked.append((request.match_info["ns"], request.match_info["pod"], request.match_info["container"],
                      dict(request.query)))
        return web.Response(text="line 1\nline 2\n")

    agent = web.Application()
    agent.router.add_get("/containerLogs/{ns}/{pod}/{container}", container_logs)
    runner = web.AppRunner(agent)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        node = f"logs-{unique}"
        await http.ok("POST", "/api/v1/nodes", {
            "apiVersion": "v1", "kind": "Node", "metadata": {"name": node},
            "status": {"addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
                       "daemonEndpoints": {"kubeletEndpoint": {"Port": port}}}})
        await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p", node=node))
        status, text = await http.get(f"/api/v1/namespaces/{ns}/pods/p/log?tailLines=2&follow=false")
        assert (status, text) == (200, "line 1\nline 2\n")
        assert asked == [(ns, "p", "app", {"tailLines": "2"})]
        status, body = await http.get(f"/api/v1/namespaces/{ns}/pods/p/log?container=nope")
        assert status == 400 and body["message"] == "container nope is not valid for pod p"
        assert len(asked) == 1                      # refused without bothering the agent
        every = ("container=app&follow=true&previous=true&sinceTime=2026-01-02T03:04:05Z&timestamps=true"
                 "&tailLines=0&limitBytes=10&insecureSkipTLSVerifyBackend=true")
        status, _ = await http.get(f"/api/v1/namespaces/{ns}/pods/p/log?{every}")
        assert status == 200 and asked[-1][3] == {
            "follow": "true", "previous": "true", "sinceTime": "2026-01-02T03:04:05Z", "timestamps": "true",
            "tailLines": "0", "limitBytes": "10", "insecureSkipTLSVerifyBackend": "true"}
        status, _ = await http.get(f"/api/v1/namespaces/{ns}/pods/p/log?sinceSeconds=5")
        assert status == 200 and asked[-1][3] == {"sinceSeconds": "5"}
        for query, field in (("tailLines=-1", "tailLines"), ("limitBytes=0", "limitBytes"),
                             ("sinceSeconds=0", "sinceSeconds"),
                             ("sinceSeconds=5&sinceTime=2026-01-02T03:04:05Z", "")):
            status, body = await http.get(f"/api/v1/namespaces/{ns}/pods/p/log?{query}")
            assert status == 422 and body["details"]["kind"] == "PodLogOptions", (query, body)
            assert body["details"]["causes"][0]["field"] == field
        status, body = await http.get(f"/api/v1/namespaces/{ns}/pods/p/log?follow=perhaps")
        assert status == 400 and "follow" in body["message"]
        status, body = await http.get(f"/api/v1/namespaces/{ns}/pods/p/log?sinceTime=yesterday")
        assert status == 400 and "sinceTime" in body["message"]
        assert len(asked) == 3
        await http.ok("DELETE", f"/api/v1/nodes/{node}")
    finally:
        await runner.cleanup()


async def test_log_of_unscheduled_pod_is_a_clear_error(http, ns):
    await http.ok("POST", f"/api/v1/namespaces/{ns}/pods", pod("p"))
    status, body = await http.get(f"/api/v1/namespaces/{ns}/pods/p/log")
    assert status == 400 and "does not have a host assigned" in body["message"]
