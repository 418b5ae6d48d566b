/**
 * Event store benchmark (`npm run bench:events`): appends per second one event at a time and in
 * batches of 100, in one process and in two processes sharing one database file (each appending to
 * its own streams), and the replay time of a 10,000-event stream (read + fold, median of 7 runs).
 * Prints a table with the targets and exits 1 when a target is missed.
 * Run as `eventsBench.ts --child <file> <prefix> <appends> <batch>` it is one of the two writers.
 * The store is durable (synchronous=FULL) as in production; FACEFLEET_BENCH_DURABILITY=normal
 * measures WAL's default for comparison.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { loadavg, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { openSqliteEventStore } from '../../adapters/embedded/sqliteEventStore.ts';
import type { EventStore } from '../../adapters/ports.ts';
import type { NewEvent, ReadModelRow } from '../../machines/index.ts';
import { readHistory, replayHistory } from '../../services/streams/replayHistory.ts';
import { makeTempDir } from '../support/tempDir.ts';

const durability: 'full' | 'normal' = process.env.FACEFLEET_BENCH_DURABILITY === 'normal' ? 'normal' : 'full';
const batchedTarget = 5_000; // events appended per second, batched
const replayTargetMs = 200;

function events(from: number, count: number): NewEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    type: (from + i) % 2 === 0 ? 'InstancePolledEmpty' : 'InstanceHeartbeat',
    at: new Date(Date.UTC(2025, 0, 1) + (from + i) * 1000).toISOString(),
    data: {},
  }));
}

function view(stream: string, seq: number): ReadModelRow {
  const id = stream.slice('instance-'.length);
  const at = new Date(Date.UTC(2025, 0, 1) + seq * 1000).toISOString();
  return { kind: 'instance', id, stream, state: 'polling', seq, createdAt: '2025-01-01T00:00:00.000Z', updatedAt: at, context: { instanceId: id, emptyPolls: seq % 7, updatedAt: at } };
}

/** Appends `appends` times `batch` events spread over 10 streams; resolves to the elapsed ms. */
async function appendLoad(store: EventStore, prefix: string, appends: number, batch: number): Promise<number> {
  const seqs = new Map<string, number>();
  const started = performance.now();
  for (let i = 0; i < appends; i += 1) {
    const stream = `instance-${prefix}${i % 10}`;
    const seq = seqs.get(stream) ?? 0;
    await store.append(stream, seq, events(seq + 1, batch), view(stream, seq + batch));
    seqs.set(stream, seq + batch);
  }
  return performance.now() - started;
}

/**
 * `total` one-event appends to fresh streams, `inFlight` at a time (a burst of submissions: each
 * appends its JobSubmitted without waiting for the others); resolves to the elapsed ms.
 */
async function concurrentLoad(store: EventStore, prefix: string, total: number, inFlight: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < total; i += inFlight) {
    const wave = Array.from({ length: Math.min(inFlight, total - i) }, (_, j) => {
      const stream = `instance-${prefix}${i + j}`;
      return store.append(stream, 0, events(1, 1), view(stream, 1));
    });
    await Promise.all(wave);
  }
  return performance.now() - started;
}

async function child(file: string, prefix: string, appends: number, batch: number): Promise<void> {
  const store = openSqliteEventStore({ file, durability });
  process.stdout.write('ready\n');
  const stdin = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => stdin.once('line', () => resolve()));
  stdin.close();
  await appendLoad(store, prefix, appends, batch);
  await store.close();
  process.stdout.write('done\n');
}

/** Two writer processes on one file; resolves to the wall time from "go" to both done, ms. */
async function twoProcesses(file: string, appends: number, batch: number): Promise<number> {
  const self = fileURLToPath(import.meta.url);
  const writers = ['a', 'b'].map((prefix) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', self, '--child', file, `${prefix}${batch}x`, String(appends), String(batch)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
    return { proc, next: async () => (await lines.next()).value as string | undefined };
  });
  for (const w of writers) if ((await w.next()) !== 'ready') throw new Error('a writer process did not start');
  const started = performance.now();
  for (const w of writers) w.proc.stdin.end('go\n');
  for (const w of writers) if ((await w.next()) !== 'done') throw new Error('a writer process failed');
  return performance.now() - started;
}

interface Row {
  name: string;
  events: number;
  appends: number;
  ms: number;
  target?: string;
  pass?: boolean;
}

