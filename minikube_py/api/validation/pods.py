"""Pods and pod templates, as Kubernetes' ValidatePodSpec and ValidatePodUpdate do it.

A PodSpec is validated the same way wherever it appears: in a Pod, and as
`spec.template.spec` of a Deployment, ReplicaSet, DaemonSet or Job. A running
pod is nearly immutable: an update may only change container images,
activeDeadlineSeconds (downwards), and add tolerations. Anything else needs a
new pod, which is why workloads replace pods instead of editing them.
"""
from __future__ import annotations

from typing import Any

from .containers import validate_all_containers
from .field import Cause, at_least, child, forbidden, in_range, invalid, required, required_one_of
from .meta import validate_annotations, validate_labels
from .names import check, dns1123_label_problems, dns1123_subdomain_problems
from .network import ip_errors
from .scheduling import validate_affinity, validate_tolerations
from .security import validate_pod_security_context
from .shapes import get_bool, get_int, get_list, get_object, get_str, objects_in, strings_in
from .volumes import validate_volumes

RESTART_POLICIES = ("Always", "OnFailure", "Never")
DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
SPEC_FLAGS = ("hostNetwork", "hostPID", "hostIPC", "shareProcessNamespace", "enableServiceLinks",
              "automountServiceAccountToken")
SUBDOMAIN_NAMED = ("nodeName", "serviceAccountName", "priorityClassName", "schedulerName")
LABEL_NAMED = ("hostname", "subdomain")
MAX_DNS_NAMESERVERS = 3
MAX_DNS_SEARCH_PATHS = 32
MAX_INT32 = 2**31 - 1

UPDATABLE_FIELDS_MESSAGE = (
    "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
    "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)")


def validate_pod(pod: dict[str, Any]) -> list[Cause]:
    errs: list[Cause] = []
    return errs + validate_pod_spec(get_object(pod, "spec", "", errs), "spec")


def validate_pod_template(owner_spec: dict[str, Any], path: str) -> list[Cause]:
    """`template` of a workload: labels, annotations and a PodSpec (no name: pods get generated names)."""
    errs: list[Cause] = []
    template_path = child(path, "template")
    template = get_object(owner_spec, "template", path, errs)
    if owner_spec.get("template") is None:
        return errs + [required(template_path)]
    metadata_path = child(template_path, "metadata")
    metadata = get_object(template, "metadata", template_path, errs)
    errs += validate_labels(metadata.get("labels"), child(metadata_path, "labels"))
    errs += validate_annotations(metadata.get("annotations"), child(metadata_path, "annotations"))
    return errs + validate_pod_spec(get_object(template, "spec", template_path, errs), child(template_path, "spec"))


def validate_pod_spec(spec: dict[str, Any], path: str) -> list[Cause]:
    errs, volume_names = validate_volumes(spec, path)
    errs += validate_all_containers(spec, path, volume_names)
    errs += required_one_of(child(path, "restartPolicy"), spec.get("restartPolicy"), RESTART_POLICIES)
    errs += _validate_dns(spec, path)
    errs += validate_labels(spec.get("nodeSelector"), child(path, "nodeSelector"))
    errs += validate_tolerations(spec, path)
    errs += validate_affinity(spec, path)
    errs += validate_pod_security_context(spec, path)
    for name in SUBDOMAIN_NAMED:
        errs += check(child(path, name), spec.get(name), dns1123_subdomain_problems)
    for name in LABEL_NAMED:
        errs += check(child(path, name), spec.get(name), dns1123_label_problems)
    for flag in SPEC_FLAGS:
        get_bool(spec, flag, path, errs)
    errs += at_least(child(path, "terminationGracePeriodSeconds"),
                     get_int(spec, "terminationGracePeriodSeconds", path, errs, bits=64), 0)
    errs += in_range(child(path, "activeDeadlineSeconds"),
                     get_int(spec, "activeDeadlineSeconds", path, errs, bits=64), 1, MAX_INT32)
    get_int(spec, "priority", path, errs)
    secrets_path = child(path, "imagePullSecrets")
    for item_path, secret in objects_in(get_list(spec, "imagePullSecrets", path, errs), secrets_path, errs):
        errs += check(child(item_path, "name"), secret.get("name"), dns1123_subdomain_problems)
    return errs


