// The geometry shared by torchvision's three IoU losses (generalized_box_iou_loss,
// distance_box_iou_loss, complete_box_iou_loss, torchvision 0.14.1), forward and backward.
//
// The backward pass replays torch autograd's graph node by node instead of a simplified
// closed form, because the golden cases pin torch's exact choices at the non-smooth points:
// - torch.max/torch.min of two tensors send half the gradient to each side at a tie and
//   exactly 0 (masked_fill, not a product) to the losing side; a NaN operand wins neither
//   comparison, so both sides get the full gradient;
// - the intersection is written through a boolean mask (`intsct[mask] = ...`), so a pair
//   whose overlaps are not both strictly positive gets no gradient through it at all;
// - every other step is a product, so NaN and inf propagate as in torch (degenerate boxes
//   give gradients of order 1/eps, or NaN with eps = 0 or a zero-height box in CIoU).
// torchvision 0.14.1's complete_box_iou_loss calls _diou_iou_loss without eps, so its IoU
// and distance terms always use 1e-7 and the eps option only reaches the no_grad `alpha`.

import { z } from 'zod';
import { reduced, upstream } from '../numeric/reduce.js';
import { sameShape, showShape } from '../numeric/shape.js';
import type { Alloc, FloatArray, Reduction } from '../numeric/tensor.js';
import { reductionOption } from '../registry/options.js';
import {
  type AnyLossDescriptor,
  type ArgsOf,
  type CheckResult,
  defineLoss,
  type GradRequest,
  type Issue,
  type KernelResult,
} from '../registry/types.js';
import { predictionArg } from './args.js';
import { MAX_ISSUES, refuse } from './check.js';

export type BoxLossKind = 'giou' | 'diou' | 'ciou';

export interface BoxPlan {
  /** Number of box pairs (1 for unbatched `(4,)` boxes). */
  readonly n: number;
}

export interface BoxOptions {
  readonly reduction: Reduction;
  readonly eps: number;
}

/** torchvision's default eps, which CIoU's IoU and distance terms always use (0.14.1). */
const TORCHVISION_EPS = 1e-7;
/** 4 / pi², the aspect-ratio weight of CIoU, as torchvision writes it. */
const ASPECT_WEIGHT = 4 / (Math.PI * Math.PI);
export function boxOptions() {
  return z.object({
    reduction: reductionOption('none'),
    eps: z
      .number()
      .min(0, 'eps must be >= 0')
      .default(TORCHVISION_EPS)
      .describe('Small number added to denominators to prevent division by zero (>= 0).'),
  });
}

export function boxArgs() {
  return [
    predictionArg('boxes1', 'First boxes (x1, y1, x2, y2), shape (N, 4) or (4,), with x2 >= x1 and y2 >= y1.'),
    predictionArg('boxes2', 'Second boxes (x1, y1, x2, y2), the same shape as boxes1.'),
  ] as const;
}

/** The decoded arguments of every box loss. */
type BoxArgs = ArgsOf<ReturnType<typeof boxArgs>>;

function isBoxShape(shape: readonly number[]): boolean {
  return (shape.length === 1 || shape.length === 2) && shape[shape.length - 1] === 4;
}

