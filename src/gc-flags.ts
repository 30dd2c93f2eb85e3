// V8 flags for the collector, set before anything is allocated (imported first by server.ts).
//
// A request's bytes live outside the JS heap, in ArrayBuffers: socket chunks, the body, the
// response a worker hands back. V8 by default starts a full collection of the whole heap each
// time such external memory grows by 64 MB since the last one, however little of the heap is
// garbage: under medium and large requests the main thread ran 10-13 mark-compacts a second,
// a fifth of its time (BENCHMARKS.md, round 2). With external memory counted within the heap's
// global limit instead, those collections come when memory as a whole calls for them. Node 24
// and later only (V8 13.6+); earlier lines do not have the flag and keep their default.

import { setFlagsFromString } from 'node:v8';

const major = Number(process.versions.node.split('.')[0]);
if (major >= 24) setFlagsFromString('--external-memory-accounted-in-global-limit');
