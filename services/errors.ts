/**
 * The one closed set of errors a service throws for a client's request. Each is a class with a
 * stable `code`; web/errors.ts maps the set by type (`isServiceError`, then a code→status table),
 * never by the shape of an object, and decides what a client may see. Anything else a service throws
 * is a fault of ours and answered as a plain 500.
 *
 * The machines' errors (validation, not found, illegal transition, version conflict, corrupt
 * history) and the model's input errors (invalid image, image too large) are part of the set; the
 * use cases' own are defined here.
 */
import { CorruptHistoryError, FacefleetError, IllegalTransitionError, NotFoundError, ValidationError, VersionConflictError } from '../machines/index.ts';
import { ImageTooLarge, InvalidImage } from '../model/errors.ts';

export { CorruptHistoryError, FacefleetError, IllegalTransitionError, ImageTooLarge, InvalidImage, NotFoundError, ValidationError, VersionConflictError };

/** The request body or an image is larger than allowed. */
export class PayloadTooLargeError extends FacefleetError {
  constructor(
    message: string,
    readonly code: 'payload-too-large' | 'image-too-large' = 'payload-too-large',
  ) {
    super(message);
  }
}

/** The body or a file is of a type we do not accept. */
export class UnsupportedMediaTypeError extends FacefleetError {
  readonly code = 'unsupported-media-type';
}

/** The example photo has no face. */
export class NoFaceError extends FacefleetError {
  readonly code = 'no-face';
}

/** The job ended in `failed`; `reason` is the job's own. */
export class JobFailedError extends FacefleetError {
  readonly code = 'job-failed';
  constructor(
    readonly jobId: string,
    readonly failureCode: string,
    reason: string,
  ) {
    super(`The job failed: ${reason}`);
  }
}

/** The job was cancelled while a client waited for it (the classic `POST /`); `reason` is the cancellation's. */
export class JobCancelledError extends FacefleetError {
  readonly code = 'job-cancelled';
  constructor(
    readonly jobId: string,
    reason: string,
  ) {
    super(`The job was cancelled: ${reason}`);
  }
}

/**
 * A job action (cancel, retry) the job's state does not allow: a finished job cannot be cancelled,
 * only a failed or cancelled job can be retried. The message names the state.
 */
export class JobActionRefusedError extends FacefleetError {
  constructor(
    message: string,
    readonly code: 'job-finished' | 'not-retryable',
    readonly jobId: string,
    readonly state: string,
  ) {
    super(message);
  }
}

/** The job did not finish within the wait; it goes on in the background. */
export class WaitTimeoutError extends FacefleetError {
  readonly code = 'timeout';
  constructor(
    readonly jobId: string,
    timeoutMs: number,
  ) {
    super(`The job ${jobId} did not finish within ${Math.round(timeoutMs / 1000)} s; it is still being processed.`);
  }
}

/** Every error a service throws on purpose. */
export type ServiceError =
  | ValidationError
  | NotFoundError
  | IllegalTransitionError
  | VersionConflictError
  | CorruptHistoryError
  | PayloadTooLargeError
  | UnsupportedMediaTypeError
  | NoFaceError
  | JobFailedError
  | JobCancelledError
  | JobActionRefusedError
  | WaitTimeoutError
  | InvalidImage
  | ImageTooLarge;

const classes = [
  ValidationError,
  NotFoundError,
  IllegalTransitionError,
  VersionConflictError,
  CorruptHistoryError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  NoFaceError,
  JobFailedError,
  JobCancelledError,
  JobActionRefusedError,
  WaitTimeoutError,
  InvalidImage,
  ImageTooLarge,
] as const;

/** True when `error` belongs to the closed set (by class, not by shape). */
export function isServiceError(error: unknown): error is ServiceError {
  return classes.some((kind) => error instanceof kind);
}
