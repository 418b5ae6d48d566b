/** One line about a job for the CLI: id, state, attempts, and what explains the state. */
import type { Job } from './api.ts';

/** `<id> <state> attempts a/m [<why>]`: the failure, the cancel reason or the label. */
export function jobLine(job: Job): string {
  const why = job.state === 'failed' && job.error ? ` ${job.error.code}: ${job.error.reason}` : job.cancelReason ? ` ${job.cancelReason}` : job.label ? ` ${job.label}` : '';
  return `${job.id} ${job.state} attempts ${job.attempts}/${job.maxAttempts}${why}`;
}
