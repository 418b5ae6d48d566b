/**
 * The job use cases' own outcomes that the web answers with a status: a job that failed (422) and a
 * wait that ran out of time (504). Both carry a stable `code` like every domain error.
 */
import { FacefleetError } from '../../machines/index.ts';

/** The job ended in `failed`; `reason` is the job's own (422). */
export class JobFailedError extends FacefleetError {
  readonly code = 'job-failed';
  readonly status = 422;
  constructor(
    readonly jobId: string,
    readonly failureCode: string,
    reason: string,
  ) {
    super(`The job failed: ${reason}`);
  }
}

/** The job did not finish within the wait (504); it goes on in the background. */
export class WaitTimeoutError extends FacefleetError {
  readonly code = 'timeout';
  readonly status = 504;
  /** A gateway timeout is the server's, yet its message is safe to show. */
  readonly expose = true;
  constructor(
    readonly jobId: string,
    timeoutMs: number,
  ) {
    super(`The job ${jobId} did not finish within ${Math.round(timeoutMs / 1000)} s; it is still being processed.`);
  }
}
