// The load of the event-loop bench as a child process: `connections` clients posting one file's
// bytes (binary as they are: autocannon's command line reads a body file as UTF-8 text, which
// would break a gzip body) for `seconds`, with extra headers; prints autocannon's JSON result.
//
//   node --import tsx bench/http/load.ts <url> <file> <seconds> <connections> [header=value ...]

import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const [url = '', file = '', seconds = '4', connections = '4', ...extra] = process.argv.slice(2);
const headers: Record<string, string> = { 'content-type': 'application/json' };
for (const h of extra) {
  const eq = h.indexOf('=');
  headers[h.slice(0, eq)] = h.slice(eq + 1);
}
const result = await autocannon({
  url,
  method: 'POST',
  body: readFileSync(file),
  headers,
  connections: Number(connections),
  duration: Number(seconds),
});
process.stdout.write(JSON.stringify(result));
