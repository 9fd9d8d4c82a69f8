"""The field manager: who owns which field, kept in `metadata.managedFields` on every write.

Each managedFields entry is one manager's field set with `manager`,
`operation` (Update for create/update/patch, Apply for server-side apply),
`apiVersion`, `time`, `fieldsType: FieldsV1`, `fieldsV1` and, for writes
through a subresource, `subresource`. As in Kubernetes' fieldmanager:

- Update: the writer gains the fields it added or changed; those fields
  leave every other manager (an update always wins); fields that no longer
  exist leave everyone.
- Apply: the configuration is merged into the live object. A field it
  changes that another manager owns is a conflict (409, reason Conflict,
  one FieldManagerConflict cause per field) unless `force` takes it over.
  The applier then owns exactly the fields of its configuration; a field it
  applied before and applies no more is removed from the object unless
  someone else owns it.
- Migration from client-side apply: fields owned by `kubectl-client-side-apply`
  that still hold the value of its `kubectl.kubernetes.io/last-applied-configuration`
  annotation are taken over without a conflict (applying the same values simply
  shares them); `kubectl`'s server-side apply keeps that annotation in
  sync. An object with no managedFields at all is treated as if a manager
  `before-first-apply` had written every field.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import orjson

from minikube_py.api import errors
from minikube_py.api.meta import Obj as Object
from minikube_py.api.resources import ResourceType
from minikube_py.api.times import timestamp

from . import fieldpath, typed
from .fieldpath import FieldSet
from .schema import TypeSchema, schema_for

APPLY, UPDATE = "Apply", "Update"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
CLIENT_SIDE_APPLY_MANAGER = "kubectl-client-side-apply"
BEFORE_FIRST_APPLY = "before-first-apply"
# Server-owned metadata SMD never tracks (Kubernetes' stripMeta)
UNTRACKED_METADATA = frozenset({"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
                                "selfLink", "managedFields", "deletionTimestamp", "deletionGracePeriodSeconds"})



@dataclass
class Entry:
    """One metav1.ManagedFieldsEntry."""
    manager: str
    operation: str
    api_version: str
    time: str
    fields: FieldSet
    subresource: str = ""
    touched: bool = True            # False: fields as read from storage, already in order

    def identity(self) -> tuple[str, str, str, str]:
        """Kubernetes' manager identifier: appliers are one entry whatever their apiVersion."""
        return self.manager, self.operation, "" if self.operation == APPLY else self.api_version, self.subresource

    def described(self) -> str:
        """How a conflict names the manager (printManager)."""
        if self.operation == UPDATE:
            return f"{json.dumps(self.manager)} using {self.api_version}"
        return json.dumps(self.manager)

    def encode(self) -> dict[str, Any]:
        out = {"manager": self.manager, "operation": self.operation, "apiVersion": self.api_version,
               "time": self.time, "fieldsType": "FieldsV1",
               "fieldsV1": fieldpath.sorted_set(self.fields) if self.touched else self.fields}
        if self.subresource:
            out["subresource"] = self.subresource
        return out


def decode(managed: Any) -> list[Entry]:
    """The entries of metadata.managedFields; malformed ones are dropped (they cannot be trusted)."""
    entries = []
    for raw in managed if isinstance(managed, list) else []:
        if isinstance(raw, dict) and isinstance(raw.get("manager"), str) and isinstance(raw.get("fieldsV1"), dict) \
                and raw.get("operation") in (APPLY, UPDATE):
            entries.append(Entry(raw["manager"], raw["operation"], str(raw.get("apiVersion", "")),
                                 str(raw.get("time", "")), raw["fieldsV1"], str(raw.get("subresource", "")),
                                 touched=False))
    return entries


def encode(entries: list[Entry]) -> list[dict[str, Any]]:
    """Non-empty entries in Kubernetes' order: Apply before Update, then by time and manager."""
    kept = [e for e in entries if e.fields]
    kept.sort(key=lambda e: (e.operation, e.time, e.manager, e.api_version))
    return [e.encode() for e in kept]


def apply_conflict(conflicts: list[tuple[Entry, tuple[str, ...]]]) -> errors.ApiError:
    """409 Conflict as Kubernetes' NewApplyConflict words it."""
    causes = [{"reason": "FieldManagerConflict", "message": f"conflict with {entry.described()}",
               "field": fieldpath.path_string(path)} for entry, path in conflicts]
    if len(conflicts) == 1:
        entry, path = conflicts[0]
        message = f"Apply failed with 1 conflict: conflict with {entry.described()}: {fieldpath.path_string(path)}"
    else:
        lines: list[str] = []
        for described in sorted({e.described() for e, _ in conflicts}):
            lines.append(f"conflicts with {described}:")
            lines.extend(f"- {fieldpath.path_string(p)}" for e, p in conflicts if e.described() == described)
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return errors.ApiError(409, "Conflict", message, {"causes": causes})


