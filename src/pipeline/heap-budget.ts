// How much of this thread's V8 heap a body may take once parsed, and a bound on what it takes,
// checked before JSON.parse. A worker's resourceLimits are not enough on their own: when V8
// nears the limit, Node's callback ends the worker and lends it 16 MB to finish the step it is
// in (Worker::NearHeapLimit in src/node_worker.cc); a step that needs more than that at once
// (JSON.parse building one large array in a single runtime call, which termination cannot
// interrupt) aborts the whole process instead ("Reached heap limit", nodejs/node#47224, #65019).
// Which bodies do so depends on their shape and on the Node line (a 12 MB array of numbers
// under a 16 MB heap in lossd's worker kills only that worker on Node 20 and the process on Node 24 and
// 26; a 120 MB one under a 64 MB heap kills the process on all three). A body that cannot fit
// is therefore refused before it is parsed, and the heap limit stays the backstop it is.

import { getHeapStatistics } from 'node:v8';
import { resourceLimits } from 'node:worker_threads';

/**
 * Upper bounds of the heap bytes JSON.parse spends per byte of JSON (64-bit V8, measured on
 * Node 20 and 26 with room to spare): an object `{` (an empty `{}` costs 67 bytes), an array
 * `[` (an empty `[]` 43), a member `:` (a dictionary entry and its key), an element or member
 * separator `,` (a slot and a heap number), and any other byte (string contents, twice for a
 * two-byte string).
 */
const COST = new Uint8Array(256).fill(2);
COST['{'.charCodeAt(0)] = 96;
COST['['.charCodeAt(0)] = 64;
COST[':'.charCodeAt(0)] = 48;
COST[','.charCodeAt(0)] = 16;

/** No byte costs more than this per byte, its closing bracket or separator included. */
const MAX_COST_PER_BYTE = 48;

/** The decoded text: one byte per character, two when any is beyond Latin-1. */
const TEXT_COST_PER_BYTE = 2;

/**
 * A bound on the heap bytes the text of `bytes` and its JSON.parse result take. Reads the
 * bytes only when the quick bound (every byte at its most costly) is over `budget`.
 */
export function parseCostBound(bytes: Uint8Array, budget: number): number {
  const quick = bytes.length * (MAX_COST_PER_BYTE + TEXT_COST_PER_BYTE);
  if (quick <= budget) return quick;
  let cost = bytes.length * TEXT_COST_PER_BYTE;
  for (let i = 0; i < bytes.length; i++) cost += COST[bytes[i] as number] as number;
  return cost;
}

const MB = 1024 * 1024;

/**
 * Heap bytes one body may take in this thread: half of what the old generation has beyond what
 * the thread held when this module loaded. Half, because V8 collects by copying and marks
 * ahead of the limit, and the pipeline's own objects and the previous request's garbage need
 * room too. V8's heap_size_limit is the old generation's limit plus the young generation's
 * (a worker's resourceLimits report both); it is read rather than the configured limit because a
 * process-wide --max-old-space-size overrides a worker's maxOldGenerationSizeMb while
 * resourceLimits still reports the latter (nodejs/node#43991).
 */
function computeBudget(): number {
  const stats = getHeapStatistics();
  const young = resourceLimits.maxYoungGenerationSizeMb ?? 0;
  const oldLimit = stats.heap_size_limit - young * MB;
  return Math.max(0, (oldLimit - stats.used_heap_size) / 2);
}

export const HEAP_BUDGET = computeBudget();
