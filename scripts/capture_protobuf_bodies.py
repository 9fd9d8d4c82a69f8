#!/usr/bin/env python3
"""Record the protobuf request bodies a real client sends (dev time: makes tests/fixtures/protobuf).

A loopback reverse proxy in front of an API server: every request goes through
unchanged, and each body sent as application/vnd.kubernetes.protobuf is saved as
`<out>/<apiVersion>_<Kind>.pb` (the name read from the body's envelope).

    python3 scripts/capture_protobuf_bodies.py --upstream http://127.0.0.1:6443 --port 16443 \\
        --out tests/fixtures/protobuf &
    kubectl --server http://127.0.0.1:16443 create namespace demo

`--advertise-eviction` adds `pods/eviction` to /api/v1's discovery answer, so that
`kubectl drain` sends its Eviction bodies even to a server that does not serve them.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import aiohttp
from aiohttp import web

PROTOBUF = "application/vnd.kubernetes.protobuf"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding"}


def envelope_name(body: bytes) -> str:
    from apiserver.protobuf.messages import CLASSES
    unknown = CLASSES["runtime.Unknown"].FromString(body[4:])
    return f"{unknown.f1.f1.replace('/', '_').replace('.', '_')}_{unknown.f1.f2}"


EVICTION = {"name": "pods/eviction", "singularName": "", "namespaced": True, "group": "policy",
            "version": "v1", "kind": "Eviction", "verbs": ["create"]}


def make_app(upstream: str, out: Path, advertise_eviction: bool) -> web.Application:
    async def proxy(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if request.method != "GET":
            print(f"{request.method} {request.path} ({request.content_type})", flush=True)
        if request.content_type == PROTOBUF:
            path = out / f"{envelope_name(body)}.pb"
            path.write_bytes(body)
            print(f"saved {request.method} {request.path} -> {path}", flush=True)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        async with request.app["session"].request(request.method, upstream + request.path_qs, data=body,
                                                  headers=headers) as answer:
            payload = await answer.read()
            if advertise_eviction and request.path.rstrip("/") == "/api/v1" and answer.status == 200:
                document = json.loads(payload)
                document["resources"].append(EVICTION)
                payload = json.dumps(document).encode()
            reply_headers = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
            return web.Response(body=payload, status=answer.status, headers=reply_headers)

    async def session(app: web.Application):
        app["session"] = aiohttp.ClientSession(auto_decompress=False)
        yield
        await app["session"].close()

    app = web.Application(client_max_size=8 * 1024 * 1024)
    app.cleanup_ctx.append(session)
    app.router.add_route("*", "/{tail:.*}", proxy)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port", type=int, default=16443)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--advertise-eviction", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = make_app(args.upstream.rstrip("/"), args.out, args.advertise_eviction)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
