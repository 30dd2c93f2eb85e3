// complete_box_iou_loss, torchvision.ops.complete_box_iou_loss (torchvision 0.14.1).
//
//   L = DIoU_loss + a v,   v = (4 / pi²) (atan(w2 / h2) - atan(w1 / h1))²,
//   a = v / (1 - IoU + v + eps), held constant (computed under torch.no_grad)
//
// CIoU (Zheng et al. 2020) adds an aspect-ratio term to DIoU; `a` is a weight, not part of the
// gradient, as in the paper. torchvision 0.14.1 calls _diou_iou_loss without eps, so the IoU
// and distance terms always use 1e-7 and `eps` only reaches `a`; lossd follows torchvision.
// w / h divides by the height: a zero-height box has a NaN gradient, a point box a NaN loss.

import { defineBoxLoss } from './box-iou.js';

export const completeBoxIouLoss = defineBoxLoss('ciou', {
  name: 'complete_box_iou_loss',
  aliases: [],
  summary: 'Complete IoU loss between pairs of boxes (x1, y1, x2, y2).',
  formula:
    'L = 1 - I / (U + 1e-7) + rho^2 / (c^2 + 1e-7) + a v, v = (4 / pi^2) (atan(w2 / h2) - atan(w1 / h1))^2, a = v / (1 - IoU + v + eps) constant',
  latex:
    '\\ell = 1 - \\mathrm{IoU} + \\frac{\\rho^2}{c^2 + 10^{-7}} + \\alpha v,\\quad v = \\frac{4}{\\pi^2}\\left(\\arctan\\frac{w_2}{h_2} - \\arctan\\frac{w_1}{h_1}\\right)^2,\\quad \\alpha = \\operatorname{sg}\\!\\left[\\frac{v}{1 - \\mathrm{IoU} + v + \\epsilon}\\right]',
  reference: 'torchvision.ops.complete_box_iou_loss (torchvision 0.14.1); Zheng et al. 2020, arXiv:1911.08287',
  // each pair of boxes has one aspect ratio (v = 0), where holding alpha constant as
  // torchvision does and the true derivative agree: a finite-difference check can judge it
  example: {
    boxes1: [
      [0, 0, 2, 2],
      [1, 1, 3, 4],
    ],
    boxes2: [
      [1, 1, 3, 3],
      [0, 1, 2, 4],
    ],
  },
});