/** Meta step: `(N, 4)` or `(4,)`, equal shapes, and no box with x2 < x1 or y2 < y1. */
export function checkBoxes(args: BoxArgs, reduction: Reduction): CheckResult<BoxPlan> {
  const t1 = args.boxes1;
  const t2 = args.boxes2;
  const boxes = [
    ['boxes1', t1],
    ['boxes2', t2],
  ] as const;
  for (const [name, t] of boxes) {
    if (!isBoxShape(t.shape)) {
      return refuse(
        'LOSSD_SHAPE_MISMATCH',
        `/${name}`,
        `${name} must hold boxes (x1, y1, x2, y2) of shape (N, 4) or (4,), got ${showShape(t.shape)}`,
      );
    }
  }
  if (!sameShape(t1.shape, t2.shape)) {
    return refuse(
      'LOSSD_SHAPE_MISMATCH',
      '/boxes2',
      `boxes2 has shape ${showShape(t2.shape)}, boxes1 ${showShape(t1.shape)}: they must be equal`,
    );
  }
  const batched = t1.shape.length === 2;
  const n = batched ? t1.shape[0]! : 1;
  const issues: Issue[] = [];
  for (const [name, t] of boxes) {
    const d = t.data;
    for (let i = 0; i < n && issues.length < MAX_ISSUES; i++) {
      const o = 4 * i;
      // NaN compares false: a NaN coordinate is not refused, it propagates.
      if (d[o + 2]! < d[o]! || d[o + 3]! < d[o + 1]!) {
        issues.push({
          path: batched ? `/${name}/${i}` : `/${name}`,
          message: `${name} holds a box with x2 < x1 or y2 < y1`,
        });
      }
    }
  }
  if (issues.length > 0) return refuse('LOSSD_INVALID_VALUE', issues);
  const lossShape = reduction === 'none' ? (batched ? [n] : []) : [];
  return { ok: true, lossShape, plan: { n } };
}

/** Gradient of torch.max(a, b) reaching `a` (`b` gets maxToB). */
function maxToA(a: number, b: number, g: number): number {
  return a === b ? g / 2 : a < b ? 0 : g;
}
function maxToB(a: number, b: number, g: number): number {
  return a === b ? g / 2 : a > b ? 0 : g;
}
/** Gradient of torch.min(a, b) reaching `a` (`b` gets minToB). */
function minToA(a: number, b: number, g: number): number {
  return a === b ? g / 2 : a > b ? 0 : g;
}
function minToB(a: number, b: number, g: number): number {
  return a === b ? g / 2 : a < b ? 0 : g;
}

/**
 * One box pair at offset `o` of both arrays: returns its loss and writes the upstream factor
 * `G` times the gradient of each box to g1/g2 at `o..o+3` when they are given.
 */
