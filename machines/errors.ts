/**
 * The closed set of domain errors. Each has a stable `code` and the HTTP status the web edge
 * answers with; messages are one sentence a user can act on. Lives in machines/ because every
 * other folder may import machines/ (it imports nothing of ours).
 */
export abstract class FacefleetError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The client sent something we refuse (400). */
export class ValidationError extends FacefleetError {
  readonly code = 'validation';
  readonly status = 400;
}

/** The thing asked for does not exist (404). */
export class NotFoundError extends FacefleetError {
  readonly code = 'not-found';
  readonly status = 404;
}

/** The machine refuses the proposed event from the stream's current state (409). Nothing was written. */
export class IllegalTransitionError extends FacefleetError {
  readonly code = 'illegal-transition';
  readonly status = 409;
  constructor(
    readonly stream: string,
    readonly state: string,
    readonly eventType: string,
  ) {
    super(`${eventType} is not allowed on ${stream} in state "${state}"`);
  }
}

/** Someone else appended to the stream first: re-read and judge again (409). */
export class VersionConflictError extends FacefleetError {
  readonly code = 'version-conflict';
  readonly status = 409;
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
  readonly status = 500;
  constructor(
    readonly stream: string,
    readonly seq: number,
    reason: string,
  ) {
    super(`${stream} seq ${seq}: ${reason}`);
  }
}
