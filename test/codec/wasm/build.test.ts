// The committed .wasm files are what scripts/build-wasm.sh makes of src/codec/wasm/assembly/,
// and the generated tables there are what scripts/gen-ryu-tables.mjs and
// scripts/gen-pow10-table.mjs make.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

it('src/codec/wasm/*.wasm is what scripts/build-wasm.sh builds (run it after editing assembly/)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lossd-wasm-'));
  try {
    execFileSync('bash', [join(root, 'scripts/build-wasm.sh'), dir], { stdio: 'pipe' });
    const built = readdirSync(dir).filter((f) => f.endsWith('.wasm'));
    expect(built.length).toBeGreaterThan(0);
    for (const f of built) {
      expect(readFileSync(join(dir, f)).equals(readFileSync(join(root, 'src/codec/wasm', f))), f).toBe(true);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

it.each([
  ['pow5.ts', 'gen-ryu-tables.mjs'],
  ['pow10.ts', 'gen-pow10-table.mjs'],
])('src/codec/wasm/assembly/tables/%s is what scripts/%s writes', (table, script) => {
  const dir = mkdtempSync(join(tmpdir(), 'lossd-tables-'));
  try {
    const file = join(dir, table);
    execFileSync(process.execPath, [join(root, 'scripts', script), file], { stdio: 'pipe' });
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(join(root, 'src/codec/wasm/assembly/tables', table), 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
