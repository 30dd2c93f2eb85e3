// Every loss lossd serves, imported explicitly (no directory scanning) into one frozen list.
// Routes, validation, aliases, discovery, OpenAPI and the worker's dispatch all read it.
// Adding a loss: one kernel file under src/losses/ and one line in LOSSES below.

import { binaryCrossEntropy } from '../losses/binary-cross-entropy.js';
import { binaryCrossEntropyWithLogits } from '../losses/binary-cross-entropy-with-logits.js';
import { completeBoxIouLoss } from '../losses/complete-box-iou-loss.js';
import { cosineEmbeddingLoss } from '../losses/cosine-embedding-loss.js';
import { crossEntropy } from '../losses/cross-entropy.js';
import { ctcLoss } from '../losses/ctc-loss.js';
import { diceLoss } from '../losses/dice-loss.js';
import { distanceBoxIouLoss } from '../losses/distance-box-iou-loss.js';
import { gaussianNllLoss } from '../losses/gaussian-nll-loss.js';
import { generalizedBoxIouLoss } from '../losses/generalized-box-iou-loss.js';
import { hingeEmbeddingLoss } from '../losses/hinge-embedding-loss.js';
import { huberLoss } from '../losses/huber-loss.js';
import { klDiv } from '../losses/kl-div.js';
import { l1Loss } from '../losses/l1-loss.js';
import { logCoshLoss } from '../losses/log-cosh-loss.js';
import { lovaszHingeLoss } from '../losses/lovasz-hinge-loss.js';
import { lovaszSoftmaxLoss } from '../losses/lovasz-softmax-loss.js';
import { marginRankingLoss } from '../losses/margin-ranking-loss.js';
import { mseLoss } from '../losses/mse-loss.js';
import { multiMarginLoss } from '../losses/multi-margin-loss.js';
import { multiclassHingeLoss } from '../losses/multiclass-hinge-loss.js';
import { multilabelMarginLoss } from '../losses/multilabel-margin-loss.js';
import { multilabelSoftMarginLoss } from '../losses/multilabel-soft-margin-loss.js';
import { nllLoss } from '../losses/nll-loss.js';
import { ntXentLoss } from '../losses/nt-xent-loss.js';
import { poissonNllLoss } from '../losses/poisson-nll-loss.js';
import { poly1CrossEntropy } from '../losses/poly1-cross-entropy.js';
import { quantileLoss } from '../losses/quantile-loss.js';
import { sigmoidFocalLoss } from '../losses/sigmoid-focal-loss.js';
import { sinkhornLoss } from '../losses/sinkhorn-loss.js';
import { smoothL1Loss } from '../losses/smooth-l1-loss.js';
import { softDtw } from '../losses/soft-dtw.js';
import { softMarginLoss } from '../losses/soft-margin-loss.js';
import { softmaxFocalLoss } from '../losses/softmax-focal-loss.js';
import { sparsemaxLoss } from '../losses/sparsemax-loss.js';
import { supconLoss } from '../losses/supcon-loss.js';
import { tripletMarginLoss } from '../losses/triplet-margin-loss.js';
import { tverskyLoss } from '../losses/tversky-loss.js';
import { tweedieDeviance } from '../losses/tweedie-deviance.js';
import type { AnyLossDescriptor } from './types.js';

export const LOSSES: readonly AnyLossDescriptor[] = Object.freeze([
  // the seed losses
  l1Loss,
  smoothL1Loss,
  mseLoss,
  crossEntropy,
  klDiv,
  nllLoss,
  marginRankingLoss,
  // the rest of torch.nn.functional's loss family
  huberLoss,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  poissonNllLoss,
  gaussianNllLoss,
  hingeEmbeddingLoss,
  softMarginLoss,
  ctcLoss,
  multilabelSoftMarginLoss,
  cosineEmbeddingLoss,
  multiMarginLoss,
  multilabelMarginLoss,
  tripletMarginLoss,
  // beyond torch.nn.functional
  generalizedBoxIouLoss,
  distanceBoxIouLoss,
  completeBoxIouLoss,
  sigmoidFocalLoss,
  logCoshLoss,
  poly1CrossEntropy,
  diceLoss,
  ntXentLoss,
  // the third family
  tverskyLoss,
  lovaszSoftmaxLoss,
  lovaszHingeLoss,
  quantileLoss,
  tweedieDeviance,
  softmaxFocalLoss,
  multiclassHingeLoss,
  sparsemaxLoss,
  supconLoss,
  sinkhornLoss,
  softDtw,
]);

function buildIndex(losses: readonly AnyLossDescriptor[]): ReadonlyMap<string, AnyLossDescriptor> {
  const byName = new Map<string, AnyLossDescriptor>();
  for (const loss of losses) {
    for (const name of [loss.name, ...loss.aliases]) {
      if (byName.has(name)) throw new Error(`duplicate loss name or alias: ${name}`);
      byName.set(name, loss);
    }
  }
  return byName;
}

const BY_NAME = buildIndex(LOSSES);

/** The loss a canonical name or alias stands for. */
export function findLoss(name: string): AnyLossDescriptor | undefined {
  return BY_NAME.get(name);
}

/** Every name a client may POST to: canonical names and aliases. */
export function knownNames(): string[] {
  return [...BY_NAME.keys()];
}
