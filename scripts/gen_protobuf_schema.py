#!/usr/bin/env python3
"""Generate apiserver/protobuf/schema.py from Kubernetes' own sources (run at dev time only).

Kubernetes' protobuf encoding is defined by the `generated.proto` file of each API
package (field numbers, types, repeated/map); whether a zero value appears in the
JSON form comes from the Go struct in the same package (`*int32` pointer or not,
`json:",omitempty"` or not). This script reads both, keeps the messages reachable
from the types we serve, and writes them as one declarative table. The downloaded
sources are not part of the project; the generated table is.

    python3 scripts/gen_protobuf_schema.py --api /path/to/kubernetes/api(.git) \\
        --apimachinery /path/to/kubernetes/apimachinery(.git) --ref v0.33.9 > apiserver/protobuf/schema.py

Both paths may be git directories (bare or not): files are read with `git show REF:path`.
"""
from __future__ import annotations

import argparse
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

# proto package -> (repository, directory in it, short name used in the table)
PACKAGES = {
    "k8s.io.api.core.v1": ("api", "core/v1", "core.v1"),
    "k8s.io.api.apps.v1": ("api", "apps/v1", "apps.v1"),
    "k8s.io.api.batch.v1": ("api", "batch/v1", "batch.v1"),
    "k8s.io.api.coordination.v1": ("api", "coordination/v1", "coordination.v1"),
    "k8s.io.api.scheduling.v1": ("api", "scheduling/v1", "scheduling.v1"),
    "k8s.io.api.policy.v1": ("api", "policy/v1", "policy.v1"),
    "k8s.io.api.networking.v1": ("api", "networking/v1", "networking.v1"),
    "k8s.io.api.autoscaling.v1": ("api", "autoscaling/v1", "autoscaling.v1"),
    "k8s.io.apimachinery.pkg.apis.meta.v1": ("apimachinery", "pkg/apis/meta/v1", "meta.v1"),
    "k8s.io.apimachinery.pkg.api.resource": ("apimachinery", "pkg/api/resource", "resource"),
    "k8s.io.apimachinery.pkg.util.intstr": ("apimachinery", "pkg/util/intstr", "intstr"),
    "k8s.io.apimachinery.pkg.runtime": ("apimachinery", "pkg/runtime", "runtime"),
    "k8s.io.apimachinery.pkg.runtime.schema": ("apimachinery", "pkg/runtime/schema", "schema"),
}

# (apiVersion, kind) -> message: every body a client may send us (the served types,
# and the bodies of their subresources and deletes).
ROOTS = {
    ("v1", "Namespace"): "core.v1.Namespace", ("v1", "Pod"): "core.v1.Pod", ("v1", "Node"): "core.v1.Node",
    ("v1", "Service"): "core.v1.Service", ("v1", "Endpoints"): "core.v1.Endpoints",
    ("v1", "ConfigMap"): "core.v1.ConfigMap", ("v1", "Secret"): "core.v1.Secret",
    ("v1", "Event"): "core.v1.Event", ("v1", "Binding"): "core.v1.Binding",
    ("v1", "ReplicationController"): "core.v1.ReplicationController",
    ("apps/v1", "Deployment"): "apps.v1.Deployment", ("apps/v1", "ReplicaSet"): "apps.v1.ReplicaSet",
    ("apps/v1", "DaemonSet"): "apps.v1.DaemonSet",
    ("batch/v1", "Job"): "batch.v1.Job",
    ("coordination.k8s.io/v1", "Lease"): "coordination.v1.Lease",
    ("scheduling.k8s.io/v1", "PriorityClass"): "scheduling.v1.PriorityClass",
    ("networking.k8s.io/v1", "NetworkPolicy"): "networking.v1.NetworkPolicy",
    ("policy/v1", "Eviction"): "policy.v1.Eviction",
    ("policy/v1", "PodDisruptionBudget"): "policy.v1.PodDisruptionBudget",
    ("autoscaling/v1", "Scale"): "autoscaling.v1.Scale",
    ("v1", "DeleteOptions"): "meta.v1.DeleteOptions",
    ("meta.k8s.io/v1", "DeleteOptions"): "meta.v1.DeleteOptions",
}
ENVELOPE = "runtime.Unknown"
SCALARS = {"string", "bytes", "bool", "int32", "int64", "uint32", "uint64", "double", "float", "fixed64"}

FIELD_RE = re.compile(r"^\s*(optional|repeated)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;")
MAP_RE = re.compile(r"^\s*map<\s*(\w+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)\s*;")
GO_STRUCT_RE = re.compile(r"^type (\w+) struct \{")
GO_FIELD_RE = re.compile(r'^\s*(?:\w+\s+)?(\S+)\s+`json:"([^"]*)"\s+protobuf:"([^"]*)"')


@dataclass
class Field:
    number: int
    proto_name: str
    type: str          # a scalar name, or a short message name ("meta.v1.ObjectMeta")
    shape: str         # "", "keep", "list" or "map"


class Sources:
    def __init__(self, repos: dict[str, Path], ref: str) -> None:
        self.repos, self.ref = repos, ref

    def read(self, repo: str, path: str) -> str:
        return subprocess.run(["git", "--git-dir", str(self.git_dir(repo)), "show", f"{self.ref}:{path}"],
                              check=True, capture_output=True, text=True).stdout

    def list(self, repo: str, directory: str) -> list[str]:
        out = subprocess.run(["git", "--git-dir", str(self.git_dir(repo)), "ls-tree", "--name-only",
                              f"{self.ref}:{directory}"], check=True, capture_output=True, text=True).stdout
        return [f"{directory}/{name}" for name in out.split()]

    def git_dir(self, repo: str) -> Path:
        path = self.repos[repo]
        return path / ".git" if (path / ".git").exists() else path


