"""kubectl 1.20's dry-run check reads the protobuf OpenAPI: the dryRun parameter must survive it."""
from __future__ import annotations

import yaml

from apiserver import openapi, openapi_gnostic


def test_every_patchable_kind_has_dry_run_on_its_patch_operation_in_the_protobuf_form() -> None:
    body, _, _ = openapi.encoded("v1.33.0", True)
    doc = openapi_gnostic.Document()
    doc.ParseFromString(body)
    found = {}
    for named in doc.paths.path:
        patch = named.value.patch
        gvk = {e.name: yaml.safe_load(e.value.yaml) for e in patch.vendor_extension}
        if "x-kubernetes-group-version-kind" not in gvk:
            continue
        names = [p.parameter.non_body_parameter.query_parameter_sub_schema.name for p in patch.parameters]
        kind = gvk["x-kubernetes-group-version-kind"]
        found[(kind["group"], kind["version"], kind["kind"])] = "dryRun" in names
    assert found[("apps", "v1", "Deployment")] and found[("", "v1", "ConfigMap")]
    assert all(found.values())
