// The deployment artefacts, checked offline: every Kubernetes manifest in deploy/k8s is valid
// against the Kubernetes OpenAPI schema (kubernetes-models), and says what lossd needs to run
// well: probes on the right paths and port, a locked-down non-root pod, resources, one worker
// per CPU of the limit, and Service / HPA / PDB pointing at the same pods. The Dockerfile is
// read as text and held to its promises.

import { readdirSync, readFileSync } from 'node:fs';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = new URL('../../', import.meta.url);
const k8sDir = new URL('deploy/k8s/', root);
const read = (relative: string, base: URL = root) => readFileSync(new URL(relative, base), 'utf8');

/** Parses one manifest (a single YAML document). */
function manifest(file: string): Record<string, unknown> {
  const obj: unknown = parse(read(file, k8sDir));
  if (obj === null || typeof obj !== 'object') throw new Error(`${file} is not a YAML mapping`);
  return obj as Record<string, unknown>;
}

function must<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) throw new Error(`missing: ${what}`);
  return value;
}

/** CPU cores or bytes of a Kubernetes quantity ("2", "500m", "3Gi", "512M"). */
function quantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^(\d+(?:\.\d+)?)(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/.exec(q);
  if (!m) throw new Error(`not a quantity: ${q}`);
  const scale: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    Ki: 2 ** 10,
    M: 1e6,
    Mi: 2 ** 20,
    G: 1e9,
    Gi: 2 ** 30,
    T: 1e12,
    Ti: 2 ** 40,
  };
  return Number(m[1]) * (m[2] ? must(scale[m[2]], m[2]) : 1);
}

const deployment = new Deployment(manifest('deployment.yaml') as never);
const service = new Service(manifest('service.yaml') as never);
const hpa = new HorizontalPodAutoscaler(manifest('hpa.yaml') as never);
const pdb = new PodDisruptionBudget(manifest('pdb.yaml') as never);

const podSpec = must(deployment.spec?.template.spec, 'Deployment pod spec');
const container = must(
  podSpec.containers.find((c) => c.name === 'lossd'),
  'container "lossd"',
);
const httpPort = must(
  container.ports?.find((p) => p.name === 'http'),
  'container port "http"',
);
const podLabels = must(deployment.spec?.template.metadata?.labels, 'pod template labels');
const env = (name: string) => container.env?.find((e) => e.name === name);

describe('deploy/k8s', () => {
  it('lists every manifest of the directory in kustomization.yaml, and nothing else', () => {
    const kustomization = manifest('kustomization.yaml') as { kind?: string; resources?: string[] };
    expect(kustomization.kind).toBe('Kustomization');
    const files = readdirSync(k8sDir).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
    expect([...(kustomization.resources ?? [])].sort()).toEqual(files.sort());
  });

  it('holds manifests that are valid against the Kubernetes schema', () => {
    expect(() => deployment.validate()).not.toThrow();
    expect(() => service.validate()).not.toThrow();
    expect(() => hpa.validate()).not.toThrow();
    expect(() => pdb.validate()).not.toThrow();
  });

  it('would notice an invalid manifest (the schema check is not a no-op)', () => {
    const broken = manifest('deployment.yaml') as { spec: Record<string, unknown> };
    broken.spec.replicas = 'two';
    expect(() => new Deployment(broken as never).validate()).toThrow(/replicas/);
  });
});

