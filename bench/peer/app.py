"""The service a Python team would write instead of lossd: FastAPI + uvicorn + PyTorch.

It is the external baseline of the HTTP and event-loop benchmarks (bench/lib/servers.ts starts
it, BENCHMARKS.md has the figures). It answers the same wire contract (shared API.md) for the
requests those benchmarks send and a few more losses, written the way a competent team would:

- ``POST /v1/losses/{name}``: ``torch.tensor(..., dtype=float64)`` from the nested lists, or
  ``numpy.frombuffer`` of the base64 bytes; ``torch.nn.functional.<name>``;
  ``torch.autograd.grad``; ``.tolist()`` for nested output, base64 of the numpy bytes for b64.
- JSON through ujson (Debian's python3-ujson; orjson is not packaged in Debian 12): both ways
  it is 1.5-2.3x the standard library's json on these bodies, and exact (shortest round-trip
  doubles). No pydantic model for the tensors: validating a million floats one by one would
  cost seconds, so the body is read as bytes and checked by hand.
- The work runs in Starlette's thread pool (``run_in_threadpool``, what FastAPI does for any
  ``def`` route), so the event loop stays free for ``/healthz`` except for the GIL.
- ``torch.set_num_threads(1)`` per process; ``uvicorn --workers 2`` (one per core, like lossd's
  two workers), with uvloop and httptools when installed (uvicorn[standard]).

Run: /usr/bin/python3 -m uvicorn --app-dir bench/peer app:app --workers 2 --port 8001
"""

from __future__ import annotations

import base64
import math
import os
import warnings

import numpy as np
import torch
import torch.nn.functional as F
import ujson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

torch.set_num_threads(int(os.environ.get("PEER_TORCH_THREADS", "1")))
# b64 inputs are read-only views of the decoded bytes, which nothing writes to
warnings.filterwarnings("ignore", message="The given NumPy array is not writable")

FLOATS = {"float64": torch.float64, "float32": torch.float32}
WIRE = {"float64": "<f8", "float32": "<f4", "int32": "<i4", "int64": "<i8"}
MAX_ELEMENTS = 1 << 26


class Spec:
    """A loss: its tensor arguments in call order, the differentiable ones, its options."""

    def __init__(self, fn, tensors, grad, options, required=("input", "target"), class_target=False):
        self.fn = fn
        self.tensors = tensors
        self.grad = grad
        self.options = options
        self.required = required
        # a target of class indices (integers) rather than of probabilities
        self.class_target = class_target


LOSSES = {
    "mse_loss": Spec(F.mse_loss, ("input", "target"), ("input", "target"), {"reduction": "mean"}),
    "l1_loss": Spec(F.l1_loss, ("input", "target"), ("input", "target"), {"reduction": "mean"}),
    "smooth_l1_loss": Spec(
        F.smooth_l1_loss, ("input", "target"), ("input", "target"), {"reduction": "mean", "beta": 1.0}
    ),
    "huber_loss": Spec(F.huber_loss, ("input", "target"), ("input", "target"), {"reduction": "mean", "delta": 1.0}),
    "kl_div": Spec(F.kl_div, ("input", "target"), ("input", "target"), {"reduction": "mean", "log_target": False}),
    "cross_entropy": Spec(
        F.cross_entropy,
        ("input", "target", "weight"),
        ("input", "target"),
        {"reduction": "mean", "ignore_index": -100, "label_smoothing": 0.0},
        class_target=True,
    ),
    "nll_loss": Spec(
        F.nll_loss,
        ("input", "target", "weight"),
        ("input",),
        {"reduction": "mean", "ignore_index": -100},
        class_target=True,
    ),
}
ALIASES = {"mse": "mse_loss", "l2": "mse_loss", "mae": "l1_loss", "l1": "l1_loss"}
PROBLEM = "application/problem+json"


class BadRequest(Exception):
    pass


def nonfinite(v):
    """JSON has no NaN or infinities: API.md writes them as strings."""
    if isinstance(v, list):
        return [nonfinite(x) for x in v]
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def finite(v):
    if isinstance(v, list):
        return [finite(x) for x in v]
    if isinstance(v, str):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[v]
    return v


def decode(name: str, value, dtype: torch.dtype, integer: bool) -> torch.Tensor:
    """One tensor argument in any of API.md's three forms."""
    want = torch.int64 if integer else dtype
    if isinstance(value, dict):
        shape = value.get("shape")
        if not isinstance(shape, list):
            raise BadRequest(f"/{name}: shape is required")
        if "b64" in value:
            wire = value.get("dtype", "float64")
            if wire not in WIRE:
                raise BadRequest(f"/{name}/dtype: unknown dtype {wire}")
            raw = base64.b64decode(value["b64"])
            arr = np.frombuffer(raw, dtype=WIRE[wire])
            if arr.size != math.prod(shape):
                raise BadRequest(f"/{name}/b64: {arr.size} values for shape {shape}")
            t = torch.from_numpy(arr.reshape(shape))
            return t.to(want) if t.dtype != want else t
        data = value.get("data")
        if not isinstance(data, list) or len(data) != math.prod(shape):
            raise BadRequest(f"/{name}/data: expected {math.prod(shape)} values")
        try:
            return torch.tensor(data, dtype=want).reshape(shape)
        except TypeError:
            return torch.tensor(finite(data), dtype=want).reshape(shape)
    try:
        t = torch.tensor(value, dtype=want)
    except TypeError:
        t = torch.tensor(finite(value), dtype=want)
    except ValueError as e:  # ragged nesting
        raise BadRequest(f"/{name}: {e}") from None
    if integer and not torch.equal(t.to(torch.float64), torch.tensor(value, dtype=torch.float64)):
        raise BadRequest(f"/{name}: class indices must be integers")  # 1.5 would be truncated to 1
    return t


