/**
 * Benchmark figures and how the report reads them: the shape loadBench writes (`--json`), a
 * tolerant reader for other benches' JSON (no format was agreed), a reader for the aligned tables
 * benches print, and the Markdown rendering of both.
 */

/** One measured figure with its target and its in-run baseline. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** The target as text, e.g. `≤ 30 s`, and whether the value meets it (undefined: no target). */
  target?: string;
  met?: boolean;
  /** The same figure measured in the run's baseline phase, in the same unit. */
  baseline?: number;
  /** value / baseline. */
  ratio?: number;
}

/** A figure with its ratio filled in from the baseline. */
export function figure(f: Omit<Figure, 'ratio'>): Figure {
  const ratio = f.baseline !== undefined && f.baseline !== 0 && Number.isFinite(f.value) ? f.value / f.baseline : undefined;
  return { ...f, ...(ratio !== undefined ? { ratio } : {}) };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

function fromRow(row: Record<string, unknown>): Figure | undefined {
  const name = str(row.name ?? row.figure ?? row.metric ?? row.label ?? row.title);
  const value = num(row.value ?? row.median ?? row.p50 ?? row.mean ?? row.ms ?? row.result);
  if (name === undefined || value === undefined) return undefined;
  const baseline = num(row.baseline ?? row.reference ?? row.ref);
  const target = str(row.target ?? row.goal ?? row.budget);
  const metRaw = row.met ?? row.pass ?? row.ok;
  const ratio = num(row.ratio ?? row.speedup);
  const f = figure({
    name,
    value,
    unit: str(row.unit) ?? '',
    ...(target !== undefined ? { target } : {}),
    ...(typeof metRaw === 'boolean' ? { met: metRaw } : {}),
    ...(baseline !== undefined ? { baseline } : {}),
  });
  return ratio !== undefined && f.ratio === undefined ? { ...f, ratio } : f;
}

/**
 * The figures in a bench's JSON, whatever its shape: an array of rows, or an object holding one
 * (`figures`, `results`, `rows`, … the first array of objects), each row read by the usual names
 * (name/figure/metric, value/median/p50/mean, unit, target, baseline, ratio, met/pass). A flat
 * object of numbers becomes one figure per key. Unreadable rows are skipped.
 */
export function extractFigures(json: unknown): Figure[] {
  const rowsOf = (v: unknown): Figure[] => (Array.isArray(v) ? v.filter((r): r is Record<string, unknown> => !!r && typeof r === 'object').map(fromRow).filter((f): f is Figure => !!f) : []);
  if (Array.isArray(json)) return rowsOf(json);
  if (!json || typeof json !== 'object') return [];
  const obj = json as Record<string, unknown>;
  for (const key of ['figures', 'results', 'rows', 'metrics']) {
    const found = rowsOf(obj[key]);
    if (found.length > 0) return found;
  }
  for (const value of Object.values(obj)) {
    const found = rowsOf(value);
    if (found.length > 0) return found;
  }
  return Object.entries(obj)
    .filter(([, v]) => typeof v === 'number' && Number.isFinite(v))
    .map(([name, v]) => figure({ name, value: v as number, unit: '' }));
}

/** A table found in a bench's printed output: its header and rows, cells trimmed. */
export interface PrintedTable {
  header: string[];
  rows: string[][];
}

/**
 * The tables in printed output: a header line, a rule line of dashes (`----  -----`, or a Markdown
 * `|---|---|`), then rows until a blank line. Columns come from the rule's dash runs (so cells may
 * hold single spaces and the first header may be empty) or from the `|` separators.
 */
export function parsePrintedTables(text: string): PrintedTable[] {
  const lines = text.split(/\r?\n/);
  const tables: PrintedTable[] = [];
  for (let i = 1; i < lines.length; i += 1) {
    const rule = lines[i]!;
    if (!/^[\s|:+-]*-{3,}[\s|:+-]*$/.test(rule)) continue;
    const body: string[] = [];
    for (let j = i + 1; j < lines.length && lines[j]!.trim() !== ''; j += 1) body.push(lines[j]!);
    const headerLine = lines[i - 1]!;
    if (rule.includes('|')) {
      const cells = (line: string) => line.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
      tables.push({ header: cells(headerLine), rows: body.map(cells) });
    } else {
      const spans: Array<[number, number]> = [];
      for (const m of rule.matchAll(/-+/g)) spans.push([m.index, m.index + m[0].length]);
      // Each column runs from its dash run to the start of the next, so ragged cells stay whole.
      const cut = (line: string) => spans.map(([from], k) => line.slice(from, k + 1 < spans.length ? spans[k + 1]![0] : undefined).trim());
      tables.push({ header: cut(headerLine), rows: body.map(cut) });
    }
    i += body.length;
  }
  return tables;
}

/** The lines of printed output that state a target (contain "target"), trimmed. */
export function targetLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => /target/i.test(l));
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

/** A number with 3 significant digits (integers as they are). */
export function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString();
}

/** Figures as a Markdown table: Figure | Value | Target | Met | Baseline | Ratio. */
export function figuresTable(figures: readonly Figure[]): string {
  const lines = ['| Figure | Value | Target | Met | In-run baseline | Ratio |', '|---|---:|---|:-:|---:|---:|'];
  for (const f of figures) {
    const unit = f.unit ? ` ${f.unit}` : '';
    lines.push(
      `| ${cell(f.name)} | ${formatNumber(f.value)}${unit} | ${cell(f.target ?? '—')} | ${f.met === undefined ? '—' : f.met ? 'yes' : '**no**'} | ${f.baseline === undefined ? '—' : `${formatNumber(f.baseline)}${unit}`} | ${f.ratio === undefined ? '—' : `${formatNumber(f.ratio)}×`} |`,
    );
  }
  return lines.join('\n');
}

/** A printed table as Markdown (an empty header cell becomes a blank). */
export function printedTableMarkdown(table: PrintedTable): string {
  const width = table.header.length;
  const row = (cells: string[]) => `| ${Array.from({ length: width }, (_, k) => cell(cells[k] ?? '')).join(' | ')} |`;
  return [row(table.header), `|${'---|'.repeat(width)}`, ...table.rows.map(row)].join('\n');
}
