"""ObjectMeta validation, as k8s.io/apimachinery/pkg/api/validation does it.

Every object has `metadata`: a name (or a generateName prefix the server turns
into one), a namespace for namespaced kinds, labels, annotations, finalizers
and owner references. Which grammar a name must follow depends on the kind, so
the caller passes it in (`name_syntax`).
"""
from __future__ import annotations

from typing import Any

from .field import Cause, child, forbidden, immutable, invalid, required, too_long
from .names import (
    Syntax,
    as_generate_name_prefix,
    check,
    dns1123_label_problems,
    label_value_problems,
    qualified_name_problems,
)
from .shapes import as_list, as_str_map, get_bool, get_list, get_required_str, get_str, objects_in, strings_in

TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024
# Finalizers without a domain prefix are reserved for Kubernetes itself.
STANDARD_FINALIZERS = ("kubernetes", "orphan", "foregroundDeletion")


def validate_labels(labels: Any, path: str) -> list[Cause]:
    """Label keys are qualified names, values are short label values."""
    errs: list[Cause] = []
    for label_key, value in as_str_map(labels, path, errs).items():
        errs += [invalid(path, label_key, problem) for problem in qualified_name_problems(label_key)]
        errs += [invalid(path, value, problem) for problem in label_value_problems(value)]
    return errs


def validate_annotations(annotations: Any, path: str) -> list[Cause]:
    """Annotation keys are qualified names (checked lower-cased); the whole map is capped at 256 KiB."""
    errs: list[Cause] = []
    strings = as_str_map(annotations, path, errs)
    for annotation_key in strings:
        errs += [invalid(path, annotation_key, problem)
                 for problem in qualified_name_problems(annotation_key.lower())]
    total = sum(len(k.encode()) + len(v.encode()) for k, v in strings.items())
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT))
    return errs


def validate_object_meta(meta: dict[str, Any], path: str, *, namespaced: bool, name_syntax: Syntax) -> list[Cause]:
    errs: list[Cause] = []
    errs += _validate_name(meta, path, name_syntax)
    errs += _validate_namespace(meta, path, namespaced)
    errs += validate_labels(meta.get("labels"), child(path, "labels"))
    errs += validate_annotations(meta.get("annotations"), child(path, "annotations"))
    errs += validate_finalizers(meta.get("finalizers"), child(path, "finalizers"))
    errs += _validate_owner_references(meta, path)
    return errs


def _validate_name(meta: dict[str, Any], path: str, name_syntax: Syntax) -> list[Cause]:
    errs: list[Cause] = []
    name = get_str(meta, "name", path, errs)
    generate_name = get_str(meta, "generateName", path, errs)
    if generate_name:
        errs += check(child(path, "generateName"), generate_name,
                      lambda prefix: name_syntax(as_generate_name_prefix(prefix)))
    if name:
        errs += check(child(path, "name"), name, name_syntax)
    elif not generate_name and not errs:
        errs.append(required(child(path, "name"), "name or generateName is required"))
    return errs


def _validate_namespace(meta: dict[str, Any], path: str, namespaced: bool) -> list[Cause]:
    errs: list[Cause] = []
    namespace = get_str(meta, "namespace", path, errs)
    namespace_path = child(path, "namespace")
    if not namespaced:
        return errs + ([forbidden(namespace_path, "not allowed on this type")] if namespace else [])
    if not namespace:
        return errs + ([required(namespace_path)] if not errs else [])
    return check(namespace_path, namespace, dns1123_label_problems)


def validate_finalizers(finalizers: Any, path: str) -> list[Cause]:
    """Finalizers are qualified names; only Kubernetes' own may lack a domain prefix."""
    errs: list[Cause] = []
    for item_path, finalizer in strings_in(as_list(finalizers, path, errs), path, errs):
        problems = qualified_name_problems(finalizer)
        errs += [invalid(item_path, finalizer, problem) for problem in problems]
        if not problems and "/" not in finalizer and finalizer not in STANDARD_FINALIZERS:
            errs.append(invalid(item_path, finalizer,
                                "name is neither a standard finalizer name nor is it fully qualified"))
    return errs


def _validate_owner_references(meta: dict[str, Any], path: str) -> list[Cause]:
    errs: list[Cause] = []
    refs_path = child(path, "ownerReferences")
    controllers = 0
    for ref_path, ref in objects_in(get_list(meta, "ownerReferences", path, errs), refs_path, errs):
        for name in ("apiVersion", "kind", "name", "uid"):
            get_required_str(ref, name, ref_path, errs)
        get_bool(ref, "blockOwnerDeletion", ref_path, errs)
        controllers += get_bool(ref, "controller", ref_path, errs) is True
    if controllers > 1:
        errs.append(invalid(refs_path, meta.get("ownerReferences"),
                            "Only one reference can have Controller set to true"))
    return errs


def validate_object_meta_update(new: dict[str, Any], old: dict[str, Any], path: str) -> list[Cause]:
    """Identity never changes: name, namespace, uid and creationTimestamp are fixed at create."""
    errs: list[Cause] = []
    for name in ("name", "namespace", "uid", "creationTimestamp"):
        if old.get(name) not in (None, "") and new.get(name) not in (None, ""):
            errs += immutable(child(path, name), new.get(name), old.get(name))
    return errs
