/**
 * Policies side by side: the same trace and seed under each idle policy, and the table that
 * compares them (cost in instance-seconds, latency percentiles, launches, forced terminations).
 */
import type { IdlePolicy } from '../supervisor/idlePolicy.ts';
import { simulate, type SimResult, type SimSettings } from './simulate.ts';
import type { Trace } from './traces.ts';

/** One idle policy to compare: `auto` (measured boot, the ski-rental rule) or a fixed idle time. */
export interface PolicyRun {
  label: string;
  idle: IdlePolicy;
  result: SimResult;
  /** Wall-clock ms the run took. */
  wallMs: number;
}

/** Runs the trace under each idle policy (everything else equal, same seed). */
export function comparePolicies(trace: Trace, base: SimSettings, policies: ReadonlyArray<{ label: string; idle: IdlePolicy }>, now: () => number): PolicyRun[] {
  return policies.map((p) => {
    const started = now();
    const result = simulate(trace, { ...base, idle: p.idle });
    return { ...p, result, wallMs: now() - started };
  });
}

const seconds = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** The comparison as a Markdown table: one column per policy, one row per figure. */
export function comparisonTable(runs: readonly PolicyRun[]): string {
  const rows: Array<[string, (r: PolicyRun) => string]> = [
    ['idle time given to new instances', (r) => `${r.result.idleSeconds} s`],
    ['instance-seconds (cost)', (r) => int(r.result.instanceSeconds)],
    ['latency p50', (r) => seconds(r.result.latencyMs.p50)],
    ['latency p95', (r) => seconds(r.result.latencyMs.p95)],
    ['latency p99', (r) => seconds(r.result.latencyMs.p99)],
    ['launches', (r) => int(r.result.launches)],
    ['launch failures', (r) => int(r.result.launchFailures)],
    ['forced terminations', (r) => int(r.result.forcedTerminations)],
    ['peak instances', (r) => int(r.result.peakInstances)],
    ['jobs done / arrived', (r) => `${int(r.result.jobs.completed)} / ${int(r.result.jobs.arrived)}`],
    ['dead-lettered, unfinished', (r) => `${int(r.result.jobs.deadLettered)}, ${int(r.result.jobs.unfinished)}`],
    ['simulated time', (r) => seconds(r.result.simulatedMs)],
    ['wall time', (r) => seconds(r.wallMs)],
  ];
  const header = `| | ${runs.map((r) => r.label).join(' | ')} |`;
  const rule = `|---|${runs.map(() => '---:').join('|')}|`;
  return [header, rule, ...rows.map(([name, value]) => `| ${name} | ${runs.map(value).join(' | ')} |`)].join('\n');
}
