/** Tiny benchmark harness: runs a batch repeatedly until enough time has passed, best of rounds. */
import { performance } from "node:perf_hooks";

export interface Measurement {
  /** operations per second (best round) */
  opsPerSec: number;
  /** milliseconds per operation (best round) */
  msPerOp: number;
}

/**
 * Measures `fn` (one call = `opsPerCall` operations): warms up, then takes the best of `rounds`
 * rounds of at least `minMs` each. Best-of filters scheduler noise on a shared 2-core machine.
 */
export function measure(
  fn: () => void,
  opts: { minMs?: number; rounds?: number; opsPerCall?: number } = {},
): Measurement {
  const minMs = opts.minMs ?? 200;
  const rounds = opts.rounds ?? 3;
  const opsPerCall = opts.opsPerCall ?? 1;
  // Warm-up: let the JIT settle and size a batch that takes ~minMs/10.
  let batch = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) fn();
    const dt = performance.now() - t0;
    if (dt >= minMs / 10) break;
    batch *= 2;
  }
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    let calls = 0;
    const t0 = performance.now();
    let dt: number;
    do {
      for (let i = 0; i < batch; i++) fn();
      calls += batch;
      dt = performance.now() - t0;
    } while (dt < minMs);
    best = Math.min(best, dt / (calls * opsPerCall));
  }
  return { opsPerSec: Math.round(1000 / best), msPerOp: best };
}
