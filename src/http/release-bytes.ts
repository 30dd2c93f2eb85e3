// Hands a buffer's memory back to the allocator now, rather than whenever the collector next
// finds it. A large body arrives as ~130 socket chunks of up to 64 KiB, each a fresh allocation
// by Node's HTTP parser; once copied into the body buffer they are garbage, but the main thread
// allocates too little on its JS heap during one request for a collection to run, so an 8 MB
// body left 8 MB of dead chunks resident until later (BENCHMARKS.md, v2 memory row).
//
// The buffer is detached by transferring it to a closed port: the structured-clone rules detach
// a transferred buffer even when the message is dropped (as it is for a closed port), so its
// backing store is freed at once. Works the same on every Node line (ArrayBuffer.prototype
// .transfer is missing from Node 20).

import { MessageChannel } from 'node:worker_threads';

/** Buffers smaller than this are left to the collector (a detach costs about a microsecond). */
const RELEASED_MIN_BYTES = 16 * 1024;

let closed: MessageChannel['port1'] | undefined;

function closedPort(): MessageChannel['port1'] {
  if (closed === undefined) {
    const channel = new MessageChannel();
    channel.port1.close();
    channel.port2.close();
    closed = channel.port1;
  }
  return closed;
}

/**
 * Frees `bytes`' memory now: only when it spans its own ArrayBuffer (never a slice of a shared
 * one, such as Node's Buffer pool) and nothing else can read it any more. It is empty after.
 */
export function releaseBytes(bytes: Uint8Array): void {
  const { buffer } = bytes;
  if (bytes.byteLength < RELEASED_MIN_BYTES || bytes.byteOffset !== 0 || bytes.byteLength !== buffer.byteLength) return;
  if (!(buffer instanceof ArrayBuffer)) return;
  try {
    closedPort().postMessage(null, [buffer]);
  } catch {
    // not detachable (e.g. a buffer the runtime pins): the collector frees it as before
  }
}
