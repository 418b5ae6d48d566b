/**
 * Awaits a condition by polling, for the places where no event exists to await (another process's
 * state, an EC2 instance's status). Never a fixed sleep: it returns as soon as the probe answers.
 */
export interface WaitForOptions {
  /** Give up after this long, ms (default 5000). */
  timeoutMs?: number;
  /** Probe this often, ms (default 25). */
  intervalMs?: number;
  /** What we were waiting for, for the error message. */
  what?: string;
}

/**
 * Calls `probe` until it returns something other than undefined, null or false, and resolves with
 * that value; rejects with the last value (or the probe's last error) when the deadline passes.
 */
export async function waitFor<T>(probe: () => T | Promise<T>, options: WaitForOptions = {}): Promise<Exclude<T, undefined | null | false>> {
  const { timeoutMs = 5000, intervalMs = 25, what = 'a condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      lastError = undefined;
      if (value !== undefined && value !== null && value !== false) return value as Exclude<T, undefined | null | false>;
      last = value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError === undefined ? `last value: ${JSON.stringify(last)}` : `last error: ${String(lastError)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${detail})`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
