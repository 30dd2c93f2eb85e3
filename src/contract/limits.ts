// Limits that are part of the wire contract: the OpenAPI document states them and the decoder
// enforces them, both from here.

/** The deepest tensor a request may carry (nested arrays and `shape` alike). */
export const MAX_RANK = 8;
