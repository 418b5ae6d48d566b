/**
 * A mistake in a command line. The CLI (app/cli) prints its message as one line (no stack) and
 * exits 2. It lives in client/ because the client commands (`facefleet load`) parse their own
 * arguments and client/ imports nothing of the server; app/cli re-exports it.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}