function boxPair(
  kind: BoxLossKind,
  b1: FloatArray,
  b2: FloatArray,
  o: number,
  eps: number,
  G: number,
  g1: FloatArray | null,
  g2: FloatArray | null,
): number {
  const x1 = b1[o]!;
  const y1 = b1[o + 1]!;
  const x2 = b1[o + 2]!;
  const y2 = b1[o + 3]!;
  const x1g = b2[o]!;
  const y1g = b2[o + 1]!;
  const x2g = b2[o + 2]!;
  const y2g = b2[o + 3]!;
  const epsIou = kind === 'ciou' ? TORCHVISION_EPS : eps;

  // Intersection, union, IoU.
  const xk1 = Math.max(x1, x1g);
  const yk1 = Math.max(y1, y1g);
  const xk2 = Math.min(x2, x2g);
  const yk2 = Math.min(y2, y2g);
  const mask = yk2 > yk1 && xk2 > xk1;
  const iw = xk2 - xk1;
  const ih = yk2 - yk1;
  const inter = mask ? iw * ih : 0;
  const w1 = x2 - x1;
  const h1 = y2 - y1;
  const w2 = x2g - x1g;
  const h2 = y2g - y1g;
  const union = w1 * h1 + w2 * h2 - inter;
  const ue = union + epsIou;
  const iou = inter / ue;

  // Smallest enclosing box.
  const xc1 = Math.min(x1, x1g);
  const yc1 = Math.min(y1, y1g);
  const xc2 = Math.max(x2, x2g);
  const yc2 = Math.max(y2, y2g);
  const cw = xc2 - xc1;
  const ch = yc2 - yc1;

  let loss: number;
  // GIoU
  let areaC = 0;
  let ce = 0;
  let frac = 0;
  // DIoU / CIoU
  let diag = 0;
  let dx = 0;
  let dy = 0;
  let cd = 0;
  let r1 = 0;
  let r2 = 0;
  let diff = 0;
  let alpha = 0;
  if (kind === 'giou') {
    areaC = cw * ch;
    ce = areaC + eps;
    frac = (areaC - union) / ce;
    loss = 1 - (iou - frac);
  } else {
    diag = cw * cw + ch * ch + epsIou;
    dx = (x2 + x1) / 2 - (x1g + x2g) / 2;
    dy = (y2 + y1) / 2 - (y1g + y2g) / 2;
    cd = dx * dx + dy * dy;
    loss = 1 - iou + cd / diag;
    if (kind === 'ciou') {
      r2 = w2 / h2;
      r1 = w1 / h1;
      diff = Math.atan(r2) - Math.atan(r1);
      const v = ASPECT_WEIGHT * (diff * diff);
      alpha = v / (1 - iou + v + eps); // held constant (torch.no_grad)
      loss = loss + alpha * v;
    }
  }
  if (g1 === null && g2 === null) return loss;

  // Backward, node by node.
  let gIou: number;
  let gUnion: number;
  let gCw: number;
  let gCh: number;
  let gx1 = 0;
  let gy1 = 0;
  let gx2 = 0;
  let gy2 = 0;
  let gx1g = 0;
  let gy1g = 0;
  let gx2g = 0;
  let gy2g = 0;
  if (kind === 'giou') {
    // loss = 1 - (iou - frac), frac = (areaC - union) / (areaC + eps)
    gIou = -G;
    const gFrac = G;
    const gNum = gFrac / ce;
    const gCe = -gFrac * (frac / ce);
    const gArea = gNum + gCe;
    gUnion = -gNum;
    gCw = gArea * ch;
    gCh = gArea * cw;
  } else {
    // loss = 1 - iou + cd / diag (+ alpha v)
    gIou = -G;
    gUnion = 0;
    const gCd = G / diag;
    const gDiag = -G * (cd / diag / diag);
    gCw = gDiag * (2 * cw);
    gCh = gDiag * (2 * ch);
    const gDx = gCd * (2 * dx);
    const gDy = gCd * (2 * dy);
    gx2 += gDx / 2;
    gx1 += gDx / 2;
    gx1g -= gDx / 2;
    gx2g -= gDx / 2;
    gy2 += gDy / 2;
    gy1 += gDy / 2;
    gy1g -= gDy / 2;
    gy2g -= gDy / 2;
    if (kind === 'ciou') {
      const gV = G * alpha;
      const gDiff = gV * ASPECT_WEIGHT * (2 * diff);
      const gR2 = gDiff / (r2 * r2 + 1);
      const gR1 = -gDiff / (r1 * r1 + 1);
      const gW2 = gR2 / h2;
      const gH2 = -gR2 * (r2 / h2);
      const gW1 = gR1 / h1;
      const gH1 = -gR1 * (r1 / h1);
      gx2 += gW1;
      gx1 -= gW1;
      gy2 += gH1;
      gy1 -= gH1;
      gx2g += gW2;
      gx1g -= gW2;
      gy2g += gH2;
      gy1g -= gH2;
    }
  }
  // iou = inter / (union + eps)
  let gInter = gIou / ue;
  gUnion += -gIou * (iou / ue);
  // union = w1 h1 + w2 h2 - inter
  gInter -= gUnion;
  const gW1 = gUnion * h1;
  const gH1 = gUnion * w1;
  const gW2 = gUnion * h2;
  const gH2 = gUnion * w2;
  gx2 += gW1;
  gx1 -= gW1;
  gy2 += gH1;
  gy1 -= gH1;
  gx2g += gW2;
  gx1g -= gW2;
  gy2g += gH2;
  gy1g -= gH2;
  // inter = iw · ih where the mask holds; no gradient elsewhere
  if (mask) {
    const gIw = gInter * ih;
    const gIh = gInter * iw;
    gx1 += maxToA(x1, x1g, -gIw);
    gx1g += maxToB(x1, x1g, -gIw);
    gy1 += maxToA(y1, y1g, -gIh);
    gy1g += maxToB(y1, y1g, -gIh);
    gx2 += minToA(x2, x2g, gIw);
    gx2g += minToB(x2, x2g, gIw);
    gy2 += minToA(y2, y2g, gIh);
    gy2g += minToB(y2, y2g, gIh);
  }
  // enclosing box: cw = max(x2, x2g) - min(x1, x1g), likewise ch
  gx1 += minToA(x1, x1g, -gCw);
  gx1g += minToB(x1, x1g, -gCw);
  gy1 += minToA(y1, y1g, -gCh);
  gy1g += minToB(y1, y1g, -gCh);
  gx2 += maxToA(x2, x2g, gCw);
  gx2g += maxToB(x2, x2g, gCw);
  gy2 += maxToA(y2, y2g, gCh);
  gy2g += maxToB(y2, y2g, gCh);

  if (g1 !== null) {
    g1[o] = gx1;
    g1[o + 1] = gy1;
    g1[o + 2] = gx2;
    g1[o + 3] = gy2;
  }
  if (g2 !== null) {
    g2[o] = gx1g;
    g2[o + 1] = gy1g;
    g2[o + 2] = gx2g;
    g2[o + 3] = gy2g;
  }
  return loss;
}

