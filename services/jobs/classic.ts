/**
 * The classic course client's use case: submit one image and answer `<name>:<label>` once the job is
 * done (the label is the largest face's subject name, `unknown` or `no-face`).
 */
import type { ChangeFeed } from '../changeFeed.ts';
import { baseName, type UploadFile } from '../uploads.ts';
import { awaitJob, type AwaitOptions } from './awaitJob.ts';
import { JobFailedError } from './errors.ts';
import { submitJobs, type SubmitDeps } from './submitJobs.ts';

export interface ClassicAnswer {
  jobId: string;
  /** `<file name without extension>:<label>`. */
  text: string;
}

/**
 * Submits the image and waits for its job. Throws the upload's 4xx errors, JobFailedError (422) when
 * the job failed, WaitTimeoutError (504) when it did not finish in time.
 */
export async function recognizeClassic(
  deps: SubmitDeps & { feed: ChangeFeed },
  file: UploadFile,
  options: AwaitOptions & { field?: string },
): Promise<ClassicAnswer> {
  const [job] = await submitJobs(deps, [file], { source: 'classic', field: options.field ?? 'inputFile' });
  if (!job) throw new Error('submitJobs returned no job');
  const row = await awaitJob(deps, job.id, options);
  if (row.state === 'failed') {
    const error = row.context.error as { code?: string; reason?: string } | null;
    throw new JobFailedError(job.id, error?.code ?? 'unknown', error?.reason ?? 'no reason was recorded');
  }
  const label = typeof row.context.label === 'string' ? row.context.label : 'unknown';
  return { jobId: job.id, text: `${baseName(job.fileName)}:${label}` };
}