describe('the Deployment', () => {
  it('selects the pods of its own template', () => {
    const selector = must(deployment.spec?.selector.matchLabels, 'Deployment selector');
    expect(podLabels).toMatchObject(selector);
  });

  it('runs the lossd image with the server listening on the container port 8080', () => {
    expect(container.image).toMatch(/(^|\/)lossd(:|@|$)/);
    expect(httpPort.containerPort).toBe(8080);
    expect(env('PORT')?.value).toBe(String(httpPort.containerPort));
    expect(env('HOST')?.value).toBe('0.0.0.0');
  });

  it('is ready only when GET /readyz answers on the container port', () => {
    const get = must(container.readinessProbe?.httpGet, 'readinessProbe.httpGet');
    expect(get.path).toBe('/readyz');
    expect([httpPort.name, httpPort.containerPort]).toContain(get.port);
    // /readyz itself waits up to 2 s for a worker; the probe must wait longer.
    expect(container.readinessProbe?.timeoutSeconds ?? 1).toBeGreaterThan(2);
  });

  it('is alive as long as GET /healthz answers on the container port', () => {
    const get = must(container.livenessProbe?.httpGet, 'livenessProbe.httpGet');
    expect(get.path).toBe('/healthz');
    expect([httpPort.name, httpPort.containerPort]).toContain(get.port);
  });

  it('runs as the non-root user 1000 with the runtime default seccomp profile', () => {
    expect(podSpec.securityContext?.runAsNonRoot).toBe(true);
    expect(podSpec.securityContext?.runAsUser).toBe(1000);
    expect(podSpec.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
    expect(podSpec.automountServiceAccountToken).toBe(false);
  });

  it('locks the container down: read-only root filesystem, no privilege escalation, no capabilities', () => {
    const sc = must(container.securityContext, 'container securityContext');
    expect(sc.runAsNonRoot).toBe(true);
    expect(sc.runAsUser).toBe(1000);
    expect(sc.readOnlyRootFilesystem).toBe(true);
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(sc.privileged ?? false).toBe(false);
    expect(sc.capabilities?.drop).toEqual(['ALL']);
    expect(sc.capabilities?.add ?? []).toEqual([]);
    expect(sc.seccompProfile?.type ?? podSpec.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
  });

  it('requests and limits CPU and memory, never requesting more than the limit', () => {
    const { requests, limits } = must(container.resources, 'resources');
    for (const r of ['cpu', 'memory']) {
      const request = quantity(must(requests?.[r], `requests.${r}`));
      const limit = quantity(must(limits?.[r], `limits.${r}`));
      expect(request).toBeGreaterThan(0);
      expect(request).toBeLessThanOrEqual(limit);
    }
  });

  it('starts one worker thread per CPU of its limit (LOSSD_WORKERS from limits.cpu)', () => {
    const workers = must(env('LOSSD_WORKERS'), 'env LOSSD_WORKERS');
    expect(workers.value).toBeUndefined();
    const ref = must(workers.valueFrom?.resourceFieldRef, 'LOSSD_WORKERS resourceFieldRef');
    expect(ref.resource).toBe('limits.cpu');
    expect(quantity(must(ref.divisor, 'divisor'))).toBe(1);
    expect([undefined, container.name]).toContain(ref.containerName);
    // A whole number of CPUs, so the rounded-up worker count matches the limit exactly.
    expect(Number.isInteger(quantity(must(container.resources?.limits?.cpu, 'limits.cpu')))).toBe(true);
  });

  it("gives the server longer to stop than the preStop pause plus the server's own drain delay", () => {
    const delay = /closeWithGrace\(\s*\{\s*delay:\s*([\d_]+)/.exec(read('src/server.ts'))?.[1];
    const drainMs = Number(must(delay, 'closeWithGrace delay in src/server.ts').replaceAll('_', ''));
    expect(drainMs).toBeGreaterThan(0);
    const preStop = container.lifecycle?.preStop;
    const pauseSeconds = preStop?.sleep?.seconds ?? Number(preStop?.exec?.command?.at(-1) ?? 0);
    expect(podSpec.terminationGracePeriodSeconds ?? 30).toBeGreaterThan(pauseSeconds + drainMs / 1000);
  });

  it('pauses before SIGTERM with a command the image has, without a shell', () => {
    const command = container.lifecycle?.preStop?.exec?.command;
    if (command) {
      expect(command[0]).toBe('sleep');
      expect(command).not.toContain('sh');
    }
  });

  it('rolls out without ever dropping below the desired number of ready pods', () => {
    expect(deployment.spec?.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
    expect(deployment.spec?.replicas ?? 1).toBeGreaterThanOrEqual(2);
  });
});

describe('the Service', () => {
  it("selects the Deployment's pods", () => {
    const selector = must(service.spec?.selector, 'Service selector');
    expect(podLabels).toMatchObject(selector);
  });

  it('forwards its http port to the container port', () => {
    const port = must(
      service.spec?.ports?.find((p) => p.name === 'http'),
      'Service port "http"',
    );
    expect([httpPort.name, httpPort.containerPort]).toContain(port.targetPort);
  });
});

describe('the HorizontalPodAutoscaler', () => {
  it('scales the lossd Deployment', () => {
    expect(hpa.spec?.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata?.name,
    });
  });

  it('scales on CPU utilisation, which needs a CPU request to be relative to', () => {
    const cpu = hpa.spec?.metrics?.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
    expect(cpu?.resource?.target.type).toBe('Utilization');
    expect(cpu?.resource?.target.averageUtilization).toBeGreaterThan(0);
    expect(container.resources?.requests?.cpu).toBeDefined();
  });

  it('keeps more replicas than the disruption budget must leave running', () => {
    const minReplicas = must(hpa.spec?.minReplicas, 'minReplicas');
    expect(minReplicas).toBeGreaterThan(Number(pdb.spec?.minAvailable));
    expect(hpa.spec?.maxReplicas).toBeGreaterThanOrEqual(minReplicas);
  });
});

describe('the PodDisruptionBudget', () => {
  it("keeps at least one of the Deployment's pods running during voluntary disruptions", () => {
    expect(pdb.spec?.minAvailable).toBe(1);
    const selector = must(pdb.spec?.selector?.matchLabels, 'PDB selector');
    expect(selector).toEqual(deployment.spec?.selector.matchLabels);
  });
});

/** Dockerfile instructions: comments dropped, continuation lines joined. */
function instructions(text: string): Array<{ op: string; args: string }> {
  return text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => {
      const [op = '', ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

describe('the Dockerfile', () => {
  const all = instructions(read('Dockerfile'));
  const lastFrom = all.map((i) => i.op).lastIndexOf('FROM');
  const final = all.slice(lastFrom);
  const finalOf = (op: string) => final.filter((i) => i.op === op);

  it('builds in separate stages and runs the final one on node:24-bookworm-slim (the LTS line BENCHMARKS.md chose)', () => {
    expect(all.filter((i) => i.op === 'FROM').length).toBeGreaterThanOrEqual(2);
    expect(final[0]?.args).toMatch(/^node:24-bookworm-slim(\s|$)/);
  });

  it('ships only the compiled server, production dependencies and package.json', () => {
    const copied = finalOf('COPY').map((i) => i.args);
    expect(copied.some((a) => /--from=\S+ \S*dist\b/.test(a))).toBe(true);
    expect(copied.some((a) => /--from=\S+ \S*node_modules\b/.test(a))).toBe(true);
    expect(copied.some((a) => /\bpackage\.json\b/.test(a))).toBe(true);
    expect(copied.some((a) => /(^|\s)(\.|src\/?)\s/.test(a))).toBe(false);
    expect(read('Dockerfile')).toMatch(/npm ci[^\n]*--omit=dev|npm prune[^\n]*--omit=dev/);
  });

  it('runs as the unprivileged node user in production mode', () => {
    expect(finalOf('USER').at(-1)?.args).toBe('node');
    expect(
      finalOf('ENV')
        .map((i) => i.args)
        .join(' '),
    ).toMatch(/NODE_ENV=production/);
  });

  it('listens on 8080 on all interfaces and exposes that port', () => {
    const envs = finalOf('ENV')
      .map((i) => i.args)
      .join(' ');
    expect(envs).toMatch(/\bPORT=8080\b/);
    expect(envs).toMatch(/\bHOST=0\.0\.0\.0\b/);
    expect(finalOf('EXPOSE').map((i) => i.args)).toContain('8080');
  });

  it("health-checks /healthz with node's built-in fetch (the slim image has no curl or wget)", () => {
    const check = must(finalOf('HEALTHCHECK').at(-1), 'HEALTHCHECK').args;
    expect(check).toMatch(/CMD \["node",/);
    expect(check).toMatch(/fetch\(/);
    expect(check).toMatch(/127\.0\.0\.1/);
    expect(check).toMatch(/\/healthz/);
    expect(check).toMatch(/process\.env\.PORT/);
    expect(check).not.toMatch(/\b(curl|wget)\b/);
  });

  it('starts node directly, so node itself receives SIGTERM (no npm, no shell form)', () => {
    expect(finalOf('CMD').at(-1)?.args).toBe('["node", "dist/src/server.js"]');
    expect(finalOf('ENTRYPOINT').every((i) => !/npm/.test(i.args))).toBe(true);
  });

  it('sends only the build inputs as build context, and every file the stages COPY is among them', () => {
    const patterns = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(patterns[0]).toBe('*');
    const allowed = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1).replace(/\/$/, ''));
    expect(allowed.sort()).toEqual([
      'package-lock.json',
      'package.json',
      'src',
      'tsconfig.build.json',
      'tsconfig.json',
    ]);
    for (const never of ['**/node_modules', '**/dist', '**/.git', '**/*.log', '**/.env'])
      expect(patterns).toContain(never);
    const sources = all
      .filter((i) => i.op === 'COPY' && !i.args.startsWith('--from='))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1))
      .map((source) => source.replace(/\/$/, ''));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(allowed).toContain(source);
  });
});
