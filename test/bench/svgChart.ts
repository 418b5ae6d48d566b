/**
 * A hand-written SVG of a load run: latency of every request over time (dots at the time each was
 * sent; failures in red) above the number of live worker instances and the backlog over time
 * (steps), on one time axis. Pure: data in, SVG text out.
 */

export interface LoadChartData {
  title: string;
  /** Per request: seconds since the start when it was sent, its latency, and whether it succeeded. */
  requests: ReadonlyArray<{ t: number; latencyMs: number; ok: boolean }>;
  /** Samples: seconds since the start, live instances and (when known) the queue backlog. */
  samples: ReadonlyArray<{ t: number; instances: number; backlog?: number }>;
}

const W = 900;
const PANEL = 220;
const M = { left: 70, right: 20, top: 40, gap: 60, bottom: 40 };

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** About `count` round tick values from 0 to at least max (1-2-5 steps). */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((s) => s * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const f = (n: number) => (Math.round(n * 10) / 10).toString();

/** The SVG document (standalone, with its own fonts and colours; no scripts). */
export function renderLoadSvg(data: LoadChartData): string {
  const plotW = W - M.left - M.right;
  const tMax = Math.max(1, ...data.requests.map((r) => r.t + r.latencyMs / 1000), ...data.samples.map((s) => s.t));
  const tTicks = niceTicks(tMax, 8);
  const tEnd = tTicks[tTicks.length - 1]!;
  const x = (t: number) => M.left + (t / tEnd) * plotW;

  const latMax = Math.max(1, ...data.requests.map((r) => r.latencyMs / 1000));
  const latTicks = niceTicks(latMax);
  const latTop = latTicks[latTicks.length - 1]!;
  const top1 = M.top;
  const y1 = (s: number) => top1 + PANEL - (s / latTop) * PANEL;

  const countMax = Math.max(1, ...data.samples.map((s) => Math.max(s.instances, s.backlog ?? 0)));
  const countTicks = niceTicks(countMax, Math.min(5, countMax));
  const countTop = countTicks[countTicks.length - 1]!;
  const top2 = M.top + PANEL + M.gap;
  const y2 = (n: number) => top2 + PANEL - (n / countTop) * PANEL;
  const H = top2 + PANEL + M.bottom;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${M.left}" y="22" font-size="15" font-weight="bold">${escapeXml(data.title)}</text>`);

  const axes = (top: number, ticks: number[], y: (v: number) => number, label: string) => {
    for (const v of ticks) {
      out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#eee"/>`);
      out.push(`<text x="${M.left - 6}" y="${f(y(v) + 4)}" text-anchor="end" fill="#555">${v}</text>`);
    }
    for (const t of tTicks) {
      out.push(`<line x1="${f(x(t))}" x2="${f(x(t))}" y1="${top}" y2="${top + PANEL}" stroke="#f3f3f3"/>`);
      out.push(`<text x="${f(x(t))}" y="${top + PANEL + 16}" text-anchor="middle" fill="#555">${t}s</text>`);
    }
    out.push(`<rect x="${M.left}" y="${top}" width="${plotW}" height="${PANEL}" fill="none" stroke="#999"/>`);
    out.push(`<text x="16" y="${top + PANEL / 2}" transform="rotate(-90 16 ${top + PANEL / 2})" text-anchor="middle" fill="#333">${escapeXml(label)}</text>`);
  };

  axes(top1, latTicks, y1, 'latency (s)');
  out.push(`<g fill="#2563eb" fill-opacity="0.7">`);
  for (const r of data.requests.filter((r) => r.ok)) out.push(`<circle cx="${f(x(r.t))}" cy="${f(y1(r.latencyMs / 1000))}" r="3"/>`);
  out.push('</g>');
  out.push(`<g fill="#dc2626">`);
  for (const r of data.requests.filter((r) => !r.ok)) out.push(`<rect x="${f(x(r.t) - 3)}" y="${f(y1(r.latencyMs / 1000) - 3)}" width="6" height="6"/>`);
  out.push('</g>');

  axes(top2, countTicks, y2, 'count');
  const steps = (values: Array<{ t: number; v: number }>) => {
    if (values.length === 0) return '';
    let d = `M${f(x(values[0]!.t))},${f(y2(values[0]!.v))}`;
    for (let i = 1; i < values.length; i += 1) d += ` H${f(x(values[i]!.t))} V${f(y2(values[i]!.v))}`;
    return d;
  };
  const backlog = data.samples.filter((s) => s.backlog !== undefined).map((s) => ({ t: s.t, v: s.backlog! }));
  if (backlog.length > 0) out.push(`<path d="${steps(backlog)}" fill="none" stroke="#f59e0b" stroke-width="1.5" stroke-dasharray="4 3"/>`);
  out.push(`<path d="${steps(data.samples.map((s) => ({ t: s.t, v: s.instances })))}" fill="none" stroke="#16a34a" stroke-width="2"/>`);

  const legendY = top2 - 12;
  out.push(`<circle cx="${M.left + 6}" cy="${top1 - 8}" r="3" fill="#2563eb"/><text x="${M.left + 14}" y="${top1 - 4}">request latency (by time sent)</text>`);
  out.push(`<rect x="${M.left + 210}" y="${top1 - 11}" width="6" height="6" fill="#dc2626"/><text x="${M.left + 222}" y="${top1 - 4}">failed</text>`);
  out.push(`<line x1="${M.left}" x2="${M.left + 18}" y1="${legendY}" y2="${legendY}" stroke="#16a34a" stroke-width="2"/><text x="${M.left + 24}" y="${legendY + 4}">live instances</text>`);
  if (backlog.length > 0) out.push(`<line x1="${M.left + 130}" x2="${M.left + 148}" y1="${legendY}" y2="${legendY}" stroke="#f59e0b" stroke-width="1.5" stroke-dasharray="4 3"/><text x="${M.left + 154}" y="${legendY + 4}">backlog (visible + in flight)</text>`);
  out.push(`<text x="${W - M.right}" y="${H - 8}" text-anchor="end" fill="#555">time since the load started</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
