#!/usr/bin/env python3
"""lossd over the Open Inference Protocol v2 with binary tensors, standard library only.

    LOSSD_URL=http://127.0.0.1:8080 python3 examples/v2/client.py

Sends each tensor as raw little-endian bytes after the JSON header, as tritonclient and the
KServe SDK do (binary tensor data extension: parameters.binary_data_size on each input, the
header's length in Inference-Header-Content-Length), asks for every output in binary
(binary_data_output), and reads the answer back the same way. Computes F.cross_entropy and
F.mse_loss with their gradients and prints them. Set LOSSD_API_KEY when the server requires
a bearer token.
"""

import array
import json
import os
import sys
import urllib.error
import urllib.request

URL = os.environ.get("LOSSD_URL", "http://127.0.0.1:8080").rstrip("/")

# datatype -> (array typecode, bytes per element); the protocol's bytes are little-endian
TYPECODES = {"FP64": ("d", 8), "FP32": ("f", 4), "INT64": ("q", 8), "INT32": ("i", 4)}


def to_bytes(values, datatype):
    a = array.array(TYPECODES[datatype][0], values)
    if sys.byteorder == "big":
        a.byteswap()
    return a.tobytes()


def from_bytes(raw, datatype):
    a = array.array(TYPECODES[datatype][0])
    a.frombytes(raw)
    if sys.byteorder == "big":
        a.byteswap()
    return a.tolist()


def flat(nested):
    return [x for row in nested for x in flat(row)] if isinstance(nested, list) else [nested]


def shape_of(nested):
    return [len(nested)] + shape_of(nested[0]) if isinstance(nested, list) and nested else (
        [0] if isinstance(nested, list) else [])


def reshape(values, shape):
    if len(shape) <= 1:
        return values if shape else values[0]
    step = len(values) // shape[0]
    return [reshape(values[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def infer(model, tensors, outputs=None, parameters=None):
    """POST /v2/models/{model}/infer with every tensor binary; returns {output name: value}.

    tensors: {name: (nested list, datatype)}; outputs: names to return (default: the model's).
    """
    inputs, blobs = [], []
    for name, (value, datatype) in tensors.items():
        raw = to_bytes(flat(value), datatype)
        inputs.append({"name": name, "shape": shape_of(value), "datatype": datatype,
                       "parameters": {"binary_data_size": len(raw)}})
        blobs.append(raw)
    request = {"inputs": inputs, "parameters": dict(parameters or {}, binary_data_output=True)}
    if outputs:
        request["outputs"] = [{"name": n, "parameters": {"binary_data": True}} for n in outputs]
    header = json.dumps(request).encode("utf-8")
    headers = {"content-type": "application/octet-stream",
               "inference-header-content-length": str(len(header))}
    if os.environ.get("LOSSD_API_KEY"):
        headers["authorization"] = "Bearer " + os.environ["LOSSD_API_KEY"]
    req = urllib.request.Request(f"{URL}/v2/models/{model}/infer", data=header + b"".join(blobs),
                                 headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            body = response.read()
            length = response.headers.get("inference-header-content-length")
    except urllib.error.HTTPError as e:
        # the protocol's error member (lossd adds the problem's fields: where, and what)
        problem = json.load(e)
        where = ", ".join(f"{x['path']}: {x['message']}" for x in problem.get("errors", []))
        raise SystemExit(f"{model}: {e.code} {problem['error']} [{where}]") from None
    cut = int(length) if length is not None else len(body)
    answer, at, result = json.loads(body[:cut]), cut, {}
    for out in answer["outputs"]:
        size = out.get("parameters", {}).get("binary_data_size")
        if size is None:
            values = flat(out["data"])
        else:
            values = from_bytes(body[at:at + size], out["datatype"])
            at += size
        result[out["name"]] = reshape(values, out["shape"])
    return result


def show(name, result):
    for output, value in result.items():
        label = "loss" if output == "loss" else f"grad[{output[len('grad_'):]}]"
        print(f"{name}: {label} = {json.dumps(value)}")


def main():
    # F.cross_entropy(input, target): 2 samples, 3 classes, class indices as INT64
    show("cross_entropy", infer("cross_entropy", {
        "input": ([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]], "FP64"),
        "target": ([0, 2], "INT64"),
    }))
    # F.mse_loss(input, target), gradients with respect to both arguments
    show("mse_loss", infer("mse_loss", {
        "input": ([1.0, 2.0, 3.0], "FP64"),
        "target": ([1.0, 2.0, 5.0], "FP64"),
    }, outputs=["loss", "grad_input", "grad_target"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
