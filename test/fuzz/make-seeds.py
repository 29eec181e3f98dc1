#!/usr/bin/env python3
"""Writes the seed corpora of the reader fuzz targets into DIR/{npy,safetensors,csv,idx,descriptor}:
small valid files of every form each reader accepts, and a few near misses."""
import json
import os
import struct
import sys

out = sys.argv[1]


def write(kind, name, data):
    os.makedirs(os.path.join(out, kind), exist_ok=True)
    with open(os.path.join(out, kind, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def npy(descr, shape, payload, fortran=False, version=1):
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
        descr, "True" if fortran else "False",
        "(%s)" % "".join("%d, " % d for d in shape) if len(shape) != 1 else "(%d,)" % shape[0])
    prefix = 10 if version == 1 else 12
    header += " " * ((64 - (prefix + len(header) + 1) % 64) % 64) + "\n"
    size = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + size + header.encode() + payload


write("npy", "f32-2x3", npy("<f4", (2, 3), struct.pack("<6f", *range(6))))
write("npy", "i32-4", npy("<i4", (4,), struct.pack("<4i", 0, 1, 2, -1)))
write("npy", "f32-scalar", npy("<f4", (), struct.pack("<f", 1.5)))
write("npy", "f32-empty", npy("<f4", (0, 3), b""))
write("npy", "f32-v2", npy("<f4", (3,), struct.pack("<3f", 1, 2, 3), version=2))
write("npy", "f32-fortran", npy("<f4", (2, 2), struct.pack("<4f", 1, 2, 3, 4), fortran=True))
write("npy", "f64-2", npy("<f8", (2,), struct.pack("<2d", 1, 2)))
write("npy", "big-endian", npy(">f4", (1,), struct.pack(">f", 1)))
write("npy", "short", npy("<f4", (100,), struct.pack("<2f", 1, 2)))


def safetensors(tensors, metadata=None):
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, (dtype, shape, payload) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


w = ("F32", [3, 2], struct.pack("<6f", *range(6)))
b = ("F32", [2], struct.pack("<2f", 7, 8))
write("safetensors", "valid", safetensors({"w": w, "b": b}, {"format": "pt"}))
write("safetensors", "missing-b", safetensors({"w": w}))
write("safetensors", "wrong-shape", safetensors({"w": ("F32", [2, 3], w[2]), "b": b}))
write("safetensors", "f16", safetensors({"w": ("F16", [3, 2], bytes(12)), "b": b}))

write("csv", "header-numbers", "a,b,label\n1,2,0\n3.5,-4e2,1\n")
write("csv", "string-labels", "sepal,petal,species\n5.1,1.4,setosa\n7.0,4.7,versicolor\n")
write("csv", "no-header", "1,2,3\n4,5,6\n")
write("csv", "quoted", '"x","y"\n"1","2"\n')
write("csv", "ragged", "a,b\n1,2\n3\n")
write("csv", "crlf", "a,b\r\n1,2\r\n")

write("idx", "labels", struct.pack(">IIBBB", 0x801, 3, 1, 2, 3))
write("idx", "images", struct.pack(">IIII", 0x803, 2, 2, 2) + bytes(range(8)))
write("idx", "short-images", struct.pack(">IIII", 0x803, 5, 28, 28) + bytes(10))

write("descriptor", "zeros", bytes(64))
write("descriptor", "counting", bytes(range(256)))
write("descriptor", "ones", bytes([1] * 128))
