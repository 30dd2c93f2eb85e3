// npx tsx scripts/check-doubles.ts [millions=20]: the property of test/codec/wasm/double.test.ts
// at scale. Prints every double (random bit patterns, and random 15-17 digit decimals read
// back) that src/codec/wasm/double.ts prints differently from String(v); exits 1 if any.

import { jsonNumber } from '../src/codec/encode.js';
import { writeNumbers } from '../src/codec/wasm/double.js';

const millions = Number(process.argv[2] ?? 20);
const buf = Buffer.alloc(28 * 4096);
const values = new Float64Array(4096);
const words = new BigUint64Array(values.buffer);
const rnd = new BigUint64Array(1);
let bad = 0;
const started = Date.now();
for (let round = 0; round < (millions * 1e6) / 4096; round++) {
  crypto.getRandomValues(words);
  if (round % 2 === 1) {
    // decimals of 15, 16 or 17 digits: where the shortest form changes length
    for (let i = 0; i < values.length; i++) {
      crypto.getRandomValues(rnd);
      const w = rnd[0] as bigint;
      const digits = 15 + Number(w % 3n);
      values[i] = Number(`${(w >> 2n) % 10n ** BigInt(digits)}e${Number((w >> 60n) * 40n) - 300 - digits}`);
    }
  }
  const got = buf.toString('latin1', 0, writeNumbers(values, 0, values.length, buf, 0)).split(',');
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    const want = jsonNumber(v);
    if (got[i] !== want) {
      bad++;
      console.log(`${want} printed ${got[i]}`);
    }
  }
}
console.log(`${millions} million values, ${bad} printed differently, ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(bad === 0 ? 0 : 1);
