// The KServe artefacts (deploy/kserve), checked offline. kubernetes-models has no KServe types,
// so the KServe fields these manifests use are mirrored below as strict Zod schemas, from the
// KServe API reference: the Go types (pkg/apis/serving/v1alpha1/servingruntime_types.go:
// ServingRuntimeSpec, SupportedModelFormat; pkg/apis/serving/v1beta1/predictor.go,
// predictor_model.go, component.go: PredictorSpec, ModelSpec, ModelFormat,
// PredictorExtensionSpec, ComponentExtensionSpec) and the CRDs generated from them
// (config/crd/full/serving.kserve.io_clusterservingruntimes.yaml, _inferenceservices.yaml).
// A field outside them (a typo, a field KServe does not have) fails. The Kubernetes types inside
// (containers, volumes, the pod security context) are checked with kubernetes-models. Then what
// lossd needs: protocol v2, port 8080, probes on the protocol's health routes, non-root.

import { readFileSync } from 'node:fs';
import { Container, PodSecurityContext, Volume } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';

const dir = new URL('../../deploy/kserve/', import.meta.url);
const read = (file: string) => parse(readFileSync(new URL(file, dir), 'utf8')) as Record<string, unknown>;

const objectMeta = z.looseObject({ name: z.string().min(1), labels: z.record(z.string(), z.string()).optional() });

/** SupportedModelFormat (servingruntime_types.go). */
const supportedModelFormat = z.strictObject({
  name: z.string(),
  version: z.string().optional(),
  autoSelect: z.boolean().optional(),
  priority: z.int().min(1).optional(),
});

/** constants.InferenceServiceProtocol. */
const protocol = z.enum(['v1', 'v2', 'grpc-v1', 'grpc-v2']);

/** The ServingRuntimeSpec fields lossd's runtime uses (containers is the one required field). */
const servingRuntimeSpec = z.strictObject({
  supportedModelFormats: z.array(supportedModelFormat).optional(),
  protocolVersions: z.array(protocol).optional(),
  multiModel: z.boolean().optional(),
  disabled: z.boolean().optional(),
  containers: z.array(z.looseObject({ name: z.string() })).min(1),
  volumes: z.array(z.looseObject({ name: z.string() })).optional(),
});

const clusterServingRuntime = z.strictObject({
  apiVersion: z.literal('serving.kserve.io/v1alpha1'),
  kind: z.literal('ClusterServingRuntime'),
  metadata: objectMeta,
  spec: servingRuntimeSpec,
});

/** ModelSpec: modelFormat (required), runtime, and PredictorExtensionSpec's protocolVersion. */
const modelSpec = z.strictObject({
  modelFormat: z.strictObject({ name: z.string(), version: z.string().optional() }),
  runtime: z.string().optional(),
  protocolVersion: protocol.optional(),
  storageUri: z.string().optional(),
});

/** The PredictorSpec fields used: model, ComponentExtensionSpec's replicas, PodSpec's securityContext. */
const predictorSpec = z.strictObject({
  model: modelSpec,
  minReplicas: z.int().min(0).optional(),
  maxReplicas: z.int().min(0).optional(),
  securityContext: z.looseObject({}).optional(),
});

const inferenceService = z.strictObject({
  apiVersion: z.literal('serving.kserve.io/v1beta1'),
  kind: z.literal('InferenceService'),
  metadata: objectMeta,
  spec: z.strictObject({ predictor: predictorSpec }),
});

const runtimeDoc = read('servingruntime.yaml');
const isvcDoc = read('inferenceservice.yaml');
const runtime = clusterServingRuntime.parse(runtimeDoc);
const isvc = inferenceService.parse(isvcDoc);
const container = new Container(runtime.spec.containers.find((c) => c.name === 'kserve-container') as never);