def short_type(type_name: str, package: str) -> str:
    if type_name in SCALARS:
        return type_name
    name = type_name.lstrip(".")
    for full, (_, _, short) in PACKAGES.items():
        if name.startswith(full + ".") and "." not in name[len(full) + 1:]:
            return f"{short}.{name[len(full) + 1:]}"
    if "." not in name:
        return f"{PACKAGES[package][2]}.{name}"
    raise SystemExit(f"unknown proto type {type_name} (add its package to PACKAGES)")


def parse_proto(text: str, package: str) -> dict[str, list[Field]]:
    messages: dict[str, list[Field]] = {}
    current: list[Field] | None = None
    for line in text.splitlines():
        if line.startswith("message "):
            current = messages.setdefault(f"{PACKAGES[package][2]}.{line.split()[1]}", [])
        elif line.startswith("}"):
            current = None
        elif current is not None and (m := MAP_RE.match(line)):
            key, value, name, number = m.groups()
            assert key == "string", f"map key {key} in {line}"
            current.append(Field(int(number), name, short_type(value, package), "map"))
        elif current is not None and (m := FIELD_RE.match(line)):
            label, type_name, name, number = m.groups()
            current.append(Field(int(number), name, short_type(type_name, package),
                                 "list" if label == "repeated" else ""))
    return messages


def parse_go(text: str) -> dict[tuple[str, str], tuple[str, bool, bool]]:
    """(struct, protobuf name) -> (json name, omitempty, pointer) for every tagged field."""
    facts: dict[tuple[str, str], tuple[str, bool, bool]] = {}
    struct = None
    for line in text.splitlines():
        if m := GO_STRUCT_RE.match(line):
            struct = m.group(1)
        elif line.startswith("}"):
            struct = None
        elif struct and (m := GO_FIELD_RE.match(line)):
            go_type, json_tag, proto_tag = m.groups()
            proto_name = dict(p.split("=", 1) for p in proto_tag.split(",") if "=" in p).get("name")
            json_name, *options = json_tag.split(",")
            facts[(struct, proto_name)] = (json_name, "omitempty" in options, go_type.startswith("*"))
    return facts


def reachable(messages: dict[str, list[Field]]) -> list[str]:
    seen: list[str] = []
    todo = [*dict.fromkeys(ROOTS.values()), ENVELOPE]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.append(name)
        todo.extend(f.type for f in messages[name] if f.type not in SCALARS)
    return sorted(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", type=Path, required=True)
    parser.add_argument("--apimachinery", type=Path, required=True)
    parser.add_argument("--ref", default="v0.33.9")
    args = parser.parse_args()
    sources = Sources({"api": args.api, "apimachinery": args.apimachinery}, args.ref)
    messages: dict[str, list[Field]] = {}
    go: dict[tuple[str, str, str], tuple[str, bool, bool]] = {}
    for package, (repo, directory, short) in PACKAGES.items():
        messages.update(parse_proto(sources.read(repo, f"{directory}/generated.proto"), package))
        for path in sources.list(repo, directory):
            if path.endswith(".go") and not path.endswith("_test.go") and "generated" not in path:
                for (struct, proto_name), fact in parse_go(sources.read(repo, path)).items():
                    go[(short, struct, proto_name)] = fact
    print(render(messages, go, args.ref))


def render(messages: dict[str, list[Field]], go: dict[tuple[str, str, str], tuple[str, bool, bool]],
           ref: str) -> str:
    lines = ['"""Kubernetes\' protobuf schema for the types we serve: GENERATED, do not edit.',
             "",
             "Made by scripts/gen_protobuf_schema.py from the generated.proto files and Go types of",
             f"kubernetes/api and kubernetes/apimachinery at {ref}.",
             "",
             "MESSAGES: message -> {field number: (JSON name, type, shape)}. A type is a scalar",
             "(string, int64, bytes, ...) or another message of this table. Shapes:",
             '    ""      a single value whose zero value JSON omits (Go `json:",omitempty"`, not a pointer)',
             '    "keep"  a single value kept even when zero (a Go pointer, or no omitempty)',
             '    "list"  a repeated field; "map" a map<string, type> (key = 1, value = 2 on the wire)',
             '    "inline" an embedded Go struct (`json:",inline"`): its fields appear in its parent',
             'ROOTS: (apiVersion, kind) of a body -> its message.',
             '"""',
             "from __future__ import annotations",
             "",
             "Field = tuple[str, str, str]",
             "",
             "MESSAGES: dict[str, dict[int, Field]] = {"]
    for name in reachable(messages):
        short, struct = name.rsplit(".", 1)
        lines.append(f"    {name!r}: {{")
        for f in messages[name]:
            json_name, omitempty, pointer = go.get((short, struct, f.proto_name), (f.proto_name, True, False))
            shape = f.shape or ("inline" if json_name == "" else "keep" if pointer or not omitempty else "")
            json_name = json_name or f.proto_name
            lines.append(f"        {f.number}: ({json_name!r}, {f.type!r}, {shape!r}),")
        lines.append("    },")
    lines.append("}")
    lines.append("")
    lines.append("ROOTS: dict[tuple[str, str], str] = {")
    lines.extend(f"    {key!r}: {value!r}," for key, value in ROOTS.items())
    lines.append("}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
