"""safetensors read and write in plain numpy (no `safetensors` package needed; torch 1.13 works).

The format: 8 bytes little-endian header length N, N bytes of JSON
`{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}`, then the tensors'
bytes, row-major little-endian, offsets relative to the end of the header. F32, F16 and BF16 here,
as in packages/hub/src/safetensors.ts.
"""
from __future__ import annotations

import json
import struct
from typing import Dict, Tuple

import numpy as np

MAX_HEADER_BYTES = 100 * 1024 * 1024


class SafetensorsError(ValueError):
    pass


def _bf16_to_f32(raw: np.ndarray) -> np.ndarray:
    return (raw.astype(np.uint32) << 16).view(np.float32)


def _f32_to_bf16(x: np.ndarray) -> np.ndarray:
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    # Round to nearest, ties to even; NaN stays NaN.
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(x)
    rounded[nan] = ((bits[nan] >> 16) | 0x40).astype(np.uint16)
    return rounded


def read(path: str) -> Tuple[Dict[str, np.ndarray], Dict[str, str]]:
    """{name: float32 array}, metadata. Raises SafetensorsError naming the file and the problem."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise SafetensorsError(f"{path}: {len(data)} bytes, too short for a safetensors header (8-byte length)")
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER_BYTES or 8 + n > len(data):
        raise SafetensorsError(f"{path}: header of {n} bytes declared, the file has {len(data) - 8} after the length")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorsError(f"{path}: header is not JSON ({e})") from None
    if not isinstance(header, dict):
        raise SafetensorsError(f"{path}: header is not a JSON object")
    meta = header.pop("__metadata__", {}) or {}
    body = memoryview(data)[8 + n:]
    out: Dict[str, np.ndarray] = {}
    for name, info in header.items():
        dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        size = int(np.prod(shape)) if shape else 1
        width = {"F32": 4, "F16": 2, "BF16": 2}.get(dtype)
        if width is None:
            raise SafetensorsError(f"{path}: tensor {name!r} has dtype {dtype}; F32, F16 and BF16 are read")
        if not (0 <= begin <= end <= len(body)) or end - begin != size * width:
            raise SafetensorsError(f"{path}: tensor {name!r} offsets [{begin}, {end}] do not hold {shape} {dtype}")
        raw = np.frombuffer(body[begin:end], dtype={"F32": "<f4", "F16": "<f2", "BF16": "<u2"}[dtype])
        arr = _bf16_to_f32(raw) if dtype == "BF16" else raw.astype(np.float32)
        out[name] = arr.reshape(shape)
    return out, dict(meta)


def write(path: str, tensors: Dict[str, np.ndarray], metadata: Dict[str, str] | None = None,
          dtype: str = "F32") -> None:
    """Tensors in the given order, all stored as dtype (F32, F16 or BF16)."""
    header: Dict[str, object] = {}
    chunks = []
    offset = 0
    for name, value in tensors.items():
        x = np.asarray(value, dtype=np.float32)
        if dtype == "F32":
            raw = x.astype("<f4").tobytes()
        elif dtype == "F16":
            raw = x.astype("<f2").tobytes()
        elif dtype == "BF16":
            raw = _f32_to_bf16(x).astype("<u2").tobytes()
        else:
            raise ValueError(f"dtype {dtype}: use F32, F16 or BF16")
        header[name] = {"dtype": dtype, "shape": list(x.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)
