"""Pod volumes: kubelet's volume manager and its in-tree plugins, the simple ones.

Every pod gets a directory `<root>/pods/<uid>/volumes/<plugin>/<volume>` (the
same layout as /var/lib/kubelet/pods/...), bind-mounted into its containers:

    emptyDir     an empty directory, shared by the pod's containers, removed with the pod
    hostPath     a path of the node itself (type DirectoryOrCreate/FileOrCreate create it)
    configMap    one file per key (or per `items` entry), rewritten when the object changes
    secret       the same, base64-decoded, mode 0644 by default like Kubernetes' 0644 defaultMode
    downwardAPI  files from fieldRef (labels, annotations, name, namespace, uid)

configMap, secret and downwardAPI volumes are written as kubelet writes them:
each version in a timestamped directory, switched by renaming a `..data`
symlink, so a reader sees one whole version (atomic_writer.py).
"""
from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path
from typing import Any

from agent.kubelet import atomic_writer
from agent.kubelet.env import Getter, field_ref
from agent.kubelet.runtime.types import Mount

API_DATA_PLUGINS = ("configmap", "secret", "downward-api")     # the directories _project writes


class VolumeError(Exception):
    """A volume cannot be set up (kubelet's FailedMount event)."""


class VolumeManager:
    def __init__(self, root_dir: str, host_ip: str, *, hollow: bool = False) -> None:
        self.root = Path(root_dir) / "pods"
        self.host_ip = host_ip
        self.hollow = hollow          # hollow nodes pretend: no files at all

    def pod_dir(self, uid: str) -> Path:
        return self.root / uid

    async def set_up(self, pod: dict[str, Any], get: Getter) -> dict[str, str]:
        """Make every volume of the pod exist and be current; {volume name: host path}."""
        uid = pod["metadata"]["uid"]
        paths: dict[str, str] = {}
        for volume in (pod.get("spec") or {}).get("volumes") or []:
            paths[volume["name"]] = "/hollow" if self.hollow else await self._set_up_one(uid, pod, volume, get)
        return paths

    async def _set_up_one(self, uid: str, pod: dict, volume: dict, get: Getter) -> str:
        name = volume["name"]
        if "hostPath" in volume:
            return self._host_path(volume["hostPath"])
        if "emptyDir" in volume:
            return self._directory(uid, "empty-dir", name)
        if "configMap" in volume:
            source = volume["configMap"]
            data = await self._object_data(get, "configmap", source)
            return self._project(uid, "configmap", name, data, source)
        if "secret" in volume:
            source = volume["secret"]
            data = await self._object_data(get, "secret", {**source, "name": source.get("secretName")})
            return self._project(uid, "secret", name, data, source)
        if "downwardAPI" in volume:
            return self._project(uid, "downward-api", name, self._downward(pod, volume["downwardAPI"]), {})
        raise VolumeError(f"volume {name}: unsupported volume type {sorted(set(volume) - {'name'})}")

    def _directory(self, uid: str, plugin: str, name: str) -> str:
        path = self.pod_dir(uid) / "volumes" / plugin / name
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o777)     # emptyDir is world-writable, as in Kubernetes
        return str(path)

    @staticmethod
    def _host_path(source: dict[str, Any]) -> str:
        path, kind = Path(source["path"]), source.get("type", "")
        if kind == "DirectoryOrCreate":
            path.mkdir(parents=True, exist_ok=True)
        elif kind == "FileOrCreate" and not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
        elif kind in ("Directory", "File", "Socket") and not path.exists():
            raise VolumeError(f"hostPath type check failed: {path} is not a {kind}")
        return str(path)

    @staticmethod
    async def _object_data(get: Getter, kind: str, source: dict[str, Any]) -> dict[str, bytes]:
        obj = await get(kind, source.get("name", ""))
        if obj is None:
            if source.get("optional"):
                return {}
            raise VolumeError(f'{kind} "{source.get("name")}" not found')
        if kind == "secret":
            return {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
        data = {k: str(v).encode() for k, v in (obj.get("data") or {}).items()}
        data.update({k: base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()})
        return data

    def _downward(self, pod: dict[str, Any], source: dict[str, Any]) -> dict[str, bytes]:
        files = {}
        for item in source.get("items") or []:
            path = (item.get("fieldRef") or {}).get("fieldPath", "")
            if path in ("metadata.labels", "metadata.annotations"):
                values = (pod.get("metadata") or {}).get(path.split(".")[1]) or {}
                text = "\n".join(f'{k}="{v}"' for k, v in sorted(values.items()))
            else:
                text = field_ref(pod, path, None, self.host_ip)
            files[item["path"]] = text.encode()
        return files

    def _project(self, uid: str, plugin: str, name: str, data: dict[str, bytes], source: dict) -> str:
        """Write the keys as files (only `items` when given), all at once (atomic_writer.py)."""
        directory = Path(self._directory(uid, plugin, name))
        directory.chmod(0o755)
        items = source.get("items")
        files = {i["path"]: data[i["key"]] for i in items if i["key"] in data} if items else data
        atomic_writer.write(directory, files, int(source.get("defaultMode", 0o644)))
        return str(directory)

    def mounts(self, container: dict[str, Any], volume_paths: dict[str, str]) -> list[Mount]:
        mounts = []
        for mount in container.get("volumeMounts") or []:
            host = volume_paths.get(mount["name"])
            if host is None:
                raise VolumeError(f'volume "{mount["name"]}" is not defined in the pod')
            read_only = bool(mount.get("readOnly")) or self._api_data(host)
            if mount.get("subPath"):
                host = os.path.join(host, mount["subPath"])
                if not os.path.exists(host):
                    Path(host).mkdir(parents=True)
            mounts.append(Mount(host, mount["mountPath"], read_only))
        return mounts

    def _api_data(self, host: str) -> bool:
        """Is this a configMap, secret or downwardAPI volume of ours? Kubernetes mounts those
        read-only whatever the pod says (since 1.10, CVE-2017-1002102): the kubelet owns them."""
        path = Path(host)
        return path.parent.name in API_DATA_PLUGINS and self.root in path.parents

    def tear_down(self, uid: str) -> None:
        """Remove the pod's directory (emptyDir contents included); hostPath is never touched."""
        shutil.rmtree(self.pod_dir(uid), ignore_errors=True)

    def pod_dirs(self) -> list[str]:
        return [p.name for p in self.root.iterdir()] if self.root.is_dir() else []
