// The playground's sweep hints, per loss: `sweep` is the default sweep range where [-3, 3]
// leaves the loss's domain, `element` the default swept element. The tensors themselves are
// each loss's `example`, which the page reads from GET /v1/losses. Served to the page as an ES
// module (/playground/assets/examples.js; its type: browser/examples.d.ts).

export interface SweepHint {
  /** Default sweep range [min, max]. */
  readonly sweep?: readonly [number, number];
  /** Default swept element, as a row-major index into the swept argument. */
  readonly element?: number;
}

export const EXAMPLES: Readonly<Record<string, SweepHint>> = {
  nll_loss: { sweep: [-4, 0] },
  binary_cross_entropy: { sweep: [0.01, 0.99] },
  dice_loss: { sweep: [0, 1] },
  ctc_loss: { sweep: [-4, 0] },
  // swept: x2 of the first box
  generalized_box_iou_loss: { sweep: [0.5, 5], element: 2 },
  distance_box_iou_loss: { sweep: [0.5, 5], element: 2 },
  complete_box_iou_loss: { sweep: [0.5, 5], element: 2 },
  // probabilities
  tversky_loss: { sweep: [0, 1] },
  lovasz_softmax_loss: { sweep: [0, 1] },
};

/** The table as an ES module the page imports. */
export const EXAMPLES_MODULE = `// generated from src/http/playground/examples.ts\nexport const EXAMPLES = ${JSON.stringify(EXAMPLES)};\n`;
