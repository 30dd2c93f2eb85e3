// A group of NDJSON stream lines, in the worker: each line is one batch item, parsed and
// computed exactly as one item of a JSON batch (./run-item.ts), with its own body and element
// limits, and answered on a line of its own, in order. The lines come packed in one buffer,
// LF between them (a line holds no LF), so that a group crosses the thread boundary as one
// transfer; the answers go back the same way, each followed by LF.

import { withBody } from './parse-body.js';
import { answerParsedItem, errorAnswer, type ItemAnswer } from './run-item.js';

export interface StreamGroupSuccess {
  readonly ok: true;
  /** One answer line per request line, in order, each ending with LF; a buffer of its own. */
  readonly body: Uint8Array;
  readonly items: number;
  /** Items by outcome: "ok", or the status of the item's problem ("400", "404", ...). */
  readonly outcomes: Readonly<Record<string, number>>;
  readonly elements: number;
  readonly kernelMs: number;
}

const LF = 0x0a;

function answerLine(line: Uint8Array, maxElements: number): ItemAnswer {
  const out = withBody(line, (value, cuts) => answerParsedItem(value, maxElements, cuts));
  return 'ok' in out ? errorAnswer(out) : out;
}

export function runStreamGroup(lines: Uint8Array, maxElements: number): StreamGroupSuccess {
  const answers: Uint8Array[] = [];
  const outcomes: Record<string, number> = {};
  let size = 0;
  let elements = 0;
  let kernelMs = 0;
  for (let from = 0; from < lines.length; ) {
    let to = lines.indexOf(LF, from);
    if (to < 0) to = lines.length;
    const answer = answerLine(lines.subarray(from, to), maxElements);
    from = to + 1;
    answers.push(answer.bytes);
    size += answer.bytes.length + 1;
    elements += answer.elements;
    kernelMs += answer.kernelMs;
    const outcome = answer.status === 200 ? 'ok' : String(answer.status);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const a of answers) {
    body.set(a, at);
    at += a.length;
    body[at++] = LF;
  }
  return { ok: true, body, items: answers.length, outcomes, elements, kernelMs };
}
