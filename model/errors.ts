/**
 * The model's closed set of input errors. Each has a stable `code`, so the worker can fail a job
 * with a clear reason and the web edge can answer with a 4xx (its code→status table).
 */

/** The bytes are not an image we accept (empty, truncated, not JPEG/PNG/WebP, corrupt). */
export class InvalidImage extends Error {
  override name = 'InvalidImage';
  readonly code = 'invalid-image' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The image is larger than the pixel limit (this includes decompression bombs). */
export class ImageTooLarge extends Error {
  override name = 'ImageTooLarge';
  readonly code = 'image-too-large' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** No face was found where one was required (enrolment). */
export class NoFaceFound extends Error {
  override name = 'NoFaceFound';
  readonly code = 'no-face' as const;
  constructor(message = 'No face was found in the image.') {
    super(message);
  }
}

/** The errors the model raises for a client's input. */
export type ModelInputError = InvalidImage | ImageTooLarge | NoFaceFound;

/** True when `error` is one of the model's input errors (a client mistake, not a crash). */
export function isModelInputError(error: unknown): error is ModelInputError {
  return error instanceof InvalidImage || error instanceof ImageTooLarge || error instanceof NoFaceFound;
}
