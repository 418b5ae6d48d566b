/**
 * `npm run bench`: runs every benchmark script that exists, each as its own process
 * (`node --import tsx <file> [--json <tmp.json>]`; `--json` only when the script mentions it),
 * and writes `bench/report.md`: per bench, its figures with target, in-run baseline and ratio
 * (from its JSON when it wrote one, else the tables and target lines it printed), plus
 * `bench/load.svg` (latency and instances over time) from the load bench.
 *
 *   npm run bench [-- --only load,model]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { extractFigures, figuresTable, parsePrintedTables, printedTableMarkdown, targetLines } from '../../services/load/benchFigures.ts';
import { renderLoadSvg, type LoadChartData } from '../../services/load/svgChart.ts';
import { makeTempDir } from '../support/tempDir.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const BENCHES = ['eventsBench', 'modelBench', 'e2eBench', 'loadBench'].map((name) => ({ name: name.replace(/Bench$/, ''), file: join(root, 'test/bench', `${name}.ts`) }));

interface BenchRun {
  name: string;
  file: string;
  code: number | null;
  durationMs: number;
  stdout: string;
  json?: unknown;
}

/** Runs one bench script; its stderr goes straight to ours, its stdout is echoed and kept. */
function runBench(name: string, file: string, jsonPath: string | undefined, timeoutMs: number): Promise<BenchRun> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...(jsonPath ? ['--json', jsonPath] : [])], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      process.stdout.write(c);
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      let json: unknown;
      if (jsonPath && existsSync(jsonPath)) {
        try {
          json = JSON.parse(readFileSync(jsonPath, 'utf8'));
        } catch {
          json = undefined;
        }
      }
      resolve({ name, file, code, durationMs: performance.now() - started, stdout, ...(json !== undefined ? { json } : {}) });
    });
  });
}

/** The Markdown section of one bench run. */
function section(run: BenchRun): string {
  const out = [`## ${run.name} (\`test/bench/${basename(run.file)}\`)`, ''];
  out.push(`Exit code ${run.code ?? 'killed'}, ${(run.durationMs / 1000).toFixed(1)} s.`, '');
  const figures = run.json === undefined ? [] : extractFigures(run.json);
  if (figures.length > 0) {
    out.push(figuresTable(figures), '');
  } else {
    const tables = parsePrintedTables(run.stdout);
    for (const table of tables) out.push(printedTableMarkdown(table), '');
    const targets = targetLines(run.stdout);
    if (targets.length > 0) out.push('Targets as the bench states them:', '', ...targets.map((t) => `- ${t}`), '');
    if (tables.length === 0 && targets.length === 0) out.push('(no table or target found in its output; see the output below)', '');
  }
  if (run.name === 'load' && existsSync(join(root, 'bench/load.svg'))) out.push('![latency and instances over time](load.svg)', '');
  out.push('<details><summary>output</summary>', '', '```', run.stdout.trimEnd(), '```', '', '</details>', '');
  return out.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, 'timeout-minutes': { type: 'string' } } });
  const only = values.only?.split(',').map((s) => s.trim());
  const timeoutMs = Number(values['timeout-minutes'] ?? '30') * 60_000;
  const present = BENCHES.filter((b) => existsSync(b.file) && (!only || only.includes(b.name)));
  const missing = BENCHES.filter((b) => !existsSync(b.file)).map((b) => b.name);
  const tmp = makeTempDir('bench-report');
  const runs: BenchRun[] = [];
  try {
    for (const bench of present) {
      const source = readFileSync(bench.file, 'utf8');
      const jsonPath = source.includes('--json') || /['"]json['"]\s*:/.test(source) ? tmp.file(`${bench.name}.json`) : undefined;
      process.stderr.write(`\n=== bench ${bench.name}${jsonPath ? ' (--json)' : ''} ===\n`);
      runs.push(await runBench(bench.name, bench.file, jsonPath, timeoutMs));
    }
  } finally {
    await tmp.cleanup();
  }

  mkdirSync(join(root, 'bench'), { recursive: true });
  const load = runs.find((r) => r.name === 'load');
  const chart = (load?.json as { chart?: LoadChartData } | undefined)?.chart;
  if (chart) writeFileSync(join(root, 'bench/load.svg'), renderLoadSvg(chart));

  const cpu = cpus();
  const report = [
    '# facefleet benchmark report',
    '',
    `${new Date().toISOString()} — Node ${process.version}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB.`,
    '',
    'Each bench measures its figures and an in-run baseline on the same machine in the same run; the ratio is value ÷ baseline.',
    missing.length > 0 ? `Not present, so not run: ${missing.join(', ')}.` : '',
    '',
    '| Bench | Exit | Time |',
    '|---|---:|---:|',
    ...runs.map((r) => `| ${r.name} | ${r.code ?? 'killed'} | ${(r.durationMs / 1000).toFixed(1)} s |`),
    '',
    ...runs.map(section),
  ].join('\n');
  writeFileSync(join(root, 'bench/report.md'), report);
  process.stderr.write(`\nwrote bench/report.md${chart ? ' and bench/load.svg' : ''}\n`);
  process.exitCode = runs.every((r) => r.code === 0) ? 0 : 1;
}

await main();
