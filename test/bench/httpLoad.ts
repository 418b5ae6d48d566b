/**
 * HTTP load: C concurrent clients (default 32) for D seconds (default 15) submitting a small valid
 * JPEG to `POST /v1/jobs` (multipart) against a real `facefleet start` child process on 127.0.0.1,
 * with autocannon; one round per level of stored history (default 0, 50,000 and 100,000 jobs: before
 * each round the data dir is filled up to that many jobs with seedJobs, straight into SQLite).
 * Every request must be a 202: errors, timeouts and non-2xx answers are counted. After each round
 * the server's RSS is read from /proc/<pid>/status (VmRSS); growth above 10 % between the last two
 * rounds is flagged, and so is a last round more than 10 % below the first in req/s (throughput must
 * not fall with history). The fleet cap is 0 by default: jobs stay queued and the two cores measure
 * the web tier, not the model. Targets (README): ≥ 1,000 req/s and p99 < 50 ms at 32 connections.
 * Exits 1 when a request failed or something was flagged.
 *
 *   npm run bench:http -- [--connections 32] [--duration 15] [--stored 0,50000,100000] [--cap 0]
 *                         [--api-key <key>] [--settle 3] [--json]
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { startFacefleet } from '../support/facefleetProcess.ts';
import { seedJobs } from './seedJobs.ts';

interface AutocannonResult {
  requests: { total: number; average: number; sent: number };
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  throughput: { average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
  duration: number;
}
interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
  timeout: number;
}
// autocannon ships no types: its one call, typed here.
const autocannon = createRequire(import.meta.url)('autocannon') as (options: AutocannonOptions) => Promise<AutocannonResult>;

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '32' },
    duration: { type: 'string', default: '15' },
    stored: { type: 'string', default: '0,50000,100000' },
    cap: { type: 'string', default: '0' },
    'api-key': { type: 'string' },
    settle: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const connections = Number(values.connections);
const duration = Number(values.duration);
const levels = values.stored.split(',').map((v) => Number(v.trim()));
const rounds = levels.length;
const settleMs = Number(values.settle) * 1000;
const apiKey = values['api-key'];

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
}

/** A small, valid JPEG in a multipart body written once. */
async function uploadBody(): Promise<{ body: Buffer; type: string; jpegBytes: number }> {
  const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 30 } } }).jpeg({ quality: 80 }).toBuffer();
  const boundary = '----facefleetLoad';
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="load.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`;
  return { body: Buffer.concat([Buffer.from(head), jpeg, Buffer.from(`\r\n--${boundary}--\r\n`)]), type: `multipart/form-data; boundary=${boundary}`, jpegBytes: jpeg.length };
}

interface Row {
  round: number;
  requests: number;
  perSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statuses: string;
  rssMb: number;
  jobsStored: number;
}