def _validate_dns(spec: dict[str, Any], path: str) -> list[Cause]:
    errs = required_one_of(child(path, "dnsPolicy"), spec.get("dnsPolicy"), DNS_POLICIES)
    config_path = child(path, "dnsConfig")
    config = get_object(spec, "dnsConfig", path, errs)
    nameservers = get_list(config, "nameservers", config_path, errs)
    if spec.get("dnsPolicy") == "None":
        if spec.get("dnsConfig") is None:
            return errs + [required(config_path, "must provide `dnsConfig` when `dnsPolicy` is None")]
        if not nameservers:
            errs.append(required(child(config_path, "nameservers"),
                                 "must provide at least one DNS nameserver when `dnsPolicy` is None"))
    nameservers_path = child(config_path, "nameservers")
    if len(nameservers) > MAX_DNS_NAMESERVERS:
        errs.append(invalid(nameservers_path, nameservers,
                            f"must not have more than {MAX_DNS_NAMESERVERS} nameservers"))
    for item_path, nameserver in strings_in(nameservers, nameservers_path, errs):
        errs += ip_errors(item_path, nameserver, required_value=True)
    searches_path = child(config_path, "searches")
    searches = get_list(config, "searches", config_path, errs)
    if len(searches) > MAX_DNS_SEARCH_PATHS:
        errs.append(invalid(searches_path, searches, f"must not have more than {MAX_DNS_SEARCH_PATHS} search paths"))
    for item_path, search in strings_in(searches, searches_path, errs):
        errs += check(item_path, search.removesuffix("."), dns1123_subdomain_problems)
    options_path = child(config_path, "options")
    for item_path, option in objects_in(get_list(config, "options", config_path, errs), options_path, errs):
        if not get_str(option, "name", item_path, errs):
            errs.append(required(child(item_path, "name"), "must not be empty"))
        get_str(option, "value", item_path, errs)
    return errs


# -- updates ----------------------------------------------------------------------
def validate_pod_update(new: dict[str, Any], old: dict[str, Any]) -> list[Cause]:
    errs: list[Cause] = []
    new_spec, old_spec = get_object(new, "spec", "", errs), old.get("spec")
    if errs or not isinstance(old_spec, dict):
        return errs
    errs += _validate_deadline_update(new_spec, old_spec)
    errs += _validate_toleration_update(new_spec, old_spec)
    new_view, old_view = _immutable_view(new_spec), _immutable_view(old_spec)
    grace_old, grace_new = old_spec.get("terminationGracePeriodSeconds"), new_spec.get("terminationGracePeriodSeconds")
    if isinstance(grace_old, int) and grace_old < 0 and grace_new == 1:
        new_view["terminationGracePeriodSeconds"] = grace_old
    changed = sorted(name for name in set(new_view) | set(old_view) if new_view.get(name) != old_view.get(name))
    if changed:
        errs.append(forbidden("spec", UPDATABLE_FIELDS_MESSAGE + "\n  changed: " +
                              ", ".join(f"spec.{name}" for name in changed)))
    return errs


def _immutable_view(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec minus what a pod update may change (images, deadline, tolerations: checked separately)."""
    view = {name: value for name, value in spec.items() if name not in ("activeDeadlineSeconds", "tolerations")}
    for list_name in ("containers", "initContainers"):
        if isinstance(view.get(list_name), list):
            view[list_name] = [_without_image(container) for container in view[list_name]]
    return view


def _without_image(container: Any) -> Any:
    if not isinstance(container, dict):
        return container
    return {name: value for name, value in container.items() if name != "image"}


def _validate_deadline_update(new_spec: dict[str, Any], old_spec: dict[str, Any]) -> list[Cause]:
    """activeDeadlineSeconds may be set or shortened, never lengthened or removed."""
    path = "spec.activeDeadlineSeconds"
    new, old = new_spec.get("activeDeadlineSeconds"), old_spec.get("activeDeadlineSeconds")
    if not isinstance(old, int) or isinstance(old, bool):
        return []
    if new is None:
        return [invalid(path, new, "must not update from a positive integer to nil value")]
    if isinstance(new, int) and not isinstance(new, bool) and new > old:
        return [invalid(path, new, "must be less than or equal to previous value")]
    return []


def _validate_toleration_update(new_spec: dict[str, Any], old_spec: dict[str, Any]) -> list[Cause]:
    """Existing tolerations stay (only their tolerationSeconds may change); new ones may be added."""
    new, old = new_spec.get("tolerations") or [], old_spec.get("tolerations") or []
    if not isinstance(new, list) or not isinstance(old, list):
        return []
    for existing in old:
        if not any(_same_toleration(existing, candidate) for candidate in new):
            return [forbidden("spec.tolerations", "existing toleration can not be modified except its "
                                                  "tolerationSeconds")]
    return []


def _same_toleration(old: Any, new: Any) -> bool:
    if not isinstance(old, dict) or not isinstance(new, dict):
        return bool(old == new)
    ignore = {"tolerationSeconds"}
    return {k: v for k, v in old.items() if k not in ignore} == {k: v for k, v in new.items() if k not in ignore}
