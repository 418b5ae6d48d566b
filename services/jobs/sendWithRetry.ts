/**
 * The request message of a job that is already stored: if the send fails, it is tried again a few
 * times in the background (0.5 s, 2 s, 8 s) instead of waiting for `requeueOrphans`, which only
 * re-sends jobs unchanged for minutes. The job is durable either way, so the upload is answered at
 * once; a duplicate send is harmless (delivery is at-least-once).
 */
import type { Queue } from '../../adapters/ports.ts';

export const resendDelaysMs = [500, 2000, 8000] as const;

export interface SendOutcome {
  /** Resolves true once the message is sent, false when every retry failed (requeueOrphans will). */
  settled: Promise<boolean>;
}

export async function sendWithRetry(
  requests: Queue,
  body: string,
  onFailure: (attempt: number, error: unknown, last: boolean) => void,
  delaysMs: readonly number[] = resendDelaysMs,
): Promise<SendOutcome> {
  try {
    await requests.send(body);
    return { settled: Promise.resolve(true) };
  } catch (error) {
    onFailure(1, error, delaysMs.length === 0);
  }
  const settled = (async () => {
    for (const [i, delay] of delaysMs.entries()) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      try {
        await requests.send(body);
        return true;
      } catch (error) {
        onFailure(i + 2, error, i === delaysMs.length - 1);
      }
    }
    return false;
  })();
  return { settled };
}
