export interface EventuallyOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** Pause between attempts (default 50 ms). */
  intervalMs?: number;
}

/**
 * Polls `check` until it returns (or resolves) without throwing, and returns its value. On timeout, throws
 * the last failure (a jest `expect` error keeps its diff) with the waited time in the message. This is how
 * tests wait for asynchronous effects — never a fixed sleep.
 */
export async function expectEventually<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 30_000, intervalMs = 50 }: EventuallyOptions = {},
): Promise<T> {
  const started = Date.now();
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      return await check();
    } catch (error) {
      const waited = Date.now() - started;
      if (waited >= timeoutMs) {
        if (error instanceof Error) {
          error.message = `still failing after ${waited} ms (${attempts} attempts): ${error.message}`;
          throw error;
        }
        throw new Error(`still failing after ${waited} ms (${attempts} attempts): ${String(error)}`);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, Math.max(0, timeoutMs - (Date.now() - started)))));
  }
}
