/**
 * Errors that are the infrastructure's, not the job's: a full or read-only disk, a permission
 * problem, an I/O error, a busy or full database, a storage service that is unavailable. Such a job
 * is handed back without using up an attempt, and what a client reads names the cause in words,
 * never the path (a Node error message carries the absolute path of the file).
 */

const fileSystemCauses: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'an input/output error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EBUSY: 'the resource is busy',
  EAGAIN: 'the resource is temporarily unavailable',
};

const databaseCauses: Record<string, string> = {
  SQLITE_FULL: 'the database disk is full',
  SQLITE_IOERR: 'a database input/output error',
  SQLITE_READONLY: 'the database is read-only',
  SQLITE_CANTOPEN: 'the database cannot be opened',
  SQLITE_BUSY: 'the database is busy',
  SQLITE_PERM: 'database permission denied',
};

/** What an AWS SDK v3 error carries that tells a service problem from a request problem. */
interface ServiceErrorShape {
  name?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/**
 * A client-safe description of an infrastructure error, or undefined when `error` is not one. An
 * adapter's wrapping error (`appending to … failed`) is looked through to its `cause`.
 */
export function infrastructureCause(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  const own = ownCause(error);
  return own ?? infrastructureCause((error as { cause?: unknown }).cause, depth + 1);
}

function ownCause(error: object): string | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (fileSystemCauses[code]) return `storage error ${code}: ${fileSystemCauses[code]}`;
    // SQLite extended codes (SQLITE_IOERR_WRITE, SQLITE_BUSY_SNAPSHOT …) share their primary's cause.
    const primary = Object.keys(databaseCauses).find((known) => code === known || code.startsWith(`${known}_`));
    if (primary) return `storage error ${code}: ${databaseCauses[primary]}`;
  }
  const service = error as ServiceErrorShape;
  const status = service.$metadata?.httpStatusCode;
  if (service.$retryable !== undefined || (typeof status === 'number' && status >= 500)) {
    return `storage service unavailable (${service.name ?? 'error'}${status ? ` ${status}` : ''})`;
  }
  return undefined;
}
