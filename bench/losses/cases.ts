// Valid inputs for every registered loss at a given element count: `n` is the numel of the
// loss's first (prediction) argument. Class losses take C classes; the other shapes are chosen
// so that n divides evenly for n = 1e3, 1e5 and 1e6. Values are deterministic (seeded). A loss
// with no case written here is seeded from its descriptor's example, tiled along the first
// dimension (exampleCase), so that every registered loss is measured.

import type { FloatDType } from '../../src/codec/decode.js';
import type { FloatArray, FloatTensor, IntTensor } from '../../src/numeric/tensor.js';
import { LOSSES } from '../../src/registry/index.js';
import type { AnyLossDescriptor } from '../../src/registry/types.js';

export type Tensor = FloatTensor | IntTensor;

export interface KernelInput {
  readonly args: Record<string, Tensor>;
  /** Options beyond the defaults. */
  readonly opts: Record<string, unknown>;
  /** Shape of the first argument, for the table. */
  readonly shape: readonly number[];
}

export interface LossCase {
  readonly loss: string;
  /** Takes a class count (cross_entropy, nll_loss, ...): measured at C = 10 and C = 1000. */
  readonly classes: boolean;
  make(n: number, C: number, dtype: FloatDType): KernelInput;
}

/** mulberry32: small, fast, deterministic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let seed = 1;
function floats(
  dtype: FloatDType,
  shape: readonly number[],
  lo: number,
  hi: number,
  map?: (u: number, i: number) => number,
): FloatTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data: FloatArray = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  const r = rng(seed++);
  for (let i = 0; i < n; i++) data[i] = map ? map(r(), i) : lo + (hi - lo) * r();
  return { shape, data };
}

function ints(shape: readonly number[], value: (i: number, u: number) => number): IntTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Int32Array(n);
  const r = rng(seed++);
  for (let i = 0; i < n; i++) data[i] = value(i, r());
  return { shape, data };
}

const sign = (u: number) => (u < 0.5 ? -1 : 1);

function pair(loss: string, lo: number, hi: number, tlo: number, thi: number, opts: Record<string, unknown> = {}) {
  return {
    loss,
    classes: false,
    make(n: number, _C: number, dtype: FloatDType): KernelInput {
      const shape = [n];
      return { args: { input: floats(dtype, shape, lo, hi), target: floats(dtype, shape, tlo, thi) }, opts, shape };
    },
  } satisfies LossCase;
}

function signed(loss: string, opts: Record<string, unknown> = {}) {
  return {
    loss,
    classes: false,
    make(n: number, _C: number, dtype: FloatDType): KernelInput {
      const shape = [n];
      return { args: { input: floats(dtype, shape, -2, 2), target: floats(dtype, shape, 0, 1, sign) }, opts, shape };
    },
  } satisfies LossCase;
}

/** (n / C, C) logits and one class index per row. */
function classIndex(loss: string, intTarget: boolean, lo = -3, hi = 3) {
  return {
    loss,
    classes: true,
    make(n: number, C: number, dtype: FloatDType): KernelInput {
      const N = Math.max(1, Math.floor(n / C));
      const shape = [N, C];
      const target: Tensor = intTarget
        ? ints([N], (_i, u) => Math.floor(u * C))
        : floats(dtype, [N], 0, 1, (u) => Math.floor(u * C));
      return { args: { input: floats(dtype, shape, lo, hi), target }, opts: {}, shape };
    },
  } satisfies LossCase;
}

/** (n / C, C) scores and one label per row, for optax's scores/labels losses. */
function scoreRows(loss: string) {
  return {
    loss,
    classes: true,
    make(n: number, C: number, dtype: FloatDType): KernelInput {
      const N = Math.max(1, Math.floor(n / C));
      const shape = [N, C];
      return {
        args: { scores: floats(dtype, shape, -3, 3), labels: ints([N], (_i, u) => Math.floor(u * C)) },
        opts: {},
        shape,
      };
    },
  } satisfies LossCase;
}

