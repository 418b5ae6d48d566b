/**
 * AWS SDK errors turned into one clear sentence each, with the operation and resource as context
 * and the SDK error kept as `cause`; and the retry with backoff used around every SDK call for the
 * transient kinds (throttling, 5xx, dropped connections).
 */

/** What went wrong, as far as the caller needs to know. */
export type AwsFailureKind =
  | 'credentials'
  | 'region'
  | 'missing-resource'
  | 'access-denied'
  | 'throttled'
  | 'capacity'
  | 'transient'
  | 'other';

/** An AWS call that failed: `kind` says why, `cause` holds the SDK error. */
export class AwsError extends Error {
  override name = 'AwsError';
  constructor(
    readonly kind: AwsFailureKind,
    readonly operation: string,
    message: string,
    options: { cause: unknown; resource?: string; code?: string },
  ) {
    super(message, { cause: options.cause });
    this.resource = options.resource;
    this.code = options.code;
  }
  readonly resource: string | undefined;
  /** The SDK's error name (e.g. `ThrottlingException`). */
  readonly code: string | undefined;
}

const provisionHint = 'run `facefleet provision --backend aws` to create it';

const missingCodes = new Set([
  'AWS.SimpleQueueService.NonExistentQueue',
  'QueueDoesNotExist',
  'NoSuchBucket',
  'ResourceNotFoundException',
]);
const deniedCodes = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'Forbidden', 'AllAccessDisabled']);
const badCredentialCodes = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidAccessKeyId',
  'AuthFailure',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidSignatureException',
  'MissingAuthenticationToken',
]);
const throttleCodes = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceededException',
  'SlowDown',
  'AWS.SimpleQueueService.RequestThrottled',
]);
const capacityCodes = new Set([
  'InsufficientInstanceCapacity',
  'InstanceLimitExceeded',
  'VcpuLimitExceeded',
  'InsufficientFreeAddressesInSubnet',
  'MaxSpotInstanceCountExceeded',
]);
const transientCodes = new Set([
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

interface SdkErrorLike {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

/** The SDK's error code: `name` for SDK v3 service errors, `code` for Node network errors. */
export function errorCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  const e = error as SdkErrorLike;
  const name = e.name && e.name !== 'Error' ? e.name : undefined;
  return name ?? e.code ?? e.Code ?? '';
}

function status(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null ? (error as SdkErrorLike).$metadata?.httpStatusCode : undefined;
}

/** Classifies an SDK error. */
export function classify(error: unknown): AwsFailureKind {
  if (error instanceof AwsError) return error.kind;
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'CredentialsProviderError' || /could not load credentials/i.test(message)) return 'credentials';
  if (/region is missing/i.test(message) || code === 'RegionMissingError') return 'region';
  if (badCredentialCodes.has(code)) return 'credentials';
  if (missingCodes.has(code) || /NonExistentQueue|does not exist/i.test(code)) return 'missing-resource';
  if (deniedCodes.has(code)) return 'access-denied';
  if (throttleCodes.has(code) || status(error) === 429) return 'throttled';
  if (capacityCodes.has(code)) return 'capacity';
  if (transientCodes.has(code)) return 'transient';
  const http = status(error);
  if (http !== undefined && http >= 500) return 'transient';
  return 'other';
}

/** True for the kinds worth trying again. */
export function isRetryable(error: unknown): boolean {
  const kind = classify(error);
  return kind === 'throttled' || kind === 'transient';
}

/** Where a call went: `{ service: 'SQS', operation: 'ReceiveMessage', resource: 'facefleet-requests' }`. */
export interface CallContext {
  service: string;
  operation: string;
  resource?: string;
}

/** Wraps an SDK error into an AwsError with one sentence a user can act on (an AwsError passes through). */
export function wrapAwsError(error: unknown, context: CallContext): AwsError {
  if (error instanceof AwsError) return error;
  const kind = classify(error);
  const code = errorCode(error);
  const what = `${context.service} ${context.operation}${context.resource ? ` on ${context.resource}` : ''}`;
  const detail = error instanceof Error && error.message ? `: ${error.message.split('\n')[0]}` : '';
  let message: string;
  switch (kind) {
    case 'credentials':
      message = `${what} failed: no usable AWS credentials (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run on an instance with a role)${detail}`;
      break;
    case 'region':
      message = `${what} failed: no AWS region is set (set aws.region in the config or AWS_REGION)`;
      break;
    case 'missing-resource':
      message = `${what} failed: ${context.resource ?? 'the resource'} does not exist; ${provisionHint}`;
      break;
    case 'access-denied':
      message = `${what} was denied: the credentials lack this permission (attach deploy/aws/iam-policy.json)${detail}`;
      break;
    case 'throttled':
      message = `${what} was throttled by AWS and still failed after retries${detail}`;
      break;
    case 'capacity':
      message = `${what} failed: EC2 has no capacity or quota for this launch (${code}); try another instance type or subnet, or raise the limit${detail}`;
      break;
    case 'transient':
      message = `${what} failed with a temporary AWS error after retries${detail}`;
      break;
    case 'other':
      message = `${what} failed${code ? ` (${code})` : ''}${detail}`;
      break;
    default: {
      const never: never = kind;
      throw new Error(`unknown kind ${String(never)}`);
    }
  }
  return new AwsError(kind, context.operation, message, { cause: error, resource: context.resource, code: code || undefined });
}

export interface RetryOptions {
  /** Tries in all, the first included (default 5). */
  attempts?: number;
  /** First backoff, ms (default 100); doubles each time, with full jitter. */
  baseMs?: number;
  /** Longest backoff, ms (default 5000). */
  maxMs?: number;
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs one AWS call, retrying throttling and transient failures with exponential backoff and full
 * jitter; any failure that remains is thrown as an AwsError with context. Errors `passThrough`
 * accepts (e.g. a conditional check the caller handles) are rethrown untouched and never retried.
 */
export async function callAws<T>(
  context: CallContext,
  fn: () => Promise<T>,
  options: RetryOptions & { passThrough?: (error: unknown) => boolean } = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  const baseMs = options.baseMs ?? 100;
  const maxMs = options.maxMs ?? 5000;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn();
    } catch (error) {
      if (options.passThrough?.(error)) throw error;
      if (attempt >= attempts || !isRetryable(error)) throw wrapAwsError(error, context);
      const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
      await sleep(Math.round(random() * ceiling));
    }
  }
}

/** True when the error is the SDK error named `code` (or an AwsError caused by it). */
export function hasCode(error: unknown, ...codes: string[]): boolean {
  const inner = error instanceof AwsError ? error.cause : error;
  return codes.includes(errorCode(inner));
}
