/**
 * The one closed set of errors a service throws for a client's request. Each is a class with a
 * stable `code` and the HTTP status the web edge answers with; web/errors.ts maps them by type
 * (`isServiceError`), never by the shape of an object. Anything else a service throws is a fault of
 * ours and answered as a plain 500.
 *
 * The machines' errors (validation, not found, illegal transition, version conflict, corrupt
 * history) and the model's input errors (invalid image, image too large) are part of the set; the
 * use cases' own are defined here.
 */
import { CorruptHistoryError, FacefleetError, IllegalTransitionError, NotFoundError, ValidationError, VersionConflictError } from '../machines/index.ts';
import { ImageTooLarge, InvalidImage } from '../model/errors.ts';

export { CorruptHistoryError, FacefleetError, IllegalTransitionError, ImageTooLarge, InvalidImage, NotFoundError, ValidationError, VersionConflictError };

/** The request body or an image is larger than allowed (413). */
export class PayloadTooLargeError extends FacefleetError {
  readonly status = 413;
  constructor(
    message: string,
    readonly code: 'payload-too-large' | 'image-too-large' = 'payload-too-large',
  ) {
    super(message);
  }
}

/** The body or a file is of a type we do not accept (415). */
export class UnsupportedMediaTypeError extends FacefleetError {
  readonly code = 'unsupported-media-type';
  readonly status = 415;
}

/** The example photo has no face (422). */
export class NoFaceError extends FacefleetError {
  readonly code = 'no-face';
  readonly status = 422;
}

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
  WaitTimeoutError,
  InvalidImage,
  ImageTooLarge,
] as const;

/** True when `error` belongs to the closed set (by class, not by shape). */
export function isServiceError(error: unknown): error is ServiceError {
  return classes.some((kind) => error instanceof kind);
}

/** Whether the client may see the message: its own mistakes (4xx) and errors that say so (the 504 of a wait). */
export function isShown(error: ServiceError): boolean {
  return (error.status >= 400 && error.status <= 499) || ('expose' in error && error.expose === true);
}
