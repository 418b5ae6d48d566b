/**
 * The simulator's SVG: live instances over time (one line per policy) above the backlog over time,
 * on one time axis. Pure: results in, SVG text out (app/ writes the file).
 */
import type { SimResult } from './simulate.ts';

const W = 960;
const PANEL = 220;
const M = { left: 70, right: 180, top: 44, gap: 56, bottom: 40 };
const colours = ['#16a34a', '#2563eb', '#dc2626', '#9333ea', '#f59e0b', '#0891b2', '#4b5563'];

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

/** About `count` round tick values from 0 to at least max (1-2-5 steps). */
function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((s) => s * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const f = (n: number) => (Math.round(n * 10) / 10).toString();

/** A time label: seconds, minutes or hours, whichever reads best for the span. */
function timeLabel(seconds: number, span: number): string {
  if (span >= 7200) return `${+(seconds / 3600).toFixed(1)}h`;
  if (span >= 600) return `${+(seconds / 60).toFixed(1)}m`;
  return `${+seconds.toFixed(1)}s`;
}

/** The SVG document for the runs (label → result), titled. */
export function renderSimulationSvg(title: string, runs: ReadonlyArray<{ label: string; result: SimResult }>): string {
  const plotW = W - M.left - M.right;
  const tMax = Math.max(1, ...runs.map((r) => r.result.series.t.at(-1) ?? 0));
  const tTicks = niceTicks(tMax, 8);
  const tEnd = tTicks.at(-1) as number;
  const x = (t: number) => M.left + (t / tEnd) * plotW;
  const out: string[] = [];
  const top1 = M.top;
  const top2 = M.top + PANEL + M.gap;
  const H = top2 + PANEL + M.bottom;
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${M.left}" y="24" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);

  const panel = (top: number, label: string, values: (r: SimResult) => number[]) => {
    const max = Math.max(1, ...runs.flatMap((r) => values(r.result)));
    const ticks = niceTicks(max, Math.min(5, Math.ceil(max)));
    const vTop = ticks.at(-1) as number;
    const y = (v: number) => top + PANEL - (v / vTop) * PANEL;
    for (const v of ticks) {
      out.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#eee"/>`);
      out.push(`<text x="${M.left - 6}" y="${f(y(v) + 4)}" text-anchor="end" fill="#555">${v}</text>`);
    }
    for (const t of tTicks) out.push(`<text x="${f(x(t))}" y="${top + PANEL + 16}" text-anchor="middle" fill="#555">${timeLabel(t, tEnd)}</text>`);
    out.push(`<rect x="${M.left}" y="${top}" width="${plotW}" height="${PANEL}" fill="none" stroke="#999"/>`);
    out.push(`<text x="16" y="${top + PANEL / 2}" transform="rotate(-90 16 ${top + PANEL / 2})" text-anchor="middle" fill="#333">${escapeXml(label)}</text>`);
    runs.forEach((run, i) => {
      const ts = run.result.series.t;
      const vs = values(run.result);
      if (!ts.length) return;
      let d = `M${f(x(ts[0] as number))},${f(y(vs[0] as number))}`;
      for (let k = 1; k < ts.length; k += 1) d += ` H${f(x(ts[k] as number))} V${f(y(vs[k] as number))}`;
      out.push(`<path d="${d}" fill="none" stroke="${colours[i % colours.length]}" stroke-width="1.6" stroke-opacity="0.85"/>`);
    });
  };
  panel(top1, 'live instances', (r) => r.series.instances);
  panel(top2, 'backlog (visible + in flight)', (r) => r.series.backlog);
  runs.forEach((run, i) => {
    const ly = top1 + 14 + i * 18;
    out.push(`<line x1="${M.left + plotW + 12}" x2="${M.left + plotW + 30}" y1="${ly}" y2="${ly}" stroke="${colours[i % colours.length]}" stroke-width="2"/>`);
    out.push(`<text x="${M.left + plotW + 36}" y="${ly + 4}">${escapeXml(run.label)}</text>`);
  });
  out.push(`<text x="${M.left + plotW}" y="${H - 8}" text-anchor="end" fill="#555">simulated time</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
