// Request text cut to a size before it is put in an answer: a key, a name or a value a client
// sent can be a megabyte long, and an error answer must never grow with what it was sent.

/** Characters of one key, name or value shown in a message. */
export const SHOWN_CHARS = 64;
/** Characters of one JSON Pointer reference token (a key) kept in an error path. */
const SEGMENT_CHARS = 64;
/** Reference tokens kept at each end of a deep error path. */
const PATH_END_SEGMENTS = 8;

/**
 * `text` cut to at most `max` UTF-16 units plus an ellipsis ("…") when it is longer; never
 * inside a surrogate pair, so the cut text is still well-formed.
 */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/** A client's key, name or value, quoted and cut, for a message. */
export function shown(text: string, max = SHOWN_CHARS): string {
  return JSON.stringify(cut(text, max));
}

/**
 * A JSON Pointer with each over-long reference token cut (never inside a ~0/~1 escape), and,
 * when it is very deep, its middle tokens replaced by one "…": the structure stays readable
 * and the pointer stays bounded.
 */
export function cutPointer(path: string): string {
  if (path.length <= SEGMENT_CHARS) return path;
  if (!path.startsWith('/')) return cut(path, SEGMENT_CHARS);
  let tokens = path.split('/').slice(1);
  tokens = tokens.map((t) => {
    if (t.length <= SEGMENT_CHARS) return t;
    const kept = cut(t, SEGMENT_CHARS);
    return kept.replace(/~…$/, '…');
  });
  if (tokens.length > 2 * PATH_END_SEGMENTS + 1) {
    tokens = [...tokens.slice(0, PATH_END_SEGMENTS), '…', ...tokens.slice(-PATH_END_SEGMENTS)];
  }
  return tokens.map((t) => `/${t}`).join('');
}
