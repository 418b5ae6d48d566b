/**
 * The classic course client's use case: submit one image, then answer `<name>:<label>` once its job
 * is done (the label is the largest face's subject name, `unknown` or `no-face`). Two steps, so the
 * web tier can drop the uploaded temp file as soon as the job is submitted and only then wait.
 */
import type { ChangeFeed } from '../streams/changeFeed.ts';
import { baseName, type UploadFile } from '../uploads/uploads.ts';
import { awaitJob, type AwaitOptions } from './awaitJob.ts';
import { JobCancelledError, JobFailedError } from '../errors.ts';
import { submitJobs, type SubmitDeps, type SubmittedJob } from './submitJobs.ts';

export interface ClassicAnswer {
  jobId: string;
  /** `<file name without extension>:<label>`. */
  text: string;
}

/** Checks and submits the one image of a classic request (field named in errors: `inputFile`). */
export async function submitClassic(deps: SubmitDeps, files: readonly UploadFile[], field = 'inputFile', idempotencyKey?: string): Promise<SubmittedJob> {
  const [job] = await submitJobs(deps, files, { source: 'classic', field, ...(idempotencyKey ? { idempotencyKey } : {}) });
  if (!job) throw new Error('submitJobs returned no job');
  return job;
}

/**
 * Waits for the submitted job and shapes the classic answer. Throws JobFailedError (422) when the
 * job failed, JobCancelledError (409) when a client cancelled it, WaitTimeoutError (504) when it did
 * not finish in time.
 */
export async function classicAnswer(
  deps: Pick<SubmitDeps, 'store'> & { feed: ChangeFeed },
  job: Pick<SubmittedJob, 'id' | 'fileName'>,
  options: AwaitOptions,
): Promise<ClassicAnswer> {
  const row = await awaitJob(deps, job.id, options);
  if (row.state === 'failed') {
    const error = row.context.error as { code?: string; reason?: string } | null;
    throw new JobFailedError(job.id, error?.code ?? 'unknown', error?.reason ?? 'no reason was recorded');
  }
  if (row.state === 'cancelled') {
    const reason = typeof row.context.cancelReason === 'string' ? row.context.cancelReason : 'no reason was recorded';
    throw new JobCancelledError(job.id, reason);
  }
  const label = typeof row.context.label === 'string' ? row.context.label : 'unknown';
  return { jobId: job.id, text: `${baseName(job.fileName)}:${label}` };
}
