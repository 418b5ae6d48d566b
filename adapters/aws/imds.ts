/**
 * The EC2 instance metadata service, version 2 only: PUT a session token, then GET with it. Used for
 * `Compute.selfId()` on a worker. The endpoint is configurable (tests point it at a local server).
 */

export interface ImdsOptions {
  /** Default `http://169.254.169.254` (or FACEFLEET_IMDS_ENDPOINT / AWS_EC2_METADATA_SERVICE_ENDPOINT). */
  endpoint?: string;
  /** Per request, ms (default 1000): off EC2 nothing answers, and we must not hang. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface Imds {
  /** The instance id (`i-…`), or undefined when no metadata service answers (not on EC2). */
  instanceId(): Promise<string | undefined>;
  /** Any metadata path under `/latest/meta-data/`, or undefined. */
  get(path: string): Promise<string | undefined>;
}

/** The default endpoint, from the environment when set. */
export function defaultImdsEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return env.FACEFLEET_IMDS_ENDPOINT ?? env.AWS_EC2_METADATA_SERVICE_ENDPOINT ?? 'http://169.254.169.254';
}

/** An IMDSv2 client; the token is fetched once and renewed when it expires or is refused. */
export function createImds(options: ImdsOptions = {}): Imds {
  const base = (options.endpoint ?? defaultImdsEndpoint()).replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 1000;
  const doFetch = options.fetch ?? fetch;
  const ttlSeconds = 21600;
  let token: { value: string; expiresAt: number } | undefined;

  async function getToken(): Promise<string | undefined> {
    if (token && token.expiresAt > Date.now()) return token.value;
    const response = await doFetch(`${base}/latest/api/token`, {
      method: 'PUT',
      headers: { 'X-aws-ec2-metadata-token-ttl-seconds': String(ttlSeconds) },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) return undefined;
    token = { value: (await response.text()).trim(), expiresAt: Date.now() + (ttlSeconds - 60) * 1000 };
    return token.value;
  }

  async function get(path: string): Promise<string | undefined> {
    try {
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const value = await getToken();
        if (!value) return undefined;
        const response = await doFetch(`${base}/latest/meta-data/${path.replace(/^\/+/, '')}`, {
          headers: { 'X-aws-ec2-metadata-token': value },
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (response.status === 401) {
          token = undefined; // expired or refused: take a new one once
          continue;
        }
        if (!response.ok) return undefined;
        return (await response.text()).trim();
      }
      return undefined;
    } catch {
      return undefined; // nothing listens: not on EC2
    }
  }

  return { get, instanceId: () => get('instance-id') };
}
