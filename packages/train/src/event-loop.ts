/**
 * Lets timers, I/O and messages through during a long loop. On the cpu and wasm backends tfjs's
 * reads resolve at once, so awaiting them runs only microtasks, and a whole fit would otherwise
 * hold the event loop: no timer or signal handler runs, and a test worker that cannot answer its
 * runner for 60 s is reported as an error. Yields at most every `everyMs`, so the cost is nil.
 */
export function eventLoopYielder(everyMs = 100): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < everyMs) return;
    await new Promise<void>((resolve) => {
      if (typeof setImmediate === 'function') setImmediate(resolve);
      else setTimeout(resolve, 0);
    });
    last = performance.now();
  };
}
