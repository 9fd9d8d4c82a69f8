"""Pod volumes and container volume mounts, as Kubernetes' ValidateVolumes does it.

A volume is a name plus exactly one source. We serve the sources a one-node
agent can provide: emptyDir, hostPath, configMap, secret, downwardAPI,
projected and persistentVolumeClaim. Kubernetes' other (cloud and network
storage) sources are recognised and refused with a clear message instead of
being silently dropped. Containers then mount volumes by name.
"""
from __future__ import annotations

import posixpath
from typing import Any

from .downward import METADATA_FIELD_PATHS, validate_object_field_selector, validate_resource_field_selector
from .field import Cause, child, duplicate, forbidden, invalid, not_found, one_of, required
from .names import check, config_key_problems, dns1123_label_problems, dns1123_subdomain_problems
from .resources import nonnegative_quantity_errors
from .shapes import fields_set, get_bool, get_int, get_list, get_object, get_required_str, get_str, objects_in

SUPPORTED_SOURCES = ("emptyDir", "hostPath", "configMap", "secret", "downwardAPI", "projected",
                     "persistentVolumeClaim")
OTHER_KUBERNETES_SOURCES = ("awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "csi",
                            "ephemeral", "fc", "flexVolume", "flocker", "gcePersistentDisk", "gitRepo",
                            "glusterfs", "image", "iscsi", "nfs", "photonPersistentDisk", "portworxVolume",
                            "quobyte", "rbd", "scaleIO", "storageos", "vsphereVolume")
HOST_PATH_TYPES = ("", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice",
                   "BlockDevice")
STORAGE_MEDIA = ("", "Memory")
PROJECTED_SOURCES = ("secret", "configMap", "downwardAPI", "serviceAccountToken")
MAX_FILE_MODE = 0o777


def validate_volumes(spec: dict[str, Any], path: str) -> tuple[list[Cause], set[str]]:
    """Validate spec.volumes; also return the volume names, for the mounts to refer to."""
    errs: list[Cause] = []
    names: set[str] = set()
    volumes_path = child(path, "volumes")
    for volume_path, volume in objects_in(get_list(spec, "volumes", path, errs), volumes_path, errs):
        name = volume.get("name")
        errs += check(child(volume_path, "name"), name, dns1123_label_problems, required_value=True)
        if isinstance(name, str) and name:
            if name in names:
                errs.append(duplicate(child(volume_path, "name"), name))
            names.add(name)
        errs += _validate_source(volume, volume_path)
    return errs, names


def _validate_source(volume: dict[str, Any], path: str) -> list[Cause]:
    sources = fields_set(volume, SUPPORTED_SOURCES + OTHER_KUBERNETES_SOURCES)
    if not sources:
        return [required(path, "must specify a volume type")]
    errs = [forbidden(child(path, extra), "may not specify more than 1 volume type") for extra in sources[1:]]
    source = sources[0]
    if source in OTHER_KUBERNETES_SOURCES:
        return errs + [forbidden(child(path, source), "volume type is not supported by minikube-py "
                                 f"(supported: {', '.join(SUPPORTED_SOURCES)})")]
    return errs + _SOURCE_VALIDATORS[source](get_object(volume, source, path, errs), child(path, source))


def _validate_empty_dir(source: dict[str, Any], path: str) -> list[Cause]:
    errs: list[Cause] = []
    errs += one_of(child(path, "medium"), get_str(source, "medium", path, errs), STORAGE_MEDIA)
    if source.get("sizeLimit") is not None:
        errs += nonnegative_quantity_errors(child(path, "sizeLimit"), source["sizeLimit"])[0]
    return errs


def _validate_host_path(source: dict[str, Any], path: str) -> list[Cause]:
    errs: list[Cause] = []
    host_path = get_required_str(source, "path", path, errs)
    if host_path is not None and ".." in host_path.split("/"):
        errs.append(invalid(child(path, "path"), host_path, "must not contain '..'"))
    return errs + one_of(child(path, "type"), get_str(source, "type", path, errs), HOST_PATH_TYPES)


def _validate_config_map(source: dict[str, Any], path: str) -> list[Cause]:
    return (check(child(path, "name"), source.get("name"), dns1123_subdomain_problems, required_value=True)
            + _validate_key_files(source, path))


def _validate_secret(source: dict[str, Any], path: str) -> list[Cause]:
    return (check(child(path, "secretName"), source.get("secretName"), dns1123_subdomain_problems,
                  required_value=True)
            + _validate_key_files(source, path))


def _validate_key_files(source: dict[str, Any], path: str) -> list[Cause]:
    """`items` of a configMap or secret volume: which key goes to which file."""
    errs: list[Cause] = []
    get_bool(source, "optional", path, errs)
    errs += file_mode_errors(source, "defaultMode", path)
    items_path = child(path, "items")
    for item_path, item in objects_in(get_list(source, "items", path, errs), items_path, errs):
        errs += check(child(item_path, "key"), item.get("key"), config_key_problems, required_value=True)
        errs += relative_path_errors(child(item_path, "path"), item.get("path"), required_value=True)
        errs += file_mode_errors(item, "mode", item_path)
    return errs


