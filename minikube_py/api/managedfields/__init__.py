"""Server-side apply and managedFields: Kubernetes' structured-merge-diff (SMD), in Python.

Every write records who set which field in `metadata.managedFields`:

- fieldpath.py  field sets (SMD's fieldpath.Set) and their FieldsV1 encoding
                (`f:name`, `k:{"name":"web"}`, `v:"value"`, `.` for "this node itself");
- schema.py     what SMD needs from a type's schema: which lists are atomic,
                sets, or maps keyed by fields (reusing the strategic-merge table);
- typed.py      walks of typed values: an object's field set, what changed between
                two objects, merging an apply configuration into the live object,
                and removing fields;
- manager.py    the field manager: Update and Apply operations, conflicts (409),
                --force-conflicts, removal of fields an applier stops applying, and
                the migration from client-side apply.
"""
from .manager import FieldManager, apply_conflict

__all__ = ["FieldManager", "apply_conflict"]