function boxes(loss: string) {
  return {
    loss,
    classes: false,
    make(n: number, _C: number, dtype: FloatDType): KernelInput {
      const shape = [n / 4, 4];
      // x1, y1 in [0, 1); x2, y2 = x1 + w, y1 + h with w, h in (0.1, 1.1)
      const box = (u: number, i: number) => (i % 4 < 2 ? u : 0.1 + u);
      const b1 = floats(dtype, shape, 0, 1, box);
      const b2 = floats(dtype, shape, 0, 1, box);
      for (const b of [b1, b2]) for (let i = 0; i < n; i += 4) fixBox(b.data, i);
      return { args: { boxes1: b1, boxes2: b2 }, opts: {}, shape };
    },
  } satisfies LossCase;
}

function fixBox(d: FloatArray, i: number): void {
  d[i + 2] = (d[i] as number) + (d[i + 2] as number);
  d[i + 3] = (d[i + 1] as number) + (d[i + 3] as number);
}

/** (n / D, D) rows for the embedding losses. */
const D = 100;

const CASES: LossCase[] = [
  pair('l1_loss', -2, 2, -2, 2),
  pair('smooth_l1_loss', -2, 2, -2, 2),
  pair('mse_loss', -2, 2, -2, 2),
  pair('huber_loss', -2, 2, -2, 2),
  pair('kl_div', -3, 0, 0.01, 1),
  pair('binary_cross_entropy', 0.01, 0.99, 0, 1),
  pair('binary_cross_entropy_with_logits', -3, 3, 0, 1),
  pair('poisson_nll_loss', -2, 2, 0, 5),
  pair('log_cosh_loss', -2, 2, -2, 2),
  signed('soft_margin_loss'),
  signed('hinge_embedding_loss'),
  {
    loss: 'sigmoid_focal_loss',
    classes: false,
    make(n, _C, dtype) {
      const shape = [n];
      return {
        args: { inputs: floats(dtype, shape, -3, 3), targets: floats(dtype, shape, 0, 1, Math.round) },
        opts: {},
        shape,
      };
    },
  },
  {
    loss: 'margin_ranking_loss',
    classes: false,
    make(n, _C, dtype) {
      const shape = [n];
      return {
        args: {
          input1: floats(dtype, shape, -2, 2),
          input2: floats(dtype, shape, -2, 2),
          target: floats(dtype, shape, 0, 1, sign),
        },
        opts: { margin: 0.1 },
        shape,
      };
    },
  },
  {
    loss: 'gaussian_nll_loss',
    classes: false,
    make(n, _C, dtype) {
      const shape = [n];
      return {
        args: {
          input: floats(dtype, shape, -2, 2),
          target: floats(dtype, shape, -2, 2),
          var: floats(dtype, shape, 0.1, 2),
        },
        opts: {},
        shape,
      };
    },
  },
  {
    loss: 'dice_loss',
    classes: false,
    make(n, _C, dtype) {
      const shape = [2, 4, n / 8];
      return {
        args: { input: floats(dtype, shape, -3, 3), target: floats(dtype, shape, 0, 1, Math.round) },
        opts: {},
        shape,
      };
    },
  },
  classIndex('cross_entropy', false),
  classIndex('nll_loss', true, -8, 0),
  classIndex('poly1_cross_entropy', true),
  classIndex('multi_margin_loss', true, -1, 1),
  {
    loss: 'multilabel_soft_margin_loss',
    classes: true,
    make(n, C, dtype) {
      const shape = [Math.max(1, Math.floor(n / C)), C];
      return {
        args: { input: floats(dtype, shape, -3, 3), target: floats(dtype, shape, 0, 1, Math.round) },
        opts: {},
        shape,
      };
    },
  },
  {
    loss: 'multilabel_margin_loss',
    classes: true,
    make(n, C, dtype) {
      const N = Math.max(1, Math.floor(n / C));
      const shape = [N, C];
      // three labels per row, then the -1 terminator
      const target = ints(shape, (i) => {
        const j = i % C;
        return j < 3 ? (j * 7 + Math.floor(i / C)) % C : j === 3 ? -1 : 0;
      });
      // distinct labels: j * 7 mod C can repeat only when C <= 14; fine for the loss either way
      return { args: { input: floats(dtype, shape, -1, 1), target }, opts: {}, shape };
    },
  },
  {
    loss: 'ctc_loss',
    classes: true,
    make(n, C, dtype) {
      const rows = Math.max(1, Math.floor(n / C));
      const Nb = Math.min(16, rows);
      const T = Math.max(1, Math.floor(rows / Nb));
      const shape = [T, Nb, C];
      const S = Math.max(0, Math.min(5, Math.floor((T - 1) / 2)));
      // log-probabilities: a log-softmax of random logits per (t, b)
      const lp = floats(dtype, shape, -3, 3);
      for (let r = 0; r < T * Nb; r++) {
        let m = Number.NEGATIVE_INFINITY;
        for (let c = 0; c < C; c++) m = Math.max(m, lp.data[r * C + c] as number);
        let s = 0;
        for (let c = 0; c < C; c++) s += Math.exp((lp.data[r * C + c] as number) - m);
        const lse = m + Math.log(s);
        for (let c = 0; c < C; c++) lp.data[r * C + c] = (lp.data[r * C + c] as number) - lse;
      }
      return {
        args: {
          log_probs: lp,
          targets: ints([Nb, Math.max(S, 1)], (_i, u) => 1 + Math.floor(u * (C - 1))),
          input_lengths: ints([Nb], () => T),
          target_lengths: ints([Nb], () => S),
        },
        opts: {},
        shape,
      };
    },
  },
  {
    loss: 'cosine_embedding_loss',
    classes: false,
    make(n, _C, dtype) {
      const shape = [n / D, D];
      return {
        args: {
          input1: floats(dtype, shape, -1, 1),
          input2: floats(dtype, shape, -1, 1),
          target: floats(dtype, [n / D], 0, 1, sign),
        },
        opts: {},
        shape,
      };
    },
  },
  {
    loss: 'triplet_margin_loss',
    classes: false,
    make(n, _C, dtype) {
      const shape = [n / D, D];
      return {
        args: {
          anchor: floats(dtype, shape, -1, 1),
          positive: floats(dtype, shape, -1, 1),
          negative: floats(dtype, shape, -1, 1),
        },
        opts: {},
        shape,
      };
    },
  },
  {
    loss: 'nt_xent_loss',
    classes: false,
    make(n, _C, dtype) {
      // cost grows with rows² · D: keep the rows few (4, 32, 100 at 1e3, 1e5, 1e6)
      const rows = 2 * Math.max(1, Math.ceil(Math.sqrt(n) / 20));
      const shape = [rows, n / rows];
      return { args: { input: floats(dtype, shape, -1, 1) }, opts: {}, shape };
    },
  },
  scoreRows('multiclass_hinge_loss'),
  scoreRows('sparsemax_loss'),
  {
    loss: 'supcon_loss',
    classes: false,
    make(n, _C, dtype) {
      // cost grows with (2 bsz)² · D, as nt_xent_loss's: keep the samples few (2, 16, 50)
      const bsz = Math.max(1, Math.ceil(Math.sqrt(n) / 20));
      const shape = [bsz, 2, n / (2 * bsz)];
      return {
        args: { features: floats(dtype, shape, -1, 1), labels: ints([bsz], (_i, u) => Math.floor(u * 3)) },
        opts: { temperature: 0.5 },
        shape,
      };
    },
  },
  {
    loss: 'sinkhorn_loss',
    classes: false,
    make(n, _C, dtype) {
      // cost grows with numItermax · n · m: 10 iterations here (the default is 100)
      const rows = 10 ** Math.floor(Math.log10(n) / 2);
      const shape = [rows, n / rows];
      return { args: { M: floats(dtype, shape, 0, 1) }, opts: { numItermax: 10, reg: 0.1 }, shape };
    },
  },
  {
    loss: 'soft_dtw',
    classes: false,
    make(n, _C, dtype) {
      // cost grows with B · L² · d: pairs of series of length 50 with 4 features
      const shape = [n / 200, 50, 4];
      return { args: { x: floats(dtype, shape, -1, 1), y: floats(dtype, shape, -1, 1) }, opts: {}, shape };
    },
  },
  boxes('generalized_box_iou_loss'),
  boxes('distance_box_iou_loss'),
  boxes('complete_box_iou_loss'),
  // the third family
  {
    loss: 'tversky_loss',
    classes: false,
    make(n, _C, dtype) {
      const shape = [2, 4, n / 8];
      return {
        args: { input: floats(dtype, shape, 0, 1), target: floats(dtype, shape, 0, 1, Math.round) },
        opts: { alpha: 0.3, beta: 0.7 },
        shape,
      };
    },
  },
  {
    // one sort of n / 4 errors per class: 4 sorts of the whole batch
    loss: 'lovasz_softmax_loss',
    classes: false,
    make(n, _C, dtype) {
      // rank 4: a rank-3 probas would be one sigmoid channel
      const shape = [2, 4, 1, n / 8];
      return {
        args: { probas: floats(dtype, shape, 0, 1), labels: ints([2, 1, n / 8], (_i, u) => Math.floor(u * 4)) },
        opts: {},
        shape,
      };
    },
  },
  {
    // one sort per image: 4 sorts of n / 4 errors
    loss: 'lovasz_hinge_loss',
    classes: false,
    make(n, _C, dtype) {
      const shape = [4, n / 4];
      return {
        args: { logits: floats(dtype, shape, -3, 3), labels: ints(shape, (_i, u) => (u < 0.5 ? 0 : 1)) },
        opts: {},
        shape,
      };
    },
  },
  {
    loss: 'softmax_focal_loss',
    classes: true,
    make(n, C, dtype) {
      const shape = [Math.max(1, Math.floor(n / C)), C];
      return {
        args: { y_true: floats(dtype, shape, 0, 1, (u) => (u < 1 / C ? 1 : 0)), y_pred: floats(dtype, shape, -3, 3) },
        opts: {},
        shape,
      };
    },
  },
  {
    loss: 'quantile_loss',
    classes: false,
    make(n, _C, dtype) {
      const shape = [n];
      return {
        args: { y_true: floats(dtype, shape, -2, 2), y_pred: floats(dtype, shape, -2, 2) },
        opts: { alpha: 0.9 },
        shape,
      };
    },
  },
  {
    loss: 'tweedie_deviance',
    classes: false,
    make(n, _C, dtype) {
      const shape = [n];
      return {
        args: { y_true: floats(dtype, shape, 0, 4, Math.round), y_pred: floats(dtype, shape, 0.1, 4) },
        opts: { power: 1.5 },
        shape,
      };
    },
  },
];

