// Every loss lossd serves, imported explicitly (no directory scanning) into one frozen list.
// Routes, validation, aliases, discovery, OpenAPI and the worker's dispatch all read it.
// Adding a loss: one kernel file under src/losses/ and one line in LOSSES below.

import { huberLoss } from '../losses/huber-loss.js';
import { l1Loss } from '../losses/l1-loss.js';
import { mseLoss } from '../losses/mse-loss.js';
import { smoothL1Loss } from '../losses/smooth-l1-loss.js';
import type { AnyLossDescriptor } from './types.js';

export const LOSSES: readonly AnyLossDescriptor[] = Object.freeze([
  // the seed losses
  l1Loss,
  smoothL1Loss,
  mseLoss,
  // the rest of torch.nn.functional's loss family
  huberLoss,
  // beyond torch.nn.functional
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