def is_integer(value) -> bool:
    """Whether a target holds class indices: an integer b64 dtype, or integers as numbers."""
    if isinstance(value, dict):
        if "b64" in value:
            return value.get("dtype", "float64") in ("int32", "int64")
        value = value.get("data", [])
    while isinstance(value, list) and value and isinstance(value[0], list):
        value = value[0]
    if isinstance(value, list):
        return bool(value) and isinstance(value[0], int)
    return isinstance(value, int)


def encode(t: torch.Tensor, encoding: str, dtype: str):
    if encoding == "b64":
        arr = t.detach().numpy().astype(WIRE[dtype], copy=False)
        return {"shape": list(t.shape), "dtype": dtype, "b64": base64.b64encode(arr.tobytes()).decode("ascii")}
    values = (t.detach().reshape(-1) if encoding == "flat" else t.detach()).tolist()
    if not bool(torch.isfinite(t).all()):
        values = nonfinite(values)
    return {"shape": list(t.shape), "data": values} if encoding == "flat" else values


def compute(name: str, raw: bytes) -> bytes:
    spec = LOSSES[name]
    try:
        body = ujson.loads(raw)
    except ValueError as e:
        raise BadRequest(f"malformed JSON: {e}") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    known = set(spec.tensors) | set(spec.options) | {"grad_wrt", "grad_output", "encoding", "dtype"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise BadRequest(f"unknown keys: {', '.join(unknown)}")
    dtype_name = body.get("dtype", "float64")
    encoding = body.get("encoding", "nested")
    if dtype_name not in FLOATS or encoding not in ("nested", "flat", "b64"):
        raise BadRequest("dtype must be float64 or float32, encoding nested, flat or b64")
    dtype = FLOATS[dtype_name]
    grad_wrt = body.get("grad_wrt", ["input"])
    if not isinstance(grad_wrt, list):
        raise BadRequest("/grad_wrt must be a list of argument names")
    for g in grad_wrt:
        if g not in spec.grad or (g == "target" and spec.class_target and is_integer(body.get("target"))):
            raise BadRequest(f"/grad_wrt: cannot differentiate with respect to {g}")

    args = {}
    for arg in spec.tensors:
        if arg not in body:
            if arg in spec.required:
                raise BadRequest(f"/{arg} is required")
            continue
        integer = arg == "target" and spec.class_target and is_integer(body[arg])
        t = decode(arg, body[arg], dtype, integer)
        if t.numel() > MAX_ELEMENTS:
            raise BadRequest(f"/{arg}: too many elements")
        if arg in grad_wrt:
            t.requires_grad_(True)
        args[arg] = t
    options = {k: body.get(k, default) for k, default in spec.options.items()}

    try:
        loss = spec.fn(**args, **options)
    except (RuntimeError, ValueError, IndexError) as e:
        raise BadRequest(str(e)) from None

    out = {"loss": nonfinite(loss.item()) if loss.dim() == 0 else encode(loss, encoding, dtype_name)}
    if grad_wrt:
        wrt = [args[g] for g in grad_wrt]
        if "grad_output" in body:
            upstream = decode("grad_output", body["grad_output"], dtype, False)
        else:
            upstream = torch.ones_like(loss)
        grads = torch.autograd.grad(loss, wrt, grad_outputs=upstream)
        out["grad"] = {g: encode(t, encoding, dtype_name) for g, t in zip(grad_wrt, grads)}
    return ujson.dumps(out, ensure_ascii=False, escape_forward_slashes=False).encode()


def problem(status: int, title: str, detail: str) -> Response:
    doc = {"type": "about:blank", "title": title, "status": status, "detail": detail, "errors": []}
    return Response(ujson.dumps(doc), status_code=status, media_type=PROBLEM)


app = FastAPI(title="lossd peer (FastAPI + PyTorch)", docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/healthz")
async def healthz():
    return {"status": "ok"}


@app.post("/v1/losses/{name}")
async def losses(name: str, request: Request):
    name = ALIASES.get(name, name)
    if name not in LOSSES:
        return problem(404, "Not Found", f"unknown loss {name}; known: {', '.join(sorted(LOSSES))}")
    if not request.headers.get("content-type", "").startswith("application/json"):
        return problem(415, "Unsupported Media Type", "content-type must be application/json")
    try:
        raw = await request.body()
    except ClientDisconnect:  # a load generator stopping mid-upload: nobody to answer
        return Response(status_code=499)
    try:
        payload = await run_in_threadpool(compute, name, raw)
    except BadRequest as e:
        return problem(400, "Bad Request", str(e))
    return Response(payload, media_type="application/json")
