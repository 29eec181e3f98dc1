"""safetensors checkpoints with NumPy only (no torch, no safetensors package):
an 8-byte little-endian header length, a JSON header naming each tensor's
dtype, shape and byte range (and a "__metadata__" of strings), then the raw
data. Used by bench/'s PyTorch scripts and the tests under test/training that
read and write dnnc's checkpoints (runtime/Safetensors.cpp)."""

import json

import numpy as np

_DTYPES = {"F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8", "F16": "<f2"}


def read_safetensors(path):
    """Returns ({name: array}, metadata dict) of the checkpoint at `path`."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (header_len,) = np.frombuffer(blob[:8], dtype="<u8")
    header_len = int(header_len)
    if 8 + header_len > len(blob):
        raise ValueError(f"{path}: header length {header_len} past the end of the file")
    header = json.loads(blob[8:8 + header_len].decode("utf-8"))
    data = memoryview(blob)[8 + header_len:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(entry["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor '{name}' has unsupported dtype {entry['dtype']}")
        begin, end = entry["data_offsets"]
        shape = tuple(entry["shape"])
        array = np.frombuffer(data[begin:end], dtype=dtype)
        if array.size != int(np.prod(shape, dtype=np.int64)):
            raise ValueError(f"{path}: tensor '{name}' has {array.size} values for shape {shape}")
        tensors[name] = array.reshape(shape).copy()
    return tensors, header.get("__metadata__", {})


def write_safetensors(path, tensors):
    """Writes {name: array} as F32 tensors, the data 8-byte aligned."""
    header, chunks, offset = {}, [], 0
    for name, array in tensors.items():
        raw = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(np.shape(array)),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(np.array([len(text)], dtype="<u8").tobytes())
        f.write(text)
        f.writelines(chunks)