def _validate_downward_api(source: dict[str, Any], path: str) -> list[Cause]:
    errs = file_mode_errors(source, "defaultMode", path)
    items_path = child(path, "items")
    for item_path, item in objects_in(get_list(source, "items", path, errs), items_path, errs):
        errs += relative_path_errors(child(item_path, "path"), item.get("path"), required_value=True)
        errs += file_mode_errors(item, "mode", item_path)
        refs = fields_set(item, ("fieldRef", "resourceFieldRef"))
        if not refs:
            errs.append(required(item_path, "one of fieldRef and resourceFieldRef is required"))
        elif len(refs) > 1:
            errs.append(invalid(item_path, "resource", "fieldRef and resourceFieldRef can not be specified "
                                                       "simultaneously"))
        elif refs == ["fieldRef"]:
            errs += validate_object_field_selector(get_object(item, "fieldRef", item_path, errs),
                                                   child(item_path, "fieldRef"), METADATA_FIELD_PATHS)
        else:
            errs += validate_resource_field_selector(get_object(item, "resourceFieldRef", item_path, errs),
                                                     child(item_path, "resourceFieldRef"), container_required=True)
    return errs


def _validate_projected(source: dict[str, Any], path: str) -> list[Cause]:
    errs = file_mode_errors(source, "defaultMode", path)
    sources_path = child(path, "sources")
    for part_path, part in objects_in(get_list(source, "sources", path, errs), sources_path, errs):
        kinds = fields_set(part, PROJECTED_SOURCES)
        if not kinds:
            errs.append(required(part_path, "must specify one volume type per source"))
            continue
        errs += [forbidden(child(part_path, extra), "may not specify more than 1 volume type per source")
                 for extra in kinds[1:]]
        projection = get_object(part, kinds[0], part_path, errs)
        errs += _PROJECTION_VALIDATORS[kinds[0]](projection, child(part_path, kinds[0]))
    return errs


def _validate_token_projection(source: dict[str, Any], path: str) -> list[Cause]:
    errs: list[Cause] = []
    get_str(source, "audience", path, errs)
    errs += relative_path_errors(child(path, "path"), source.get("path"), required_value=True)
    expiration = get_int(source, "expirationSeconds", path, errs, bits=64)
    if expiration is not None and expiration < 600:
        errs.append(invalid(child(path, "expirationSeconds"), expiration,
                            "may not specify a duration less than 10 minutes"))
    return errs


def _validate_claim(source: dict[str, Any], path: str) -> list[Cause]:
    errs: list[Cause] = []
    get_required_str(source, "claimName", path, errs)
    get_bool(source, "readOnly", path, errs)
    return errs


def file_mode_errors(parent: dict[str, Any], name: str, path: str) -> list[Cause]:
    """File permission bits (defaultMode, mode): 0 to 0777."""
    errs: list[Cause] = []
    mode = get_int(parent, name, path, errs)
    if mode is not None and not 0 <= mode <= MAX_FILE_MODE:
        errs.append(invalid(child(path, name), mode, "must be a number between 0 and 0777 (octal), both inclusive"))
    return errs


def relative_path_errors(path: str, value: Any, *, required_value: bool = False) -> list[Cause]:
    """A path inside a volume: relative, and never climbing out of it with '..'."""
    if value is None or value == "":
        return [required(path)] if required_value else []
    if not isinstance(value, str):
        return [invalid(path, value, "must be a string")]
    if posixpath.isabs(value):
        return [invalid(path, value, "must be a relative path")]
    if ".." in value.split("/"):
        return [invalid(path, value, "must not contain '..'")]
    return []


_SOURCE_VALIDATORS = {
    "emptyDir": _validate_empty_dir,
    "hostPath": _validate_host_path,
    "configMap": _validate_config_map,
    "secret": _validate_secret,
    "downwardAPI": _validate_downward_api,
    "projected": _validate_projected,
    "persistentVolumeClaim": _validate_claim,
}
_PROJECTION_VALIDATORS = {
    "secret": _validate_config_map,          # a projected secret is named by `name`, like a configMap
    "configMap": _validate_config_map,
    "downwardAPI": _validate_downward_api,
    "serviceAccountToken": _validate_token_projection,
}


def validate_volume_mounts(container: dict[str, Any], path: str, volume_names: set[str]) -> list[Cause]:
    """Each mount names a pod volume and a unique absolute mountPath."""
    errs: list[Cause] = []
    mount_paths: set[str] = set()
    mounts_path = child(path, "volumeMounts")
    for item_path, mount in objects_in(get_list(container, "volumeMounts", path, errs), mounts_path, errs):
        name = get_required_str(mount, "name", item_path, errs)
        if name is not None and name not in volume_names:
            errs.append(not_found(child(item_path, "name"), name))
        target = get_required_str(mount, "mountPath", item_path, errs)
        if target is not None:
            if target in mount_paths:
                errs.append(invalid(child(item_path, "mountPath"), target, "must be unique"))
            mount_paths.add(target)
        get_bool(mount, "readOnly", item_path, errs)
        errs += relative_path_errors(child(item_path, "subPath"), mount.get("subPath"))
    return errs

