"""The protobuf encoding of the OpenAPI v2 document, as kubectl reads it.

kubectl (client-go's discovery client) fetches /openapi/v2 with
`Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf` and
decodes the body as gnostic's `openapi.v2.Document` message
(github.com/google/gnostic, openapiv2/OpenAPIv2.proto). In that model JSON
objects become lists of (name, value) pairs (`NamedSchema`, `NamedAny`) and
vendor extensions (`x-kubernetes-...`) carry their value as a YAML string.

We do not need gnostic's generated code: the subset of its messages we use is
declared below as data (field names, numbers and types copied from
OpenAPIv2.proto), turned into a protobuf descriptor at import time, and
filled in from the JSON document.
"""
from __future__ import annotations

from typing import Any

import yaml
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message

_STRING = descriptor_pb2.FieldDescriptorProto.TYPE_STRING
_BOOL = descriptor_pb2.FieldDescriptorProto.TYPE_BOOL
_MESSAGE = descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE
_OPTIONAL = descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL
_REPEATED = descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED

PACKAGE = "openapi.v2"

# message -> [(field, number, type, repeated)]; a type that is not a scalar is a message name.
# Only the fields we fill in are declared; numbers are gnostic's.
MESSAGES: dict[str, list[tuple[str, int, Any, bool]]] = {
    "Document": [("swagger", 1, _STRING, False), ("info", 2, "Info", False),
                 ("paths", 8, "Paths", False), ("definitions", 9, "Definitions", False)],
    "Info": [("title", 1, _STRING, False), ("version", 2, _STRING, False)],
    "Paths": [("vendor_extension", 1, "NamedAny", True), ("path", 2, "NamedPathItem", True)],
    "NamedPathItem": [("name", 1, _STRING, False), ("value", 2, "PathItem", False)],
    "PathItem": [("get", 2, "Operation", False), ("put", 3, "Operation", False), ("post", 4, "Operation", False),
                 ("delete", 5, "Operation", False), ("patch", 8, "Operation", False),
                 ("parameters", 9, "ParametersItem", True)],
    "Operation": [("tags", 1, _STRING, True), ("description", 3, _STRING, False),
                  ("operation_id", 5, _STRING, False), ("produces", 6, _STRING, True),
                  ("consumes", 7, _STRING, True), ("parameters", 8, "ParametersItem", True),
                  ("vendor_extension", 13, "NamedAny", True)],
    "ParametersItem": [("parameter", 1, "Parameter", False)],
    "Parameter": [("body_parameter", 1, "BodyParameter", False), ("non_body_parameter", 2, "NonBodyParameter", False)],
    "BodyParameter": [("description", 1, _STRING, False), ("name", 2, _STRING, False), ("in", 3, _STRING, False),
                      ("required", 4, _BOOL, False), ("schema", 5, "Schema", False)],
    "NonBodyParameter": [("query_parameter_sub_schema", 3, "QueryParameterSubSchema", False),
                         ("path_parameter_sub_schema", 4, "PathParameterSubSchema", False)],
    "QueryParameterSubSchema": [("required", 1, _BOOL, False), ("in", 2, _STRING, False),
                                ("description", 3, _STRING, False), ("name", 4, _STRING, False),
                                ("type", 6, _STRING, False), ("unique_items", 20, _BOOL, False)],
    "PathParameterSubSchema": [("required", 1, _BOOL, False), ("in", 2, _STRING, False),
                               ("description", 3, _STRING, False), ("name", 4, _STRING, False),
                               ("type", 5, _STRING, False), ("unique_items", 19, _BOOL, False)],
    "Definitions": [("additional_properties", 1, "NamedSchema", True)],
    "NamedSchema": [("name", 1, _STRING, False), ("value", 2, "Schema", False)],
    "Schema": [("_ref", 1, _STRING, False), ("format", 2, _STRING, False),
               ("title", 3, _STRING, False), ("description", 4, _STRING, False),
               ("required", 19, _STRING, True),
               ("additional_properties", 21, "AdditionalPropertiesItem", False),
               ("type", 22, "TypeItem", False), ("items", 23, "ItemsItem", False),
               ("properties", 25, "Properties", False), ("read_only", 27, _BOOL, False),
               ("vendor_extension", 31, "NamedAny", True)],
    "AdditionalPropertiesItem": [("schema", 1, "Schema", False), ("boolean", 2, _BOOL, False)],
    "TypeItem": [("value", 1, _STRING, True)],
    "ItemsItem": [("schema", 1, "Schema", True)],
    "Properties": [("additional_properties", 1, "NamedSchema", True)],
    "NamedAny": [("name", 1, _STRING, False), ("value", 2, "Any", False)],
    "Any": [("yaml", 2, _STRING, False)],     # field 1 (a google.protobuf.Any) is never used
}


