"""Reading manifests for `-f FILE|DIR|-`, the way kubectl's resource builder does.

kubectl accepts a file, a directory (its .yaml/.yml/.json files, sorted by
name; `-R` descends into sub-directories) or `-` for standard input. A file may
hold several YAML documents separated by `---`, and a `kind: List` is unpacked
into its items. Each document must say which type it is (apiVersion + kind);
that pair is how kubectl finds the REST path to send it to.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from minikube_py.api.resources import ResourceType, by_kind
from minikube_py.cli.mkctl_cmds.errors import CliError

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"


@dataclass
class Manifest:
    source: str                 # the file name as given, or "STDIN"
    obj: dict[str, Any]
    rt: ResourceType

    @property
    def name(self) -> str:
        return self.obj.get("metadata", {}).get("name", "")

    def namespace(self, default: str) -> str | None:
        """The namespace the object goes to (None for cluster-scoped types)."""
        if not self.rt.namespaced:
            return None
        return self.obj.get("metadata", {}).get("namespace") or default


def manifest_files(path: str, recursive: bool = False) -> list[Path]:
    """The files one `-f` argument names."""
    p = Path(path)
    if p.is_dir():
        pattern = "**/*" if recursive else "*"
        return sorted(f for f in p.glob(pattern) if f.is_file() and f.suffix in MANIFEST_SUFFIXES)
    if not p.exists():
        raise CliError(f'error: the path "{path}" does not exist')
    return [p]


def parse_documents(text: str, source: str) -> list[dict[str, Any]]:
    """All non-empty documents of one YAML (or JSON) stream, `kind: List` unpacked."""
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as err:
        raise CliError(f"error: error parsing {source}: {yaml_problem(err)}") from None
    objects: list[dict[str, Any]] = []
    for doc in documents:
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise CliError(f"error: error parsing {source}: a manifest must be a mapping, "
                           f"not {type(doc).__name__}")
        if doc.get("kind") == "List" and isinstance(doc.get("items"), list):
            objects.extend(item for item in doc["items"] if item)
        else:
            objects.append(doc)
    return objects


def to_manifest(obj: dict[str, Any], source: str) -> Manifest:
    """Check what kubectl checks before sending: a type it can find, and a name."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not kind:
        raise CliError(f'error: unable to decode "{source}": Object \'Kind\' is missing in '
                       f"'{json.dumps(obj, separators=(',', ':'))}'")
    rt = by_kind(str(api_version or ""), str(kind))
    if rt is None:
        raise CliError(f'error: unable to recognize "{source}": no matches for kind "{kind}" '
                       f'in version "{api_version or ""}"')
    if not isinstance(obj.get("metadata"), dict):
        obj["metadata"] = {}
    return Manifest(source, obj, rt)


def read_manifests(paths: Iterable[str], recursive: bool = False, stdin: TextIO | None = None) -> list[Manifest]:
    """Every object named by the `-f` arguments, in order."""
    manifests: list[Manifest] = []
    for path in paths:
        if path == STDIN:
            sources = [("STDIN", (stdin or sys.stdin).read())]
        else:
            sources = [(str(f), _read_text(f)) for f in manifest_files(path, recursive)]
        for source, text in sources:
            manifests.extend(to_manifest(obj, source) for obj in parse_documents(text, source))
    if not manifests:
        raise CliError("error: no objects passed to apply" if paths else "error: must specify -f")
    return manifests


def _read_text(path: Path) -> str:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise CliError(f"error: error reading {path}: {err}") from None


def yaml_problem(err: yaml.YAMLError) -> str:
    """kubectl's wording: `error converting YAML to JSON: yaml: line 2: <problem>`."""
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or " ".join(str(err).split())
    where = f"line {mark.line + 1}: " if mark is not None else ""
    return f"error converting YAML to JSON: yaml: {where}{problem}"
