// The module the server writes from src/http/playground/examples.ts and serves beside the
// script (/playground/assets/examples.js): per loss, where the default sweep differs.
export declare const EXAMPLES: Readonly<
  Record<string, { readonly sweep?: readonly [number, number]; readonly element?: number }>
>;
