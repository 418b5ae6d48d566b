/**
 * The closed set of domain errors. Each has a stable `code` (web/errors.ts maps codes to HTTP
 * statuses); messages are one sentence a user can act on. Lives in machines/ because every
 * other folder may import machines/ (it imports nothing of ours).
 */
export abstract class FacefleetError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The client sent something we refuse. */
export class ValidationError extends FacefleetError {
  readonly code = 'validation';
}

/** The thing asked for does not exist. */
export class NotFoundError extends FacefleetError {
  readonly code = 'not-found';
}

/** The machine refuses the proposed event from the stream's current state. Nothing was written. */
export class IllegalTransitionError extends FacefleetError {
  readonly code = 'illegal-transition';
  constructor(
    readonly stream: string,
    readonly state: string,
    readonly eventType: string,
  ) {
    super(`${eventType} is not allowed on ${stream} in state "${state}"`);
  }
}

/** Someone else appended to the stream first: re-read and judge again. */
export class VersionConflictError extends FacefleetError {
  readonly code = 'version-conflict';
  constructor(
    readonly stream: string,
    readonly expectedSeq: number,
    readonly actualSeq?: number,
  ) {
    super(`${stream} has moved past seq ${expectedSeq}${actualSeq === undefined ? '' : ` (now at ${actualSeq})`}`);
  }
}

/** A stored history that the machine cannot fold (unknown type, refused event, invalid data). */
export class CorruptHistoryError extends FacefleetError {
  readonly code = 'corrupt-history';
  constructor(
    readonly stream: string,
    readonly seq: number,
    reason: string,
  ) {
    super(`${stream} seq ${seq}: ${reason}`);
  }
}
