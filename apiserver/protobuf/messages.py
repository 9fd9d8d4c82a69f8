"""Protobuf message classes made from the schema table (no generated code, no .proto files).

The protobuf library parses and writes the wire format (varints, length-delimited
fields, maps as repeated key=1/value=2 entries) once it has a descriptor of each
message. We build those descriptors at import time from schema.MESSAGES: one
proto2 file (proto2 keeps "was this field on the wire" for every single field,
which Kubernetes' encoding relies on) whose message names are the table's with
dots turned into underscores (`core.v1.Pod` -> `k8s.core_v1_Pod`).
"""
from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message

from .schema import MESSAGES

FieldProto = descriptor_pb2.FieldDescriptorProto
PACKAGE = "k8s"
SCALAR_TYPES = {
    "string": FieldProto.TYPE_STRING, "bytes": FieldProto.TYPE_BYTES, "bool": FieldProto.TYPE_BOOL,
    "int32": FieldProto.TYPE_INT32, "int64": FieldProto.TYPE_INT64, "uint32": FieldProto.TYPE_UINT32,
    "uint64": FieldProto.TYPE_UINT64, "double": FieldProto.TYPE_DOUBLE, "float": FieldProto.TYPE_FLOAT,
    "fixed64": FieldProto.TYPE_FIXED64,
}


def proto_name(name: str) -> str:
    return name.replace(".", "_")


def _set_type(field: descriptor_pb2.FieldDescriptorProto, type_name: str) -> None:
    if type_name in SCALAR_TYPES:
        field.type = SCALAR_TYPES[type_name]
    else:
        field.type, field.type_name = FieldProto.TYPE_MESSAGE, f".{PACKAGE}.{proto_name(type_name)}"


def _file_descriptor() -> descriptor_pb2.FileDescriptorProto:
    file = descriptor_pb2.FileDescriptorProto(name="minikube_py/kubernetes.proto", package=PACKAGE,
                                              syntax="proto2")
    for name, fields in MESSAGES.items():
        message = file.message_type.add(name=proto_name(name))
        for number, (_json_name, type_name, shape) in fields.items():
            field_name = f"f{number}"      # JSON names may clash with Python keywords; numbers cannot
            field = message.field.add(name=field_name, number=number,
                                      label=FieldProto.LABEL_REPEATED if shape in ("list", "map")
                                      else FieldProto.LABEL_OPTIONAL)
            if shape == "map":         # map<string, T>: a nested entry message marked map_entry
                entry = message.nested_type.add(name=f"F{number}Entry")
                entry.options.map_entry = True
                entry.field.add(name="key", number=1, label=FieldProto.LABEL_OPTIONAL,
                                type=FieldProto.TYPE_STRING)
                _set_type(entry.field.add(name="value", number=2, label=FieldProto.LABEL_OPTIONAL), type_name)
                field.type = FieldProto.TYPE_MESSAGE
                field.type_name = f".{PACKAGE}.{proto_name(name)}.F{number}Entry"
            else:
                _set_type(field, type_name)
    return file


_POOL = descriptor_pool.DescriptorPool()    # our own pool: no clash with any other Kubernetes .proto
_POOL.Add(_file_descriptor())
CLASSES: dict[str, type[Message]] = {
    name: message_factory.GetMessageClass(_POOL.FindMessageTypeByName(f"{PACKAGE}.{proto_name(name)}"))
    for name in MESSAGES}