describe('deploy/kserve', () => {
  it('lists both manifests in kustomization.yaml', () => {
    expect(read('kustomization.yaml')).toMatchObject({
      kind: 'Kustomization',
      resources: ['servingruntime.yaml', 'inferenceservice.yaml'],
    });
  });

  it('holds manifests valid against the KServe fields they use, and the Kubernetes types inside', () => {
    for (const c of runtime.spec.containers) expect(() => new Container(c as never).validate()).not.toThrow();
    for (const v of runtime.spec.volumes ?? []) expect(() => new Volume(v as never).validate()).not.toThrow();
    expect(() => new PodSecurityContext(isvc.spec.predictor.securityContext as never).validate()).not.toThrow();
  });

  it('would notice a misspelt or missing field (the schemas are not no-ops)', () => {
    const spec = runtimeDoc.spec as Record<string, unknown>;
    expect(clusterServingRuntime.safeParse({ ...runtimeDoc, spec: { ...spec, protocolVersion: ['v2'] } }).success).toBe(
      false,
    );
    expect(
      clusterServingRuntime.safeParse({ ...runtimeDoc, spec: { ...spec, protocolVersions: ['v3'] } }).success,
    ).toBe(false);
    const { containers: _c, ...noContainers } = spec;
    expect(clusterServingRuntime.safeParse({ ...runtimeDoc, spec: noContainers }).success).toBe(false);
    const predictor = (isvcDoc.spec as { predictor: Record<string, unknown> }).predictor;
    const model = predictor.model as Record<string, unknown>;
    const bad = {
      ...isvcDoc,
      spec: { predictor: { ...predictor, model: { ...model, modelformat: model.modelFormat } } },
    };
    expect(inferenceService.safeParse(bad).success).toBe(false);
    expect(() => new Container({ name: 'x', ports: [{ containerPort: 'http' }] } as never).validate()).toThrow();
  });
});

describe('the ClusterServingRuntime', () => {
  it('declares the v2 protocol and the lossd model format, one server for all models', () => {
    expect(runtime.spec.protocolVersions).toEqual(['v2']);
    expect(runtime.spec.supportedModelFormats?.map((f) => f.name)).toEqual(['lossd']);
    expect(runtime.spec.multiModel).toBe(false);
  });

  it('runs the lossd image listening on container port 8080 on all interfaces', () => {
    expect(container.image).toMatch(/^lossd(:|$)/);
    expect(container.ports?.map((p) => p.containerPort)).toEqual([8080]);
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({ HOST: '0.0.0.0', PORT: '8080' });
    const workers = container.env?.find((e) => e.name === 'LOSSD_WORKERS');
    expect(workers?.valueFrom?.resourceFieldRef).toMatchObject({
      containerName: 'kserve-container',
      resource: 'limits.cpu',
    });
  });

  it("probes the protocol's health routes on the container port", () => {
    expect(container.readinessProbe?.httpGet).toMatchObject({ path: '/v2/health/ready', port: 8080 });
    expect(container.livenessProbe?.httpGet).toMatchObject({ path: '/v2/health/live', port: 8080 });
  });

  it('runs non-root and locked down, as deploy/k8s does', () => {
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.volumeMounts?.map((m) => m.mountPath)).toEqual(['/tmp']);
    expect(runtime.spec.volumes?.map((v) => v.name)).toEqual(container.volumeMounts?.map((m) => m.name));
  });

  it('requests and limits CPU and memory', () => {
    expect(container.resources?.requests).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
    expect(container.resources?.limits?.memory).toBe(container.resources?.requests?.memory);
  });
});

describe('the InferenceService', () => {
  it('uses the lossd runtime and format over protocol v2', () => {
    expect(isvc.spec.predictor.model).toMatchObject({
      runtime: runtime.metadata.name,
      modelFormat: { name: 'lossd' },
      protocolVersion: 'v2',
    });
  });

  it('runs its pods as the non-root user 1000', () => {
    expect(isvc.spec.predictor.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
  });
});
