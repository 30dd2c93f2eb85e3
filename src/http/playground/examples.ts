// The playground's example per loss: its tensors are the loss descriptor's own `example` (a
// request body that answers 200); `sweep` is the default sweep range where [-3, 3] leaves the
// loss's domain, `element` the default swept element. Served to the page as an ES module
// (/playground/assets/examples.js).

import { LOSSES } from '../../registry/index.js';

export interface PlaygroundExample {
  /** Tensor arguments, nested arrays. Arguments not listed are left empty. */
  readonly args?: Readonly<Record<string, unknown>>;
  /** Default sweep range [min, max]. */
  readonly sweep?: readonly [number, number];
  /** Default swept element, as a row-major index into the swept argument. */
  readonly element?: number;
}

/** Where the default sweep range or element differs, by loss name. */
const SWEEPS: Readonly<Record<string, Omit<PlaygroundExample, 'args'>>> = {
  nll_loss: { sweep: [-4, 0] },
  binary_cross_entropy: { sweep: [0.01, 0.99] },
  dice_loss: { sweep: [0, 1] },
  ctc_loss: { sweep: [-4, 0] },
  // swept: x2 of the first box
  generalized_box_iou_loss: { sweep: [0.5, 5], element: 2 },
  distance_box_iou_loss: { sweep: [0.5, 5], element: 2 },
  complete_box_iou_loss: { sweep: [0.5, 5], element: 2 },
};

export const EXAMPLES: Readonly<Record<string, PlaygroundExample>> = Object.fromEntries(
  LOSSES.map((loss) => {
    const tensors = new Set(loss.args.map((a) => a.name));
    const args = Object.fromEntries(Object.entries(loss.example).filter(([k]) => tensors.has(k)));
    return [loss.name, { args, ...SWEEPS[loss.name] }];
  }),
);

/** The table as an ES module the page imports. */
export const EXAMPLES_MODULE = `// generated from the loss descriptors' examples (src/http/playground/examples.ts)\nexport const EXAMPLES = ${JSON.stringify(EXAMPLES)};\n`;