class FieldManager:
    """managedFields bookkeeping for one resource type."""

    def __init__(self, rt: ResourceType) -> None:
        self.rt = rt
        self.schema: TypeSchema = schema_for(rt.api_version, rt.kind)

    # -- which part of an object a write through (sub)resource manages -------
    def tracked(self, obj: Object, subresource: str = "") -> Object:
        """The fields that count: no server-owned metadata; the status only through /status
        (Kubernetes' ResetFields: the main resource does not manage the status, and back)."""
        if self.rt.has_status and subresource == "status":
            return {"status": obj["status"]} if "status" in obj else {}
        view = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
        if self.rt.has_status:
            view.pop("status", None)
        meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in UNTRACKED_METADATA}
        if meta:
            view["metadata"] = meta
        return view

    def field_set(self, obj: Object, subresource: str = "") -> FieldSet:
        return typed.field_set(self.tracked(obj, subresource), self.schema)

    # -- Update: create, update, every non-apply patch ---------------------
    def update(self, old: Object | None, new: Object, manager: str, subresource: str = "") -> None:
        """Record `manager`'s Update of `old` into `new` in new's managedFields."""
        mine = Entry(manager, UPDATE, self.rt.api_version, timestamp(), {}, subresource)
        if old is None:
            mine.fields = self.field_set(new, subresource)
            new["metadata"]["managedFields"] = encode([mine])
            return
        entries = decode(old["metadata"].get("managedFields"))
        before, current = self.tracked(old, subresource), self.tracked(new, subresource)
        removal: list[bool] = []
        gained = (typed.changed(before, current, self.schema, removed=removal) or {}) if before != current else {}
        kept = []
        for entry in entries:
            if entry.identity() == mine.identity():
                mine.fields, mine.time = entry.fields, entry.time
                continue
            fields = fieldpath.without(entry.fields, gained) if gained else entry.fields
            if removal:                     # ownership of fields that no longer exist goes
                fields = typed.existing(fields, current, self.schema)
            if fields is not entry.fields:
                entry.fields, entry.touched = fields, True
            kept.append(entry)
        if removal:
            mine.fields = typed.existing(mine.fields, current, self.schema)
        if gained:
            mine.fields, mine.time = fieldpath.union(mine.fields, gained), timestamp()
        new["metadata"]["managedFields"] = encode([*kept, mine])

    # -- Apply: server-side apply -----------------------------------------
    def apply(self, live: Object | None, config: Object, manager: str, force: bool, subresource: str = "") -> Object:
        """The object `config` applied to `live` by `manager`, with its managedFields; 409 on conflicts."""
        base = live if live is not None else {"apiVersion": config.get("apiVersion"), "kind": config.get("kind"),
                                              "metadata": {}}
        config_view = self.tracked(config, subresource)
        config_set = typed.field_set(config_view, self.schema)
        entries = decode(base["metadata"].get("managedFields")) if live is not None else []
        if live is not None and not entries:
            entries = [Entry(BEFORE_FIRST_APPLY, UPDATE, self.rt.api_version, timestamp(),
                             self.field_set(live, subresource))]
        merged: Object = typed.merge(base, config_view, self.schema)    # config_view has no server-owned metadata
        merged["metadata"] = dict(merged.get("metadata") or {})
        if live is None:
            for key in ("name", "namespace"):
                if key in (config.get("metadata") or {}):
                    merged["metadata"][key] = config["metadata"][key]
        gained = typed.changed(self.tracked(base, subresource), self.tracked(merged, subresource), self.schema) or {}
        mine = Entry(manager, APPLY, self.rt.api_version, timestamp(), config_set, subresource)
        previous = next((e for e in entries if e.identity() == mine.identity()), None)
        others = [e for e in entries if e.identity() != mine.identity()]
        conflicts = [(e, path) for e in others for path in fieldpath.members(fieldpath.intersection(e.fields, gained))]
        if conflicts and not force and not self._migrating_from_client_side_apply(live, conflicts):
            raise apply_conflict(conflicts)
        for entry in others:
            entry.fields = fieldpath.difference(entry.fields, gained)
        dropped = fieldpath.difference(previous.fields, config_set) if previous is not None else {}
        if dropped:
            merged = orjson.loads(orjson.dumps(merged))     # merge shares subtrees with live: prune a copy
            self._prune(merged, dropped, [config_set, *(e.fields for e in others)])
        current = self.tracked(merged, subresource)
        for entry in others:
            entry.fields = typed.existing(entry.fields, current, self.schema)
        if manager == "kubectl" and LAST_APPLIED in ((merged["metadata"].get("annotations")) or {}):
            merged["metadata"]["annotations"] = {**merged["metadata"]["annotations"],
                                                 LAST_APPLIED: json.dumps(config, separators=(",", ":")) + "\n"}
        merged["metadata"]["managedFields"] = encode([mine, *others])
        return merged

    def _prune(self, merged: Object, dropped: FieldSet, still_owned: list[FieldSet]) -> None:
        """Remove what the applier stopped applying, unless another set owns it or something below it."""
        for path in fieldpath.members(dropped):
            if not any(fieldpath.owns_under(owned, path) for owned in still_owned):
                typed.remove(merged, path, self.schema)

    def _migrating_from_client_side_apply(self, live: Object | None, conflicts: list[tuple[Entry, tuple[str, ...]]]
                                          ) -> bool:
        """True when every conflict is with client-side apply over a field that still holds the
        value of the `last-applied-configuration` annotation (Kubernetes' lastAppliedManager):
        the user's own earlier configuration, so the applier takes it over."""
        annotation = ((live or {}).get("metadata") or {}).get("annotations", {}).get(LAST_APPLIED)
        if not annotation or live is None:
            return False
        try:
            last_applied = self.tracked(json.loads(annotation))
        except (ValueError, TypeError, AttributeError):
            return False
        current = self.tracked(live)
        for entry, path in conflicts:
            if entry.manager != CLIENT_SIDE_APPLY_MANAGER:
                return False
            was, applied_value = typed.lookup(last_applied, path, self.schema)
            found, live_value = typed.lookup(current, path, self.schema)
            if not (was and found and applied_value == live_value):
                return False
        return True
