// generalized_box_iou_loss, torchvision.ops.generalized_box_iou_loss (torchvision 0.14.1).
//
//   IoU = I / (U + eps)         L = 1 - IoU + (area_C - U) / (area_C + eps)
//
// Plain 1 - IoU has zero gradient for boxes that do not overlap; the enclosing-box term
// (GIoU, Rezatofighi et al. 2019) keeps pulling them together. Geometry and the torch-exact
// backward live in box-iou.ts.

import { defineLoss } from '../registry/types.js';
import { boxArgs, boxOptions, checkBoxes, runBoxes } from './box-iou.js';

const options = boxOptions();

export const generalizedBoxIouLoss = defineLoss({
  name: 'generalized_box_iou_loss',
  aliases: [],
  summary: 'Generalized IoU loss between pairs of boxes (x1, y1, x2, y2).',
  formula: 'L = 1 - I / (U + eps) + (area_C - U) / (area_C + eps), C the smallest enclosing box',
  latex:
    '\\ell = 1 - \\frac{I}{U + \\epsilon} + \\frac{|C| - U}{|C| + \\epsilon},\\quad C \\text{ the smallest box enclosing both}',
  reference: 'torchvision.ops.generalized_box_iou_loss (torchvision 0.14.1); Rezatofighi et al. 2019, arXiv:1902.09630',
  args: boxArgs(),
  options,
  example: {
    boxes1: [
      [0, 0, 2, 2],
      [1, 1, 3, 4],
    ],
    boxes2: [
      [1, 1, 3, 3],
      [0, 1, 2, 3],
    ],
  },
  check: (args, opts) => checkBoxes(args, opts.reduction),
  compute: (args, opts, plan, grad, alloc) => runBoxes('giou', args, opts, plan, grad, alloc),
});
