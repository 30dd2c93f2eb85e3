// The part of autocannon's programmatic API the benchmarks use (the package ships no types).

declare module 'autocannon' {
  export interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    p50: number;
    p90: number;
    p97_5: number;
    p99: number;
    total: number;
  }
  export interface Result {
    requests: Histogram;
    latency: Histogram;
    throughput: Histogram;
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
  }
  export interface Options {
    url: string;
    method?: string;
    body?: string | Buffer;
    headers?: Record<string, string>;
    connections?: number;
    duration?: number;
    amount?: number;
    timeout?: number;
    workers?: number;
    /** ms between samples of the request and byte counts (default 1000) */
    sampleInt?: number;
    /** Requests each connection sends in turn, over and over (instead of one). */
    requests?: Array<{ method?: string; path?: string; body?: string | Buffer; headers?: Record<string, string> }>;
  }
  function autocannon(opts: Options): Promise<Result>;
  export default autocannon;
}