/** Forward and backward over all pairs, with torchvision's reductions (mean of none is 0). */
export function runBoxes(
  kind: BoxLossKind,
  args: BoxArgs,
  opts: BoxOptions,
  plan: BoxPlan,
  grad: GradRequest,
  alloc: Alloc,
): KernelResult {
  const t1 = args.boxes1;
  const t2 = args.boxes2;
  const { n } = plan;
  const none = opts.reduction === 'none';
  const want1 = grad.wrt.includes('boxes1');
  const want2 = grad.wrt.includes('boxes2');
  const g1 = want1 ? alloc(4 * n) : null;
  const g2 = want2 ? alloc(4 * n) : null;
  const out = none ? alloc(n) : null;
  const G = none ? 1 : upstream(opts.reduction, grad.g, n);
  const gamma = none ? grad.gamma : null;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const Gi = gamma === null ? G : gamma[i]!;
    const l = boxPair(kind, t1.data, t2.data, 4 * i, opts.eps, Gi, g1, g2);
    sum += l;
    if (out !== null) out[i] = l;
  }
  const grads: Record<string, FloatArray> = {};
  if (g1 !== null) grads.boxes1 = g1;
  if (g2 !== null) grads.boxes2 = g2;
  // torchvision: `loss.mean() if loss.numel() > 0 else 0.0 * loss.sum()`
  const loss = out ?? (opts.reduction === 'mean' && n === 0 ? 0 : reduced(opts.reduction, sum, n));
  return { loss, grads };
}

/** Two pairs of overlapping boxes, one pair of one aspect ratio and one of two. */
export const BOX_EXAMPLE = {
  boxes1: [
    [0, 0, 2, 2],
    [1, 1, 3, 4],
  ],
  boxes2: [
    [1, 1, 3, 3],
    [0, 1, 2, 3],
  ],
};

/** What a box loss says of itself; the rest of its descriptor is shared (defineBoxLoss). */
type BoxLossWords = Pick<
  AnyLossDescriptor,
  'name' | 'aliases' | 'summary' | 'formula' | 'latex' | 'reference' | 'example'
>;

/** The descriptor of one box loss: its own words and example, the shared args, options, check and kernel. */
export function defineBoxLoss(kind: BoxLossKind, words: BoxLossWords) {
  return defineLoss({
    ...words,
    args: boxArgs(),
    options: boxOptions(),
    check: (args, opts) => checkBoxes(args, opts.reduction),
    compute: (args, opts, plan, grad, alloc) => runBoxes(kind, args, opts, plan, grad, alloc),
  });
}
