/**
 * The end-of-run summary as text: counts, duration, throughput, latency percentiles, the ASCII
 * latency histogram, and the first few failures and wrong answers (so a bad run says why).
 */
import { formatMs, renderHistogram } from './stats.ts';
import type { LoadReport } from './types.ts';

/** The summary lines (no trailing newline). At most `examples` failures and wrong answers are listed. */
export function renderSummary(report: LoadReport, examples = 5): string {
  const s = report.summary;
  const lines = [
    `facefleet load: ${report.url} (${report.mode}, shape ${report.shape}, concurrency ${report.concurrency})`,
    `  requests    ${s.requests}`,
    `  ok          ${s.ok}`,
    `  failed      ${s.failed}${s.retries > 0 ? ` (after ${s.retries} connection retries in all)` : ''}`,
    `  correct     ${s.correct}`,
    `  wrong       ${s.wrong}`,
    `  unchecked   ${s.unchecked}`,
    `  duration    ${formatMs(s.durationMs)}`,
    `  throughput  ${s.throughput.toFixed(2)} req/s`,
    `  latency     p50 ${formatMs(s.latency.p50)}  p90 ${formatMs(s.latency.p90)}  p99 ${formatMs(s.latency.p99)}  max ${formatMs(s.latency.max)}`,
    '',
    'latency histogram (successful requests):',
    ...renderHistogram(s.histogram),
  ];
  const failures = report.records.filter((r) => r.outcome === 'failed');
  if (failures.length > 0) {
    lines.push('', `failures (${failures.length}):`);
    for (const r of failures.slice(0, examples)) lines.push(`  #${r.index} ${r.image}: ${r.error ?? 'failed'}`);
    if (failures.length > examples) lines.push(`  ... and ${failures.length - examples} more (see --json)`);
  }
  const wrong = report.records.filter((r) => r.check === 'wrong');
  if (wrong.length > 0) {
    lines.push('', `wrong answers (${wrong.length}):`);
    for (const r of wrong.slice(0, examples)) lines.push(`  #${r.index} ${r.image}: got "${r.label ?? ''}", expected "${r.expected ?? ''}"`);
    if (wrong.length > examples) lines.push(`  ... and ${wrong.length - examples} more (see --json)`);
  }
  return lines.join('\n');
}
