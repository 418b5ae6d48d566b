/**
 * What travels on the queues. Bodies are JSON parsed with zod at the receiving end: a malformed
 * message is a bug or an attack, never a crash.
 */
import { z } from 'zod';

/** Request queue: a job to process. The job stream holds everything else. */
export const requestMessage = z.object({ jobId: z.string().min(1).max(200) });
export type RequestMessage = z.infer<typeof requestMessage>;

/** Response queue: a job reached done, failed or cancelled (a wake-up for the web tier; the stream is the truth). */
export const responseMessage = z.object({
  jobId: z.string().min(1).max(200),
  state: z.enum(['done', 'failed', 'cancelled']),
});
export type ResponseMessage = z.infer<typeof responseMessage>;

/** Parses a queue body; undefined when it is not valid JSON of that shape. */
export function parseMessage<T>(schema: z.ZodType<T>, body: string): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
