"""Kubernetes' protobuf wire encoding, for request bodies (kubectl >= 1.32 sends typed creates so).

    schema.py     the fact table: every message's field numbers, JSON names and shapes
                  (generated from Kubernetes' generated.proto files by scripts/gen_protobuf_schema.py)
    messages.py   protobuf library message classes built from that table
    decode.py     the `k8s\\0` + runtime.Unknown envelope, and message -> JSON dict
    encode.py     JSON dict -> protobuf body, with the protobuf library (what clients do)
    negotiation.py  which response types a client accepts (we answer JSON)
"""
from .decode import decode_protobuf
from .encode import encode_protobuf
from .negotiation import PROTOBUF, check_acceptable

__all__ = ["PROTOBUF", "check_acceptable", "decode_protobuf", "encode_protobuf"]
