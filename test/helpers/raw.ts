// Raw HTTP/1.1 over a socket, for what fetch cannot send: bad framing, odd methods, huge
// request lines, several requests on one connection, clients that stall.

import { connect } from 'node:net';

export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Every response in `text` (one socket's bytes, as latin1), in order. */
export function parseResponses(text: string): RawAnswer[] {
  const answers: RawAnswer[] = [];
  let rest = text;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const [statusLine = '', ...lines] = rest.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    const body = Buffer.from(rest.slice(end + 4, end + 4 + length), 'latin1').toString('utf8');
    answers.push({ status: Number(statusLine.split(' ')[1]), headers, body });
    rest = rest.slice(end + 4 + length);
  }
  return answers;
}

/**
 * Writes `pieces` to a new connection to `url`'s host (`pauseMs` apart), and gives what came
 * back once the server closes it or `waitMs` have passed; `closed` says which.
 */
export function rawExchange(
  url: string,
  pieces: ReadonlyArray<string | Uint8Array>,
  { waitMs = 3000, pauseMs = 0 }: { waitMs?: number; pauseMs?: number } = {},
): Promise<{ text: string; closed: boolean; ms: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const started = performance.now();
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname);
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed, ms: performance.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('close', () => finish(true));
    // the server may close while we still write (it refused what it read): that is an answer
    socket.on('error', () => {});
    socket.on('connect', async () => {
      for (const [i, piece] of pieces.entries()) {
        if (i > 0 && pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
        if (socket.destroyed) return;
        socket.write(piece);
      }
    });
  });
}

/** One raw request and its (first) response. */
export async function rawRequest(url: string, text: string | Uint8Array): Promise<RawAnswer | undefined> {
  const { text: out } = await rawExchange(url, [text]);
  return parseResponses(out)[0];
}
