#!/usr/bin/python3
"""Random differential-test cases for lossd's eight losses beyond torch.nn.functional.

The references, as test/golden-beyond/README.md names them: torchvision 0.14.1 itself
(Debian's python3-torchvision) for sigmoid_focal_loss and the three box IoU losses; the
formulas written in torch (PyTorch 1.13 autograd) for log_cosh_loss, poly1_cross_entropy,
dice_loss (MONAI DiceLoss's arithmetic) and nt_xent_loss. Each reference first makes lossd's
documented argument checks ("refusals by lossd's convention"), raising ValueError, so those
requests are expected to be 400s; everything else is the reference's answer.

Same machinery as generate.py (imported, not copied): random helpers, encoding, grad_wrt,
grad_output, float32 handling, shape fuzzing and non-finite perturbation; this file adds the
references and one case generator per loss.

    /usr/bin/python3 scripts/torch-cases/generate_beyond.py --seed N --out DIR [--cases K] [--losses a,b]
    /usr/bin/python3 scripts/torch-cases/generate_beyond.py --check-golden test/golden-beyond
"""

import argparse
import base64
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torchvision import ops

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate as base  # noqa: E402
from generate import Case, opt  # noqa: E402

# -------------------------------------------------------------------- references


def _refuse(cond, msg):
    if cond:
        raise ValueError(msg)


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    _refuse(reduction != "none", f"bad reduction {reduction}")
    return loss


def ref_sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    _refuse(gamma < 0, "gamma must be >= 0")
    _refuse(alpha > 1, "alpha must be <= 1")
    _refuse(inputs.shape != targets.shape, "targets must have inputs' shape")
    return ops.sigmoid_focal_loss(inputs, targets, alpha=alpha, gamma=gamma, reduction=reduction)


def _box_checks(boxes1, boxes2, eps):
    _refuse(eps < 0, "eps must be >= 0")
    for b in (boxes1, boxes2):
        _refuse(b.dim() not in (1, 2) or b.shape[-1] != 4, "boxes must be (N, 4) or (4,)")
    _refuse(boxes1.shape != boxes2.shape, "boxes1 and boxes2 must have the same shape")
    for b in (boxes1, boxes2):
        d = b.detach().reshape(-1, 4)
        _refuse(bool(((d[:, 2] < d[:, 0]) | (d[:, 3] < d[:, 1])).any()), "a box with x2 < x1 or y2 < y1")


def _box_ref(fn):
    def ref(boxes1, boxes2, reduction="none", eps=1e-7):
        _box_checks(boxes1, boxes2, eps)
        _refuse(reduction not in ("none", "mean", "sum"), "bad reduction")
        return fn(boxes1, boxes2, reduction=reduction, eps=eps)

    return ref


class _LogCosh(torch.autograd.Function):
    """|d| + softplus(-2|d|) - log 2, gradient tanh(d) (README: exact for large |d|)."""

    @staticmethod
    def forward(ctx, d):
        ctx.save_for_backward(d)
        a = d.abs()
        return a + F.softplus(-2 * a) - math.log(2.0)

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        return g * torch.tanh(d)


def ref_log_cosh_loss(input, target, reduction="mean"):
    return _reduce(_LogCosh.apply(input - target), reduction)


def ref_poly1_cross_entropy(input, target, reduction="mean", epsilon=1.0, label_smoothing=0.0):
    _refuse(epsilon < -1, "epsilon must be >= -1")
    _refuse(label_smoothing > 1, "label_smoothing must be <= 1")
    _refuse(input.dim() not in (1, 2) or input.shape[-1] < 1, "input must be (N, C) or (C,)")
    _refuse(target.shape != input.shape[:-1], "target must be (N,) or ()")
    C = input.shape[-1]
    _refuse(bool(((target < 0) | (target >= C)).any()), "class index out of range")
    ls = max(label_smoothing, 0.0)
    ce = F.cross_entropy(input, target, reduction="none", label_smoothing=ls)
    q = F.one_hot(target, C).to(input.dtype)
    if ls > 0:
        q = (1 - ls) * q + ls / C
    pt = (q * torch.softmax(input, dim=-1)).sum(-1)
    return _reduce(ce + epsilon * (1 - pt), reduction)


