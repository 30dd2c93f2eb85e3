// distance_box_iou_loss, torchvision.ops.distance_box_iou_loss (torchvision 0.14.1).
//
//   IoU = I / (U + eps)         L = 1 - IoU + rho² / (c² + eps)
//
// rho is the distance between the box centres and c the diagonal of the smallest enclosing
// box (DIoU, Zheng et al. 2020): the penalty minimises the centre distance directly, which
// converges faster than GIoU's area term. Geometry and the torch-exact backward live in
// box-iou.ts.

import { BOX_EXAMPLE, defineBoxLoss } from './box-iou.js';

export const distanceBoxIouLoss = defineBoxLoss('diou', {
  name: 'distance_box_iou_loss',
  aliases: [],
  summary: 'Distance IoU loss between pairs of boxes (x1, y1, x2, y2).',
  formula: 'L = 1 - I / (U + eps) + rho^2 / (c^2 + eps), rho the centre distance, c the enclosing diagonal',
  latex: '\\ell = 1 - \\frac{I}{U + \\epsilon} + \\frac{\\rho^2}{c^2 + \\epsilon}',
  reference: 'torchvision.ops.distance_box_iou_loss (torchvision 0.14.1); Zheng et al. 2020, arXiv:1911.08287',
  example: BOX_EXAMPLE,
});
