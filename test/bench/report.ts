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
import { extractFigures, figuresTable, parsePrintedTables, printedTableMarkdown, targetLines } from './benchFigures.ts';
import { renderLoadSvg, type LoadChartData } from './svgChart.ts';
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

/**
 * How a bench script takes `--json`, read from its source: `file` when it takes a file name
 * (`--json <file>`), `stdout` when it is a boolean flag that prints the JSON, `none` otherwise.
 */
type JsonStyle = 'file' | 'stdout' | 'none';
export function jsonStyleOf(source: string): JsonStyle {
  if (/\bjson\s*:\s*\{\s*type\s*:\s*['"]boolean['"]/.test(source)) return 'stdout';
  if (/\bjson\s*:\s*\{\s*type\s*:\s*['"]string['"]/.test(source) || /--json\s*[<[]?(file|out|path|\S+\.json)/.test(source)) return 'file';
  return 'none';
}

/** The JSON document printed in some output: the first line opening `{` or `[` from which the rest parses. */
export function jsonInOutput(text: string): unknown {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    if (!/^[{[]/.test(lines[i]!)) continue;
    try {
      return JSON.parse(lines.slice(i).join('\n'));
    } catch {
      // not from here
    }
  }
  return undefined;
}

/** Runs one bench script; its stderr goes straight to ours, its stdout is echoed and kept. */
function runBench(name: string, file: string, json: JsonStyle, jsonPath: string, timeoutMs: number): Promise<BenchRun> {
  const started = performance.now();
  const flags = json === 'file' ? ['--json', jsonPath] : json === 'stdout' ? ['--json'] : [];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...flags], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
      process.stdout.write(c);
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      let parsed: unknown;
      if (json === 'file' && existsSync(jsonPath)) {
        try {
          parsed = JSON.parse(readFileSync(jsonPath, 'utf8'));
        } catch {
          parsed = undefined;
        }
      } else if (json === 'stdout') parsed = jsonInOutput(stdout);
      resolve({ name, file, code, durationMs: performance.now() - started, stdout, ...(parsed !== undefined ? { json: parsed } : {}) });
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
      const style = jsonStyleOf(readFileSync(bench.file, 'utf8'));
      process.stderr.write(`\n=== bench ${bench.name}${style === 'none' ? '' : ` (--json to ${style})`} ===\n`);
      runs.push(await runBench(bench.name, bench.file, style, tmp.file(`${bench.name}.json`), timeoutMs));
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

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