def ref_dice_loss(input, target, reduction="mean", smooth_nr=1e-5, smooth_dr=1e-5):
    _refuse(smooth_nr < 0 or smooth_dr < 0, "smoothing must be >= 0")
    _refuse(input.dim() < 3, "input must be (N, C, d1, ...)")
    _refuse(target.shape != input.shape, "target must have input's shape")
    # monai.losses.DiceLoss.forward with no activation, squared_pred=False, jaccard=False
    axes = list(range(2, input.dim()))
    intersection = torch.sum(target * input, dim=axes)
    ground_o = torch.sum(target, dim=axes)
    pred_o = torch.sum(input, dim=axes)
    denominator = ground_o + pred_o
    f = 1.0 - (2.0 * intersection + smooth_nr) / (denominator + smooth_dr)
    return _reduce(f, reduction)


def ref_nt_xent_loss(input, temperature=0.5, reduction="mean"):
    _refuse(temperature <= 0, "temperature must be > 0")
    _refuse(input.dim() != 2 or input.shape[0] == 0 or input.shape[0] % 2, "input must be (2N, D)")
    R = input.shape[0]
    z = F.normalize(input, dim=1)
    s = z @ z.T / temperature
    s = s.masked_fill(torch.eye(R, dtype=torch.bool), -math.inf)
    pos = (torch.arange(R) + R // 2) % R
    return F.cross_entropy(s, pos, reduction=reduction)


REFS = {
    "sigmoid_focal_loss": ref_sigmoid_focal_loss,
    "generalized_box_iou_loss": _box_ref(ops.generalized_box_iou_loss),
    "distance_box_iou_loss": _box_ref(ops.distance_box_iou_loss),
    "complete_box_iou_loss": _box_ref(ops.complete_box_iou_loss),
    "log_cosh_loss": ref_log_cosh_loss,
    "poly1_cross_entropy": ref_poly1_cross_entropy,
    "dice_loss": ref_dice_loss,
    "nt_xent_loss": ref_nt_xent_loss,
}
DIFFERENTIABLE = {
    "sigmoid_focal_loss": ["inputs", "targets"],
    "generalized_box_iou_loss": ["boxes1", "boxes2"],
    "distance_box_iou_loss": ["boxes1", "boxes2"],
    "complete_box_iou_loss": ["boxes1", "boxes2"],
    "log_cosh_loss": ["input", "target"],
    "poly1_cross_entropy": ["input"],
    "dice_loss": ["input", "target"],
    "nt_xent_loss": ["input"],
}
DEFAULT_GRAD = {
    "sigmoid_focal_loss": ["inputs"],
    "generalized_box_iou_loss": ["boxes1", "boxes2"],
    "distance_box_iou_loss": ["boxes1", "boxes2"],
    "complete_box_iou_loss": ["boxes1", "boxes2"],
}
REFERENCE_NAMES = {
    "sigmoid_focal_loss": "torchvision.ops.sigmoid_focal_loss",
    "generalized_box_iou_loss": "torchvision.ops.generalized_box_iou_loss",
    "distance_box_iou_loss": "torchvision.ops.distance_box_iou_loss",
    "complete_box_iou_loss": "torchvision.ops.complete_box_iou_loss",
    "log_cosh_loss": "log(cosh(d)) as |d| + softplus(-2|d|) - log 2, gradient tanh(d) (Keras / optax log_cosh)",
    "poly1_cross_entropy": "PolyLoss Poly-1 (Leng et al. 2022), written in torch",
    "dice_loss": "monai.losses.DiceLoss arithmetic (no activation), written in torch",
    "nt_xent_loss": "SimCLR NT-Xent (Chen et al. 2020), written in torch",
}

# -------------------------------------------------------------------- generators


def gen_sigmoid_focal(g):
    s = g.shape(0, 4)
    if g.chance(0.04):
        s = s + (0,)
    x = g.randn(s, g.pick([1.0, 2.0, 5.0]))
    if g.chance(0.6):
        t = (g.uniform(s, 0, 1) > 0.5).astype(np.float64)
    else:
        t = g.uniform(s, 0, 1)
    opts = {}
    opt(opts, "reduction", g.reduction())
    opt(opts, "alpha", g.pick([None, None, 0.25, 0.5, 0.0, 1.0, -1.0, round(g.r.uniform(0, 1), 4)]))
    opt(opts, "gamma", g.pick([None, None, 2.0, 0.0, 1.0, 0.5, 3.0, 1.5, round(g.r.uniform(0, 4), 4)]))
    topic = "random"
    f32_ok = True
    if x.size and g.chance(0.15):
        flat = x.reshape(-1)
        for _ in range(g.r.randint(1, flat.size)):
            flat[g.r.randrange(flat.size)] = g.pick([0.0, 37.0, -37.0, 40.0, -60.0, 800.0, -800.0])
        topic = "saturated"
        f32_ok = False
    elif x.size and g.chance(0.08):
        x = g.nonfinite(x)
        topic = "nonfinite"
        f32_ok = False
    if t.size and g.chance(0.05):
        t = g.uniform(s, -0.5, 1.5)
        topic += "/target-outside-01"
    if g.chance(0.04):
        if g.chance(0.5):
            opts["gamma"] = -0.5
        else:
            opts["alpha"] = 1.5
        topic += "/error"
    return Case(topic, {"inputs": (x, "f"), "targets": (t, "f")}, opts, ["inputs", "targets"], f32_ok=f32_ok)


def random_boxes(g, n):
    xy = g.uniform((n, 2), -5, 5)
    wh = g.uniform((n, 2), 0, 4)
    return np.concatenate([xy, xy + wh], axis=1)


def dyadic_boxes(g, n):
    xy = g.dyadic((n, 2), -6, 6, 2)
    wh = g.dyadic((n, 2), 0, 6, 2)
    return np.concatenate([xy, xy + wh], axis=1)


def gen_boxes(g):
    unbatched = g.chance(0.25)
    n = 1 if unbatched else (0 if g.chance(0.05) else g.dim(1, 5))
    topic = "unbatched" if unbatched else "batched"
    f32_ok = True
    geometry = g.pick(["random", "random", "geometry", "overlap"])
    if geometry == "random":
        b1, b2 = random_boxes(g, n), random_boxes(g, n)
    elif geometry == "overlap":
        b1 = random_boxes(g, n)
        b2 = b1 + g.randn((n, 4), 0.3)
        b2[:, 2:] = np.maximum(b2[:, 2:], b2[:, :2])
    else:
        # ties: identical boxes, shared edges and corners, containment, zero width/height, points
        topic += "/geometry"
        f32_ok = False
        b1, b2 = dyadic_boxes(g, n), dyadic_boxes(g, n)
        for i in range(n):
            k = g.pick(["same", "edge", "contain", "zero", "point", "apart", "corner"])
            if k == "same":
                b2[i] = b1[i]
            elif k == "edge":
                b2[i] = b1[i]
                b2[i, 0] = b1[i, 2]
                b2[i, 2] = b1[i, 2] + 1.0
            elif k == "contain":
                b2[i] = b1[i] + np.array([-0.5, -0.5, 0.5, 0.5])
            elif k == "zero":
                j = g.pick([0, 1])
                b1[i, j + 2] = b1[i, j]
            elif k == "point":
                b2[i, 2:] = b2[i, :2]
            elif k == "corner":
                b2[i, :2] = b1[i, 2:]
                b2[i, 2:] = b1[i, 2:] + 1.0
    opts = {}
    opt(opts, "reduction", g.reduction())
    opt(opts, "eps", g.pick([None, None, 1e-7, 0.0, 0.1, 1e-3, 1.0]))
    if n and g.chance(0.06):
        b = g.pick([b1, b2])
        j = g.pick([0, 1])
        b[g.r.randrange(n), j + 2] = b[g.r.randrange(n), j] - 1.0
        topic += "/inverted"
    if g.chance(0.03):
        opts["eps"] = -1e-7
        topic += "/error"
    if g.chance(0.03) and n:
        b1, b2 = b1.reshape(1, n, 4), b2.reshape(1, n, 4)
        topic += "/rank3"
    elif unbatched:
        b1, b2 = b1.reshape(4), b2.reshape(4)
    if g.chance(0.08) and b1.size:
        # NaN and inf coordinates, kept in order where possible (x1 = -inf or x2 = +inf)
        b = g.pick([b1, b2]).reshape(-1)
        for _ in range(g.r.randint(1, 2)):
            i = g.r.randrange(b.size)
            b[i] = g.pick([math.nan, -math.inf if i % 4 < 2 else math.inf])
        topic += "/nonfinite"
        f32_ok = False
    return Case(topic, {"boxes1": (b1, "f"), "boxes2": (b2, "f")}, opts, ["boxes1", "boxes2"], f32_ok=f32_ok)


def gen_log_cosh(g):
    sx, sy = g.pair_shapes()
    if g.chance(0.04):
        sx = sx + (0,)
        sy = sx if g.chance(0.5) else sx[-1:]
    x = g.randn(sx, g.pick([1.0, 1.0, 3.0, 0.1, 1e-5]))
    y = g.randn(sy, g.pick([1.0, 1.0, 3.0]))
    opts = {}
    opt(opts, "reduction", g.reduction())
    topic = "random"
    f32_ok = True
    if sx == sy and g.chance(0.2):
        topic = "kink"
        x = g.dyadic(sx)
        y = x.copy()
        flat = y.reshape(-1)
        for i in range(flat.size):
            if g.chance(0.4):
                flat[i] += g.pick([0.125, -0.5, 1e-9, 30.0, -400.0, 800.0])
        f32_ok = False
    elif g.chance(0.1):
        topic = "large"
        x = x * g.pick([1e3, 1e300])
        f32_ok = False
    elif g.chance(0.1):
        topic = "nonfinite"
        x = g.nonfinite(x)
        if g.chance(0.5):
            y = g.nonfinite(y)
        f32_ok = False
    return Case(topic, {"input": (x, "f"), "target": (y, "f")}, opts, ["input", "target"], f32_ok=f32_ok)


def gen_poly1(g):
    C = g.dim(1, 6)
    unbatched = g.chance(0.25)
    N = 0 if (not unbatched and g.chance(0.04)) else g.dim(1, 5)
    sx, st = ((C,), ()) if unbatched else ((N, C), (N,))
    x = g.randn(sx, g.pick([1.0, 2.0, 5.0]))
    t = g.ints(0, C, st)
    opts = {}
    opt(opts, "reduction", g.reduction())
    opt(opts, "epsilon", g.pick([None, None, 1.0, 0.0, -1.0, 2.0, 0.5, round(g.r.uniform(-1, 5), 4)]))
    opt(opts, "label_smoothing", g.pick([None, None, 0.0, 0.1, 1.0, -0.2, round(g.r.uniform(0, 1), 4)]))
    topic = "unbatched" if unbatched else "batched"
    f32_ok = True
    if x.size and g.chance(0.1):
        x = g.nonfinite(x, values=(-math.inf,) if g.chance(0.6) else (math.nan, math.inf, -math.inf))
        topic += "/nonfinite"
        f32_ok = False
    elif x.size and g.chance(0.1):
        x = x * g.pick([100.0, 1e4])
        topic += "/large-logits"
        f32_ok = False
    if g.chance(0.05):
        k = g.pick(["epsilon", "ls", "class"])
        if k == "epsilon":
            opts["epsilon"] = -1.5
        elif k == "ls":
            opts["label_smoothing"] = 1.5
        elif t.size:
            t = t.copy().reshape(-1)
            t[0] = g.pick([C, C + 3, -1])
            t = t.reshape(st)
        topic += "/error"
    return Case(topic, {"input": (x, "f"), "target": (t, "i")}, opts, ["input"], f32_ok=f32_ok)


def gen_dice(g):
    N = 0 if g.chance(0.04) else g.dim(1, 3)
    C = g.dim(1, 4)
    spatial = tuple(g.dim(1, 4) for _ in range(g.r.randint(1, 3)))
    if g.chance(0.03):
        spatial = spatial[:-1] + (0,)
    s = (N, C) + spatial
    x = g.uniform(s, 0, 1)
    if g.chance(0.3):
        x = torch.softmax(torch.tensor(g.randn(s, 2.0)), dim=1).numpy()
    kind = g.pick(["onehot", "binary", "soft"])
    if kind == "onehot" and C > 0:
        idx = g.ints(0, C, (N,) + spatial)
        y = np.moveaxis(np.eye(C)[idx], -1, 1).astype(np.float64)
    elif kind == "binary":
        y = (g.uniform(s, 0, 1) > 0.6).astype(np.float64)
    else:
        y = g.uniform(s, 0, 1)
    opts = {}
    opt(opts, "reduction", g.reduction())
    smooth = [None, None, 1e-5, 0.0, 1.0, 1e-3, 0.5]
    opt(opts, "smooth_nr", g.pick(smooth))
    opt(opts, "smooth_dr", g.pick(smooth))
    topic = kind
    f32_ok = True
    if N and C and g.chance(0.2):
        # a channel empty in both input and target
        n, c = g.r.randrange(N), g.r.randrange(C)
        x[n, c] = 0.0
        y[n, c] = 0.0
        topic += "/empty-channel"
        f32_ok = False
    if g.chance(0.08) and x.size:
        x = g.nonfinite(x)
        topic += "/nonfinite"
        f32_ok = False
    if g.chance(0.04):
        if g.chance(0.5):
            opts[g.pick(["smooth_nr", "smooth_dr"])] = -1e-5
        else:
            x, y = g.uniform((N, C), 0, 1), g.uniform((N, C), 0, 1)  # no spatial dimension
        topic += "/error"
    return Case(topic, {"input": (x, "f"), "target": (y, "f")}, opts, ["input", "target"], f32_ok=f32_ok)


def gen_nt_xent(g):
    N = g.dim(1, 4)
    D = 0 if g.chance(0.03) else g.dim(1, 6)
    x = g.randn((2 * N, D), g.pick([1.0, 1.0, 10.0, 0.01]))
    opts = {}
    opt(opts, "reduction", g.reduction())
    opt(opts, "temperature", g.pick([None, None, 0.5, 0.1, 1.0, 0.07, 2.0, round(g.r.uniform(0.05, 3), 4)]))
    topic = "random"
    f32_ok = True
    one_column = D == 1
    if one_column:
        # one column: normalized rows are ±1 and the true gradient exactly 0, but PyTorch's
        # normalize backward leaves rounding residue (times 1/|x|, times grad_output, times
        # 1e12 for a zero row) where lossd's is exactly 0: not comparable, so loss values only
        x = g.dyadic((2 * N, 1), 1, 16, 4) * np.where(g.randn((2 * N, 1)) > 0, 1.0, -1.0)
        topic = "one-column"
    elif D and g.chance(0.25):
        k = g.pick(["zero-row", "same-views", "tiny-row", "duplicate"])
        i = g.r.randrange(2 * N)
        if k == "zero-row":
            x[i] = 0.0
        elif k == "same-views":
            x[N:] = x[:N] * g.pick([1.0, 2.0])
        elif k == "tiny-row":
            x[i] = x[i] * 1e-14
        else:
            x[(i + 1) % (2 * N)] = x[i]
        topic = k
        f32_ok = False
    elif D and g.chance(0.08):
        x = g.nonfinite(x)
        topic = "nonfinite"
        f32_ok = False
    if g.chance(0.05):
        k = g.pick(["temperature", "odd", "rank"])
        if k == "temperature":
            opts["temperature"] = g.pick([0.0, -0.5])
        elif k == "odd":
            x = x[1:]
        else:
            x = x.reshape(-1) if g.chance(0.5) else x.reshape(1, 2 * N, D)
        topic += "/error"
    c = Case(topic, {"input": (x, "f")}, opts, ["input"], f32_ok=f32_ok)
    if one_column:
        c.force_grad_wrt = []
    return c


GENERATORS = {
    "sigmoid_focal_loss": gen_sigmoid_focal,
    "generalized_box_iou_loss": gen_boxes,
    "distance_box_iou_loss": gen_boxes,
    "complete_box_iou_loss": gen_boxes,
    "log_cosh_loss": gen_log_cosh,
    "poly1_cross_entropy": gen_poly1,
    "dice_loss": gen_dice,
    "nt_xent_loss": gen_nt_xent,
}

_perturb = base.perturb


def perturb(g, loss, c):
    """generate.py's perturb, except that one-column nt_xent input is never scaled: with D = 1
    the normalized rows are ±1 and the true gradient is exactly 0, so what both sides compute
    is rounding residue times 1/|x|, above atol once |x| is small (ill-conditioned, 3.7)."""
    if loss == "nt_xent_loss" and np.asarray(c.tensors["input"][0]).shape[-1:] == (1,):
        return
    _perturb(g, loss, c)


base.perturb = perturb

# generate.py's make_case looks these up by loss name
base.REFERENCES.update(REFS)
base.GENERATORS.update(GENERATORS)
base.DEFAULT_GRAD.update(DEFAULT_GRAD)
base.DEFAULT_REDUCTION.update({n: "none" for n in REFERENCE_NAMES if REFERENCE_NAMES[n].startswith("torchvision")})

# -------------------------------------------------------------------- golden check


def decode(v, kind):
    """A request tensor (nested, flat or b64) as a numpy array."""
    if isinstance(v, dict):
        shape = v["shape"]
        if "b64" in v:
            dt = {"float64": "<f8", "float32": "<f4", "int64": "<i8", "int32": "<i4"}[v["dtype"]]
            a = np.frombuffer(base64.b64decode(v["b64"]), dtype=dt)
        else:
            a = np.array([float(x) for x in v["data"]])
        return a.astype(np.int64 if kind == "i" else np.float64).reshape(shape)

    def conv(x):
        if isinstance(x, list):
            return [conv(y) for y in x]
        return float(x)

    return np.array(conv(v), dtype=np.int64 if kind == "i" else np.float64)


def check_golden(d):
    """Recompute every case of the golden-beyond files with these references."""
    bad = total = wire = 0
    for name in sorted(os.listdir(d)):
        if not name.endswith(".json"):
            continue
        doc = json.load(open(os.path.join(d, name)))
        loss = doc["loss"]
        for c in doc["cases"]:
            req = dict(c["request"])
            f32 = req.pop("dtype", "float64") == "float32"
            np_f = np.float32 if f32 else np.float64
            req.pop("encoding", None)
            grad_wrt = req.pop("grad_wrt", None)
            go = req.pop("grad_output", None)
            args = DIFFERENTIABLE[loss] + (["target"] if loss == "poly1_cross_entropy" else [])
            values = {}
            for a in args:
                kind = "i" if loss == "poly1_cross_entropy" and a == "target" else "f"
                try:
                    arr = decode(req.pop(a), kind)
                except (ValueError, TypeError, KeyError):
                    arr = None  # a ragged or malformed tensor: the service's 400
                if arr is None:
                    values = None
                    break
                values[a] = (arr if kind == "i" else arr.astype(np_f).astype(np.float64), kind)
            total += 1
            if values is None:
                if c["expected"]["status"] == 200:
                    bad += 1
                    print("MISMATCH (undecodable request)", c["id"])
                continue
            if grad_wrt is None:
                grad_wrt = [n for n in DEFAULT_GRAD.get(loss, ["input"]) if n in values]
            if go is not None:
                go = float(go) if not isinstance(go, (dict, list)) else decode(go, "f").astype(np_f).astype(np.float64)
            try:
                exp = base.run_torch(loss, values, req, grad_wrt, torch.float32 if f32 else torch.float64, go)
            except Exception as e:  # noqa: BLE001
                exp = {"status": 400, "hint": repr(e)}
            want = c["expected"]
            if want["status"] != 200 and exp["status"] != 200:
                continue
            if want["status"] != 200:
                # refused by the wire rules (dtype, encoding, grad_wrt, ...), not the reference's
                wire += 1
                print("wire-level 400:", c["id"], "-", want.get("hint", "")[:100])
                continue
            if not base.agrees(exp, want, c.get("rtol", 1e-9), c.get("atol", 1e-12)) or set(exp.get("grad", {})) != set(want.get("grad", {})):
                bad += 1
                print("MISMATCH", c["id"], json.dumps(exp)[:300], "want", json.dumps(want)[:300])
    print(f"{total - bad}/{total} golden-beyond cases reproduced ({wire} of them 400s by the wire rules)")
    return bad == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--out")
    ap.add_argument("--cases", type=int, default=100, help="cases per loss (default 100)")
    ap.add_argument("--losses", default="", help="comma-separated subset")
    ap.add_argument("--shape-fuzz", type=float, default=0.05, help="share of cases with a mutated shape")
    ap.add_argument("--edge", type=float, default=0.1, help="share of cases given extra non-finite values")
    ap.add_argument("--check-golden", metavar="DIR", help="recompute the golden-beyond cases in DIR and exit")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.check_golden:
        sys.exit(0 if check_golden(args.check_golden) else 1)
    if args.seed is None or not args.out:
        ap.error("--seed and --out are required")
    os.makedirs(args.out, exist_ok=True)
    losses = [x for x in args.losses.split(",") if x] or list(GENERATORS)
    for loss in losses:
        g = base.Gen(f"{args.seed}/{loss}", [args.seed, sum(map(ord, loss)) * 1000 + len(loss)], args.edge,
                     args.shape_fuzz)
        cases = [base.make_case(g, loss, i, args.seed) for i in range(args.cases)]
        doc = {
            "loss": loss,
            "reference": REFERENCE_NAMES[loss],
            "torch_version": torch.__version__,
        }
        if REFERENCE_NAMES[loss].startswith("torchvision"):
            doc["torchvision_version"] = torchvision.__version__
        doc["generator"] = f"scripts/torch-cases/generate_beyond.py --seed {args.seed} --cases {args.cases}"
        doc["differentiable"] = DIFFERENTIABLE[loss]
        doc["cases"] = cases
        with open(os.path.join(args.out, f"{loss}.json"), "w") as fh:
            json.dump(doc, fh, allow_nan=False)
        ok = sum(1 for c in cases if c["expected"]["status"] == 200)
        print(f"{loss}: {len(cases)} cases ({ok} status 200)")


if __name__ == "__main__":
    main()