/** Nested arrays (or a number) → shape and row-major values. */
function readNested(v: unknown): { shape: number[]; values: number[] } {
  const shape: number[] = [];
  for (let t = v; Array.isArray(t); t = t[0]) shape.push(t.length);
  return { shape, values: [v].flat(Infinity) as number[] };
}

/**
 * The loss's example, repeated k = n / numel(first argument) times along the first dimension in
 * every argument that shares the first argument's first dimension (the batch); the rest (lengths,
 * per-class weights of another size) as they are. Keys of the example that are not arguments
 * are options.
 */
export function exampleCase(loss: AnyLossDescriptor): LossCase {
  return {
    loss: loss.name,
    classes: false,
    make(n: number, _C: number, dtype: FloatDType): KernelInput {
      const tensors = new Map(loss.args.filter((a) => a.name in loss.example).map((a) => [a.name, a] as const));
      const read = [...tensors.keys()].map((name) => [name, readNested(loss.example[name])] as const);
      const first = read[0]?.[1];
      const batch = first?.shape[0];
      const k = Math.max(1, Math.round(n / Math.max(1, first?.values.length ?? 1)));
      const args: Record<string, Tensor> = {};
      for (const [name, { shape, values }] of read) {
        const times = shape.length > 0 && shape[0] === batch ? k : 1;
        const tiled = Array.from({ length: times }, () => values).flat();
        const outShape = times === 1 ? shape : [shape[0]! * times, ...shape.slice(1)];
        const data =
          tensors.get(name)?.kind === 'int'
            ? Int32Array.from(tiled)
            : dtype === 'float32'
              ? Float32Array.from(tiled)
              : Float64Array.from(tiled);
        args[name] = { shape: outShape, data } as Tensor;
      }
      const opts = Object.fromEntries(Object.entries(loss.example).filter(([key]) => !tensors.has(key)));
      return { args, opts, shape: args[read[0]?.[0] ?? '']?.shape ?? [] };
    },
  };
}

export const LOSS_CASES: readonly LossCase[] = LOSSES.map(
  (loss) => CASES.find((c) => c.loss === loss.name) ?? exampleCase(loss),
);
