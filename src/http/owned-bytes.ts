// A request body the worker may take ownership of (its ArrayBuffer is transferred, not copied).

/** The body itself when it spans its own ArrayBuffer (src/http/body-reader.ts makes it so), else a copy. */
export function ownedBytes(body: Buffer): Uint8Array {
  if (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength) return body;
  return Uint8Array.prototype.slice.call(body);
}
