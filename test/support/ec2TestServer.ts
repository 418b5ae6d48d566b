/**
 * A small EC2 for tests, on 127.0.0.1: the Query-protocol actions facefleet uses (RunInstances,
 * DescribeInstances, TerminateInstances), driven by the real @aws-sdk/client-ec2 (its endpoint set
 * here), and an IMDSv2 endpoint per instance. Each instance it "runs" is a local process started
 * with the given command and the environment written in its user data (as the real user data
 * would export it), plus FACEFLEET_IMDS_ENDPOINT pointing at its own metadata. Terminating sends
 * SIGTERM (SIGKILL after a grace); a process that exits by itself makes its instance `terminated`,
 * as InstanceInitiatedShutdownBehavior=terminate does on EC2.
 *
 * Failures can be injected per action (`failNext`) to drive the SDK's error handling over the wire.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseUserDataEnv } from '../../adapters/aws/ec2Compute.ts';

export interface Ec2TestServerOptions {
  /** The command each instance runs (e.g. `[process.execPath, '--import', 'tsx', worker]`). */
  command: string[];
  cwd?: string;
  /** Extra environment for every instance (before its user data). */
  env?: Record<string, string>;
  /** SIGTERM → SIGKILL grace, ms (default 5000). */
  graceMs?: number;
  /** Environment of one instance (after its user data), e.g. credentials of its own as an instance profile gives. */
  instanceEnv?: (providerId: string) => Record<string, string>;
  /** Where instance output goes (default: discarded). */
  onOutput?: (providerId: string, line: string) => void;
}

export interface TestInstance {
  providerId: string;
  state: 'pending' | 'running' | 'shutting-down' | 'terminated';
  tags: Record<string, string>;
  userData: string;
  env: Record<string, string>;
  params: Record<string, string>;
  launchTime: Date;
  clientToken?: string;
  process?: ChildProcess;
  exitCode?: number | null;
}

export interface Ec2TestServer {
  /** The EC2 API endpoint for the SDK client. */
  endpoint: string;
  /** The IMDS base URL an instance sees. */
  imdsEndpointFor(providerId: string): string;
  /** Every API call received: action, its flattened parameters, and the caller's access key id (from the signature). */
  readonly calls: Array<{ action: string; params: Record<string, string>; accessKeyId?: string }>;
  instances(): TestInstance[];
  /** The next `times` calls of `action` fail with this EC2 error code (HTTP 400, or 503 for throttling). */
  failNext(action: string, code: string, options?: { times?: number; message?: string; status?: number }): void;
  /** Kills every instance process and closes the server. */
  stop(): Promise<void>;
}

const stateCodes = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48 } as const;

const xmlEscape = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** `Prefix.1.Key=…` parameters as an ordered list of objects / values. */
function listOf(params: Record<string, string>, prefix: string): string[] {
  const values: string[] = [];
  for (let i = 1; params[`${prefix}.${i}`] !== undefined; i += 1) values.push(params[`${prefix}.${i}`] as string);
  return values;
}

function tagsOf(params: Record<string, string>): Record<string, string> {
  const tags: Record<string, string> = {};
  for (let s = 1; params[`TagSpecification.${s}.ResourceType`] !== undefined; s += 1) {
    if (params[`TagSpecification.${s}.ResourceType`] !== 'instance') continue;
    for (let t = 1; params[`TagSpecification.${s}.Tag.${t}.Key`] !== undefined; t += 1) {
      tags[params[`TagSpecification.${s}.Tag.${t}.Key`] as string] = params[`TagSpecification.${s}.Tag.${t}.Value`] ?? '';
    }
  }
  return tags;
}

function instanceXml(instance: TestInstance): string {
  const tags = Object.entries(instance.tags)
    .map(([key, value]) => `<item><key>${xmlEscape(key)}</key><value>${xmlEscape(value)}</value></item>`)
    .join('');
  return [
    '<item>',
    `<instanceId>${instance.providerId}</instanceId>`,
    `<imageId>${xmlEscape(instance.params.ImageId ?? 'ami-test')}</imageId>`,
    `<instanceState><code>${stateCodes[instance.state]}</code><name>${instance.state}</name></instanceState>`,
    `<instanceType>${xmlEscape(instance.params.InstanceType ?? 't3.micro')}</instanceType>`,
    `<launchTime>${instance.launchTime.toISOString()}</launchTime>`,
    `<tagSet>${tags}</tagSet>`,
    '</item>',
  ].join('');
}

