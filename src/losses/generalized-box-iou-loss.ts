// generalized_box_iou_loss, torchvision.ops.generalized_box_iou_loss (torchvision 0.14.1).
//
//   IoU = I / (U + eps)         L = 1 - IoU + (area_C - U) / (area_C + eps)
//
// Plain 1 - IoU has zero gradient for boxes that do not overlap; the enclosing-box term
// (GIoU, Rezatofighi et al. 2019) keeps pulling them together. Geometry and the torch-exact
// backward live in box-iou.ts.

import { BOX_EXAMPLE, defineBoxLoss } from './box-iou.js';

export const generalizedBoxIouLoss = defineBoxLoss('giou', {
  name: 'generalized_box_iou_loss',
  aliases: [],
  summary: 'Generalized IoU loss between pairs of boxes (x1, y1, x2, y2).',
  formula: 'L = 1 - I / (U + eps) + (area_C - U) / (area_C + eps), C the smallest enclosing box',
  latex:
    '\\ell = 1 - \\frac{I}{U + \\epsilon} + \\frac{|C| - U}{|C| + \\epsilon},\\quad C \\text{ the smallest box enclosing both}',
  reference: 'torchvision.ops.generalized_box_iou_loss (torchvision 0.14.1); Rezatofighi et al. 2019, arXiv:1902.09630',
  example: BOX_EXAMPLE,
});