function table(rows: Row[]): string {
  const header = ['case', 'events', 'appends', 'ms', 'appends/s', 'events/s', 'target', 'result'];
  const body = rows.map((r) => [
    r.name,
    String(r.events),
    String(r.appends),
    r.ms.toFixed(1),
    r.appends ? Math.round((r.appends / r.ms) * 1000).toLocaleString('en-US') : '',
    r.events && r.appends ? Math.round((r.events / r.ms) * 1000).toLocaleString('en-US') : '',
    r.target ?? '',
    r.pass === undefined ? '' : r.pass ? 'pass' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i >= 6 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function main(): Promise<number> {
  const dir = makeTempDir('bench');
  const rows: Row[] = [];
  try {
    const file = dir.file('facefleet.db');
    const store = openSqliteEventStore({ file, durability });
    const singles = 5_000;
    const batches = 300;
    rows.push({ name: '1 process, 1 event per append', events: singles, appends: singles, ms: await appendLoad(store, 's', singles, 1) });
    const batchedMs = await appendLoad(store, 'b', batches, 100);
    rows.push({ name: '1 process, 100 events per append', events: batches * 100, appends: batches, ms: batchedMs, target: `≥ ${batchedTarget} events/s`, pass: (batches * 100 * 1000) / batchedMs >= batchedTarget });
    // Durability's cost under concurrency: one fsync per append, or one per group of a turn.
    const burst = 5_000;
    const ungrouped = openSqliteEventStore({ file: dir.file('ungrouped.db'), durability, groupCommit: false });
    rows.push({ name: '1 process, 100 appends in flight, a commit each', events: burst, appends: burst, ms: await concurrentLoad(ungrouped, 'u', burst, 100) });
    await ungrouped.close();
    rows.push({ name: '1 process, 100 appends in flight, group commit', events: burst, appends: burst, ms: await concurrentLoad(store, 'g', burst, 100) });
    const twoSinglesMs = await twoProcesses(file, singles / 2, 1);
    rows.push({ name: '2 processes, 1 event per append', events: singles, appends: singles, ms: twoSinglesMs });
    const twoBatchedMs = await twoProcesses(file, batches / 2, 100);
    rows.push({ name: '2 processes, 100 events per append', events: batches * 100, appends: batches, ms: twoBatchedMs, target: `≥ ${batchedTarget} events/s`, pass: (batches * 100 * 1000) / twoBatchedMs >= batchedTarget });

    // A 10,000-event stream: read from the store and folded, as `facefleet replay` does.
    const stream = 'instance-replay10k';
    await store.append(stream, 0, [{ type: 'InstanceRequested', at: '2025-01-01T00:00:00.000Z', data: { instanceId: 'replay10k', reason: 'backlog', emptyPollsToIdle: 100_000, emptyPollsToTerminate: 100_000 } }]);
    await store.append(stream, 1, [{ type: 'InstanceBooted', at: '2025-01-01T00:00:01.000Z', data: { modelLoadMs: 900 } }]);
    for (let seq = 2; seq < 10_000; seq += 1000) await store.append(stream, seq, events(seq + 1, Math.min(1000, 10_000 - seq)));
    const runs: Array<{ total: number; fold: number; cpu: number }> = [];
    for (let i = 0; i < 7; i += 1) {
      const cpu = process.cpuUsage();
      const started = performance.now();
      const history = await readHistory(store, stream);
      const read = performance.now();
      const result = replayHistory(history);
      const done = performance.now();
      if (result.problems.length || result.final.seq !== 10_000) throw new Error(`the replay stream is broken: ${JSON.stringify(result.problems[0])}`);
      const used = process.cpuUsage(cpu);
      runs.push({ total: done - started, fold: done - read, cpu: (used.user + used.system) / 1000 });
    }
    const replayMs = median(runs.map((r) => r.total));
    rows.push({ name: 'replay 10,000 events (read + fold), median of 7', events: 10_000, appends: 0, ms: replayMs, target: `< ${replayTargetMs} ms`, pass: replayMs < replayTargetMs });
    rows.push({ name: '  of which the fold, median of 7', events: 10_000, appends: 0, ms: median(runs.map((r) => r.fold)) });
    rows.push({ name: '  CPU time of read + fold, median of 7', events: 10_000, appends: 0, ms: median(runs.map((r) => r.cpu)) });
    await store.close();
  } finally {
    await dir.cleanup();
  }
  // Wall times on a shared machine include waiting for the CPU: the load average says how much.
  const load = loadavg()[0]?.toFixed(1) ?? '?';
  process.stdout.write(`facefleet events bench — SQLite (WAL, synchronous=${durability.toUpperCase()}), node ${process.version}, ${cpus().length} cores, load ${load}\n\n${table(rows)}\n`);
  return rows.some((r) => r.pass === false) ? 1 : 0;
}

const [flag, file, prefix, appends, batch] = process.argv.slice(2);
if (flag === '--child' && file && prefix && appends && batch) {
  await child(file, prefix, Number(appends), Number(batch));
} else {
  process.exitCode = await main();
}
