// The playground's example bodies, for the losses whose generic defaults (every float argument a
// 2×3 tensor: predictions in (0, 1), the rest 0/1 labels) cannot be valid or say nothing: class
// indices, lengths, boxes, other shapes, variances. `sweep` is the default sweep range where
// [-3, 3] leaves the loss's domain, `element` the default swept element. Served to the page as
// an ES module (/playground/assets/examples.js).

export interface PlaygroundExample {
  /** Tensor arguments, nested arrays. Arguments not listed get the generic default. */
  readonly args?: Readonly<Record<string, unknown>>;
  /** Default sweep range [min, max]. */
  readonly sweep?: readonly [number, number];
  /** Default swept element, as a row-major index into the swept argument. */
  readonly element?: number;
}

const classLogits = [
  [2.0, 0.5, -1.0],
  [0.1, 0.2, 0.3],
];
const boxes = {
  boxes1: [
    [0, 0, 2, 2],
    [1, 1, 3, 4],
  ],
  boxes2: [
    [1, 1, 3, 3],
    [0, 1, 2, 3],
  ],
};

export const EXAMPLES: Readonly<Record<string, PlaygroundExample>> = {
  cross_entropy: { args: { input: classLogits, target: [0, 2] } },
  poly1_cross_entropy: { args: { input: classLogits, target: [0, 2] } },
  nll_loss: {
    args: {
      input: [
        [-0.4, -1.5, -2.2],
        [-1.2, -0.9, -1.3],
      ],
      target: [0, 2],
    },
    sweep: [-4, 0],
  },
  multi_margin_loss: {
    args: {
      input: [
        [0.1, 0.2, 0.4],
        [0.8, -0.3, 0.5],
      ],
      target: [2, 0],
    },
  },
  multilabel_margin_loss: { args: { input: [[0.1, 0.2, 0.4, 0.8]], target: [[3, 0, -1, 1]] } },
  cosine_embedding_loss: {
    args: {
      input1: [
        [1.0, 0.5, -0.3],
        [0.2, 0.8, 0.4],
      ],
      input2: [
        [0.9, 0.4, 0.1],
        [-0.5, 0.3, 0.7],
      ],
      target: [1, -1],
    },
  },
  gaussian_nll_loss: {
    args: {
      var: [
        [0.5, 1.0, 2.0],
        [1.0, 0.8, 1.5],
      ],
    },
  },
  binary_cross_entropy: { sweep: [0.01, 0.99] },
  dice_loss: {
    args: {
      input: [
        [
          [0.9, 0.2, 0.6],
          [0.1, 0.8, 0.4],
        ],
      ],
      target: [
        [
          [1, 0, 1],
          [0, 1, 0],
        ],
      ],
    },
    sweep: [0, 1],
  },
  // N = 2 pairs: with one pair there is no negative, the loss and its gradient are 0
  nt_xent_loss: {
    args: {
      input: [
        [0.3, 0.7, 0.2],
        [0.6, 0.4, 0.9],
        [0.5, 0.1, 0.8],
        [0.2, 0.9, 0.3],
      ],
    },
  },
  ctc_loss: {
    // T = 4 steps, N = 1 sample, C = 3 classes (0 is the blank); target "1 2"
    args: {
      log_probs: [[[-0.69, -1.39, -1.39]], [[-1.39, -0.69, -1.39]], [[-1.39, -1.39, -0.69]], [[-0.69, -1.39, -1.39]]],
      targets: [[1, 2]],
      input_lengths: [4],
      target_lengths: [2],
    },
    sweep: [-4, 0],
  },
  multiclass_hinge_loss: { args: { scores: classLogits, labels: [0, 2] } },
  sparsemax_loss: { args: { scores: classLogits, labels: [0, 2] } },
  // 3 samples, 2 views each: samples 0 and 2 share a label
  supcon_loss: {
    args: {
      features: [
        [
          [1.0, 0.0],
          [0.8, 0.6],
        ],
        [
          [0.0, 1.0],
          [0.6, 0.8],
        ],
        [
          [-1.0, 0.0],
          [-0.8, -0.6],
        ],
      ],
      labels: [0, 1, 0],
    },
  },
  // swept: x2 of the first box
  generalized_box_iou_loss: { args: boxes, sweep: [0.5, 5], element: 2 },
  distance_box_iou_loss: { args: boxes, sweep: [0.5, 5], element: 2 },
  complete_box_iou_loss: { args: boxes, sweep: [0.5, 5], element: 2 },
};

/** The table as an ES module the page imports. */
export const EXAMPLES_MODULE = `// generated from src/http/playground/examples.ts\nexport const EXAMPLES = ${JSON.stringify(EXAMPLES)};\n`;