const upload = await uploadBody();
const server = await startFacefleet({ env: { FACEFLEET_CAP: values.cap, FACEFLEET_SUBMISSIONS_PER_CLIENT_PER_MINUTE: '0', ...(apiKey ? { FACEFLEET_API_KEY: apiKey } : {}) } });
const pid = server.child.pid ?? 0;
const auth: Record<string, string> = apiKey ? { 'x-api-key': apiKey } : {};
const rows: Row[] = [];
let rssStart = 0;
try {
  await new Promise((r) => setTimeout(r, settleMs));
  rssStart = rssMb(pid);
  process.stderr.write(`facefleet pid ${pid} at ${server.url}; RSS at start ${rssStart.toFixed(1)} MB; ${connections} connections × ${duration} s × ${rounds} rounds; JPEG ${upload.jpegBytes} B, body ${upload.body.length} B\n`);
  // Warm-up (not recorded): the server's first seconds compile code and fill caches.
  await autocannon({ url: `${server.url}/v1/jobs`, connections, duration: 3, method: 'POST', headers: { 'content-type': upload.type, ...auth }, body: upload.body, timeout: 30 });
  let stored = 0;
  for (let round = 1; round <= rounds; round++) {
    const level = levels[round - 1] ?? 0;
    if (level > stored) {
      const begun = performance.now();
      await seedJobs(server.dataDir, level - stored);
      process.stderr.write(`stored ${level - stored} more jobs in ${((performance.now() - begun) / 1000).toFixed(1)} s\n`);
    }
    const result = await autocannon({
      url: `${server.url}/v1/jobs`,
      connections,
      duration,
      method: 'POST',
      headers: { 'content-type': upload.type, ...auth },
      body: upload.body,
      timeout: 30,
    });
    await new Promise((r) => setTimeout(r, settleMs));
    const counts = (await (await fetch(`${server.url}/v1/counts`, { headers: auth })).json()) as { jobs: Record<string, number> };
    rows.push({
      round,
      requests: result.requests.total,
      perSecond: Math.round(result.requests.average),
      p50Ms: result.latency.p50,
      p90Ms: result.latency.p90,
      p99Ms: result.latency.p99,
      maxMs: result.latency.max,
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      statuses: Object.entries(result.statusCodeStats).map(([s, { count }]) => `${s}×${count}`).join(' '),
      rssMb: Math.round(rssMb(pid) * 10) / 10,
      jobsStored: Object.values(counts.jobs).reduce((a, b) => a + b, 0),
    });
    stored = rows.at(-1)?.jobsStored ?? stored;
    process.stderr.write(`round ${round} done: ${result.requests.total} requests, p99 ${result.latency.p99} ms, RSS ${rows.at(-1)?.rssMb} MB\n`);
  }
} finally {
  await server.stop();
  server.cleanup();
}

const failed = rows.reduce((n, r) => n + r.errors + r.timeouts + r.non2xx, 0);
const last = rows.at(-1);
const previous = rows.at(-2);
const growth = last && previous ? (last.rssMb - previous.rssMb) / previous.rssMb : 0;
const first = rows[0];
const slowdown = first && last && first.perSecond > 0 ? (first.perSecond - last.perSecond) / first.perSecond : 0;
const flagged = growth > 0.1 || slowdown > 0.1;

if (values.json) {
  process.stdout.write(`${JSON.stringify({ connections, duration, rounds, levels, slowdown, cap: Number(values.cap), apiKey: Boolean(apiKey), rssStartMb: rssStart, rows, failed, growth, flagged }, null, 2)}\n`);
} else {
  const header = ['round', 'requests', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors', 'timeouts', 'non-2xx', 'statuses', 'RSS MB', 'jobs stored'];
  const table = rows.map((r) => [r.round, r.requests, r.perSecond, r.p50Ms, r.p90Ms, r.p99Ms, r.maxMs, r.errors, r.timeouts, r.non2xx, r.statuses, r.rssMb, r.jobsStored].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i] ?? 0)).join(' | ')} |`;
  const out = [
    `HTTP load: POST /v1/jobs (multipart, ${upload.jpegBytes} B JPEG), ${connections} connections × ${duration} s, one round per stored level (${levels.join(', ')}), cap ${values.cap}${apiKey ? ', with API key' : ''}`,
    `server RSS at start: ${rssStart.toFixed(1)} MB`,
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...table.map(line),
    `failed requests (errors + timeouts + non-2xx): ${failed}${failed === 0 ? ' — none' : ''}`,
    `RSS change between the last two rounds: ${(growth * 100).toFixed(1)} %${growth > 0.1 ? ' — FLAGGED (> 10 %)' : ' (within 10 %)'}`,
    `req/s, last round vs first (${first?.jobsStored ?? 0} → ${last?.jobsStored ?? 0} jobs stored): ${slowdown > 0 ? '−' : '+'}${Math.abs(slowdown * 100).toFixed(1)} %${slowdown > 0.1 ? ' — FLAGGED (fell > 10 %)' : ' (flat within 10 %)'}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}
process.exitCode = failed > 0 || flagged ? 1 : 0;