def _file_descriptor() -> descriptor_pb2.FileDescriptorProto:
    file = descriptor_pb2.FileDescriptorProto(name="minikube_py/OpenAPIv2.proto", package=PACKAGE,
                                              syntax="proto3")
    for message_name, fields in MESSAGES.items():
        message = file.message_type.add(name=message_name)
        for name, number, field_type, repeated in fields:
            field = message.field.add(name=name, number=number, label=_REPEATED if repeated else _OPTIONAL)
            if isinstance(field_type, str):
                field.type, field.type_name = _MESSAGE, f".{PACKAGE}.{field_type}"
            else:
                field.type = field_type
    return file


_POOL = descriptor_pool.DescriptorPool()    # our own pool: no clash with any other OpenAPIv2.proto
_POOL.Add(_file_descriptor())


def message_class(name: str) -> type[Message]:
    return message_factory.GetMessageClass(_POOL.FindMessageTypeByName(f"{PACKAGE}.{name}"))


Document = message_class("Document")


# --------------------------------------------------------------------------
# JSON document -> protobuf
# --------------------------------------------------------------------------


def vendor_extension_yaml(value: Any) -> str:
    """gnostic keeps an extension's value as YAML text; kube-openapi parses it back with yaml.v2."""
    return yaml.safe_dump(value, default_flow_style=False).removesuffix("...\n")


def fill_schema(message: Message, schema: dict[str, Any]) -> None:
    if "$ref" in schema:
        message._ref = schema["$ref"]
    for key in ("format", "title", "description"):
        if key in schema:
            setattr(message, key, schema[key])
    message.required.extend(schema.get("required", []))
    if "type" in schema:
        message.type.value.append(schema["type"])
    if "items" in schema:
        fill_schema(message.items.schema.add(), schema["items"])
    additional = schema.get("additionalProperties")
    if isinstance(additional, dict):
        fill_schema(message.additional_properties.schema, additional)
    elif isinstance(additional, bool):
        message.additional_properties.boolean = additional
    if "properties" in schema:
        message.properties.SetInParent()     # present even when empty: that makes it a "kind"
        for name, sub in schema["properties"].items():
            named = message.properties.additional_properties.add(name=name)
            fill_schema(named.value, sub)
    if schema.get("readOnly"):
        message.read_only = True
    for key, value in schema.items():
        if key.startswith("x-"):
            message.vendor_extension.add(name=key).value.yaml = vendor_extension_yaml(value)


_OPERATIONS = ("get", "put", "post", "delete", "patch")
# a non-body parameter's "in" -> its sub-schema field in NonBodyParameter
_NON_BODY = {"query": "query_parameter_sub_schema", "path": "path_parameter_sub_schema"}


def fill_parameter(item: Message, parameter: dict[str, Any]) -> None:
    """One entry of `parameters`. kubectl 1.20 looks for a query parameter named
    `dryRun` on a path's PATCH operation to decide whether the server supports
    server-side dry run (its dryRunVerifier), so these must survive the encoding."""
    where = parameter.get("in", "")
    if where == "body":
        body = item.parameter.body_parameter
        for key in ("description", "name", "in", "required"):
            if key in parameter:
                setattr(body, key, parameter[key])
        fill_schema(body.schema, parameter.get("schema") or {})
        return
    if where not in _NON_BODY:
        return
    sub = getattr(item.parameter.non_body_parameter, _NON_BODY[where])
    for key, attribute in (("required", "required"), ("in", "in"), ("description", "description"),
                           ("name", "name"), ("type", "type"), ("uniqueItems", "unique_items")):
        if key in parameter:
            setattr(sub, attribute, parameter[key])


def fill_operation(message: Message, operation: dict[str, Any]) -> None:
    message.tags.extend(operation.get("tags", []))
    for key, attribute in (("description", "description"), ("operationId", "operation_id")):
        if key in operation:
            setattr(message, attribute, operation[key])
    message.produces.extend(operation.get("produces", []))
    message.consumes.extend(operation.get("consumes", []))
    for parameter in operation.get("parameters", []):
        fill_parameter(message.parameters.add(), parameter)
    for key, value in operation.items():
        if key.startswith("x-"):
            message.vendor_extension.add(name=key).value.yaml = vendor_extension_yaml(value)


def fill_paths(message: Message, paths: dict[str, Any]) -> None:
    for path, item in paths.items():
        value = message.path.add(name=path).value
        for verb in _OPERATIONS:
            if verb in item:
                fill_operation(getattr(value, verb), item[verb])
        for parameter in item.get("parameters", []):
            fill_parameter(value.parameters.add(), parameter)


def to_protobuf(document: dict[str, Any]) -> bytes:
    doc = Document(swagger=document["swagger"])
    doc.info.title = document["info"]["title"]
    doc.info.version = document["info"]["version"]
    doc.paths.SetInParent()
    fill_paths(doc.paths, document.get("paths") or {})
    for name, schema in document["definitions"].items():
        fill_schema(doc.definitions.additional_properties.add(name=name).value, schema)
    return doc.SerializeToString()