/** Starts the server on 127.0.0.1:<free port>. */
export async function startEc2TestServer(options: Ec2TestServerOptions): Promise<Ec2TestServer> {
  const instances = new Map<string, TestInstance>();
  const byToken = new Map<string, TestInstance>();
  const tokens = new Map<string, string>(); // IMDS token → provider id
  const calls: Ec2TestServer['calls'] = [];
  const failures = new Map<string, Array<{ code: string; message: string; status: number }>>();
  const graceMs = options.graceMs ?? 5000;
  let endpoint = '';

  const respond = (response: ServerResponse, status: number, body: string, type = 'text/xml') => {
    response.writeHead(status, { 'content-type': type, 'x-amzn-requestid': randomBytes(8).toString('hex') });
    response.end(body);
  };
  const ok = (response: ServerResponse, action: string, inner: string) =>
    respond(response, 200, `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${randomBytes(8).toString('hex')}</requestId>${inner}</${action}Response>`);
  const fail = (response: ServerResponse, status: number, code: string, message: string) =>
    respond(response, status, `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error></Errors><RequestID>${randomBytes(8).toString('hex')}</RequestID></Response>`);

  function start(instance: TestInstance): void {
    const [file, ...args] = options.command;
    if (!file) throw new Error('the EC2 test server needs a command');
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: {
        ...process.env,
        ...options.env,
        ...instance.env,
        ...options.instanceEnv?.(instance.providerId),
        FACEFLEET_IMDS_ENDPOINT: `${endpoint}/imds/${instance.providerId}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    instance.process = child;
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line) options.onOutput?.(instance.providerId, line);
    };
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
    child.once('spawn', () => {
      if (instance.state === 'pending') instance.state = 'running';
    });
    child.once('error', (error) => {
      options.onOutput?.(instance.providerId, `spawn failed: ${error.message}`);
      instance.state = 'terminated';
    });
    child.once('exit', (code) => {
      instance.exitCode = code;
      instance.state = 'terminated';
    });
  }

  function runInstances(params: Record<string, string>, response: ServerResponse): void {
    const token = params.ClientToken;
    const known = token ? byToken.get(token) : undefined;
    if (known) return ok(response, 'RunInstances', `<reservationId>r-${known.providerId.slice(2)}</reservationId><ownerId>000000000000</ownerId><instancesSet>${instanceXml(known)}</instancesSet>`);
    const count = Number(params.MaxCount ?? 1);
    const launched: TestInstance[] = [];
    for (let i = 0; i < count; i += 1) {
      const userData = params.UserData ? Buffer.from(params.UserData, 'base64').toString('utf8') : '';
      const instance: TestInstance = {
        providerId: `i-${randomBytes(8).toString('hex')}`,
        state: 'pending',
        tags: tagsOf(params),
        userData,
        env: parseUserDataEnv(userData),
        params,
        launchTime: new Date(),
        clientToken: token,
      };
      instances.set(instance.providerId, instance);
      if (token) byToken.set(token, instance);
      start(instance);
      launched.push(instance);
    }
    ok(response, 'RunInstances', `<reservationId>r-${randomBytes(8).toString('hex')}</reservationId><ownerId>000000000000</ownerId><instancesSet>${launched.map(instanceXml).join('')}</instancesSet>`);
  }

  function describeInstances(params: Record<string, string>, response: ServerResponse): void {
    const ids = listOf(params, 'InstanceId');
    let selected = [...instances.values()].filter((i) => ids.length === 0 || ids.includes(i.providerId));
    for (let f = 1; params[`Filter.${f}.Name`] !== undefined; f += 1) {
      const name = params[`Filter.${f}.Name`] as string;
      const values = listOf(params, `Filter.${f}.Value`);
      selected = selected.filter((i) => {
        if (name.startsWith('tag:')) return values.includes(i.tags[name.slice(4)] ?? '\u0000');
        if (name === 'tag-key') return values.some((v) => v in i.tags);
        if (name === 'instance-state-name') return values.includes(i.state);
        return true;
      });
    }
    const reservations = selected.map((i) => `<item><reservationId>r-${i.providerId.slice(2)}</reservationId><ownerId>000000000000</ownerId><instancesSet>${instanceXml(i)}</instancesSet></item>`).join('');
    ok(response, 'DescribeInstances', `<reservationSet>${reservations}</reservationSet>`);
  }

  function terminateInstances(params: Record<string, string>, response: ServerResponse): void {
    const ids = listOf(params, 'InstanceId');
    const missing = ids.find((id) => !instances.has(id));
    if (missing) return fail(response, 400, 'InvalidInstanceID.NotFound', `The instance ID '${missing}' does not exist`);
    const items = ids.map((id) => {
      const instance = instances.get(id) as TestInstance;
      const previous = instance.state;
      if (instance.state !== 'terminated') {
        instance.state = 'shutting-down';
        const child = instance.process;
        if (child && child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          timer.unref();
          child.once('exit', () => clearTimeout(timer));
        } else instance.state = 'terminated';
      }
      return `<item><instanceId>${id}</instanceId><currentState><code>${stateCodes[instance.state]}</code><name>${instance.state}</name></currentState><previousState><code>${stateCodes[previous]}</code><name>${previous}</name></previousState></item>`;
    });
    ok(response, 'TerminateInstances', `<instancesSet>${items.join('')}</instancesSet>`);
  }

  function imds(request: IncomingMessage, response: ServerResponse, providerId: string, path: string): void {
    const instance = instances.get(providerId);
    if (!instance) return respond(response, 404, 'not found', 'text/plain');
    if (path === '/latest/api/token') {
      if (request.method !== 'PUT' || !request.headers['x-aws-ec2-metadata-token-ttl-seconds']) return respond(response, 400, 'bad request', 'text/plain');
      const token = randomBytes(16).toString('base64url');
      tokens.set(token, providerId);
      return respond(response, 200, token, 'text/plain');
    }
    const token = request.headers['x-aws-ec2-metadata-token'];
    if (typeof token !== 'string' || tokens.get(token) !== providerId) return respond(response, 401, 'unauthorized', 'text/plain');
    if (path === '/latest/meta-data/instance-id') return respond(response, 200, providerId, 'text/plain');
    respond(response, 404, 'not found', 'text/plain');
  }

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const metadata = /^\/imds\/([^/]+)(\/.*)$/.exec(url.pathname);
      if (metadata) return imds(request, response, metadata[1] as string, metadata[2] as string);
      const params = Object.fromEntries(new URLSearchParams(await readBody(request)));
      const action = params.Action ?? '';
      const accessKeyId = /Credential=([^/,\s]+)\//.exec(request.headers.authorization ?? '')?.[1];
      calls.push({ action, params, ...(accessKeyId ? { accessKeyId } : {}) });
      const injected = failures.get(action)?.shift();
      if (injected) return fail(response, injected.status, injected.code, injected.message);
      switch (action) {
        case 'RunInstances':
          return runInstances(params, response);
        case 'DescribeInstances':
          return describeInstances(params, response);
        case 'TerminateInstances':
          return terminateInstances(params, response);
        default:
          return fail(response, 400, 'InvalidAction', `The action ${action} is not valid for this web service.`);
      }
    })().catch((error: unknown) => fail(response, 500, 'InternalError', error instanceof Error ? error.message : String(error)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    imdsEndpointFor: (providerId) => `${endpoint}/imds/${providerId}`,
    calls,
    instances: () => [...instances.values()],
    failNext(action, code, failOptions = {}) {
      const list = failures.get(action) ?? [];
      const status = failOptions.status ?? (/Limit|Throttl/.test(code) ? 503 : 400);
      for (let i = 0; i < (failOptions.times ?? 1); i += 1) list.push({ code, message: failOptions.message ?? `${code} (injected by the test)`, status });
      failures.set(action, list);
    },
    async stop() {
      const running = [...instances.values()].map((i) => i.process).filter((c): c is ChildProcess => !!c && c.exitCode === null && c.signalCode === null);
      await Promise.all(
        running.map(
          (child) =>
            new Promise<void>((resolve) => {
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
              setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
            }),
        ),
      );
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
