import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { extractFigures, figure, figuresTable, parsePrintedTables, printedTableMarkdown, targetLines } from '../../bench/benchFigures.ts';
import { niceTicks, renderLoadSvg } from '../../bench/svgChart.ts';

describe('given figures with baselines', () => {
  it('when made, then the ratio is value ÷ baseline, absent without a baseline', () => {
    assert.equal(figure({ name: 'p50', value: 300, unit: 'ms', baseline: 100 }).ratio, 3);
    assert.equal(figure({ name: 'p50', value: 300, unit: 'ms' }).ratio, undefined);
    assert.equal(figure({ name: 'p50', value: 300, unit: 'ms', baseline: 0 }).ratio, undefined);
  });
  it('when rendered, then one Markdown row per figure with target, met, baseline and ratio', () => {
    const md = figuresTable([figure({ name: 'p50', value: 300, unit: 'ms', target: '≤ 500 ms', met: true, baseline: 100 }), figure({ name: 'errors', value: 2, unit: '', target: '= 0', met: false })]);
    assert.deepEqual(md.split('\n').slice(2), ['| p50 | 300 ms | ≤ 500 ms | yes | 100 ms | 3× |', '| errors | 2 | = 0 | **no** | — | — |']);
  });
});

describe('given JSON from benches that agreed on nothing', () => {
  it('when it has a figures array, then the rows are read by their usual names', () => {
    const f = extractFigures({ figures: [{ metric: 'append/s', value: 5000, unit: 'ops/s', target: '≥ 1000', baseline: 2500, pass: true }, { nothing: 1 }] });
    assert.deepEqual(f, [{ name: 'append/s', value: 5000, unit: 'ops/s', target: '≥ 1000', met: true, baseline: 2500, ratio: 2 }]);
  });
  it('when it is a bare array or a nested array, then the same', () => {
    assert.equal(extractFigures([{ name: 'a', median: 3 }])[0]?.value, 3);
    assert.equal(extractFigures({ meta: {}, results: [{ label: 'b', p50: '4.5', speedup: 3 }] })[0]?.ratio, 3);
  });
  it('when it is a flat object of numbers, then one figure per key', () => {
    assert.deepEqual(extractFigures({ p50: 1, p99: 2, note: 'x' }).map((f) => [f.name, f.value]), [['p50', 1], ['p99', 2]]);
  });
});

describe('given printed output', () => {
  const printed = [
    'facefleet model bench — 6 photos',
    '                              ours p50  ours /s  speed-up',
    '----------------------------  --------  -------  --------',
    'ssd detect + describe / photo   12.5 ms     80.0      4.1×',
    'tiny                             5.0 ms    200.0      6.0×',
    '',
    '  peak RSS: 300 MB (target < 400): ok',
    '| Figure | Value |',
    '|---|---:|',
    '| p50 | 3 ms |',
  ].join('\n');
  it('when it has aligned and Markdown tables, then both are read with their columns', () => {
    const [aligned, markdown] = parsePrintedTables(printed);
    assert.deepEqual(aligned!.header, ['', 'ours p50', 'ours /s', 'speed-up']);
    assert.deepEqual(aligned!.rows[0], ['ssd detect + describe / photo', '12.5 ms', '80.0', '4.1×']);
    assert.equal(aligned!.rows.length, 2);
    assert.deepEqual(markdown, { header: ['Figure', 'Value'], rows: [['p50', '3 ms']] });
    assert.match(printedTableMarkdown(aligned!), /^\| {2}\| ours p50 \| ours \/s \| speed-up \|\n\|---\|---\|---\|---\|\n\| ssd detect/);
  });
  it('when lines state targets, then they are kept', () => {
    assert.deepEqual(targetLines(printed), ['peak RSS: 300 MB (target < 400): ok']);
  });
});

describe('given a load run to chart', () => {
  it('when ticks are chosen, then they are round and reach the maximum', () => {
    assert.deepEqual(niceTicks(9), [0, 2, 4, 6, 8, 10]);
    assert.deepEqual(niceTicks(47, 8), [0, 10, 20, 30, 40, 50]);
    assert.deepEqual(niceTicks(0), [0, 1]);
  });
  it('when rendered, then a standalone SVG with a dot per answer, a mark per failure and the instance steps', () => {
    const svg = renderLoadSvg({
      title: 'burst <test> & co',
      requests: [{ t: 0, latencyMs: 1200, ok: true }, { t: 0.1, latencyMs: 3000, ok: true }, { t: 20, latencyMs: 500, ok: false }],
      samples: [{ t: 0, instances: 0, backlog: 2 }, { t: 0.5, instances: 2, backlog: 1 }, { t: 30, instances: 0, backlog: 0 }],
    });
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /<\/svg>\n$/);
    assert.equal(svg.match(/<circle cx/g)?.length, 2 + 1, 'two answers and the legend dot');
    assert.ok(svg.includes('burst &lt;test&gt; &amp; co'));
    assert.equal(svg.match(/<path d="M/g)?.length, 2, 'instances and backlog');
    assert.ok(!svg.includes('NaN'));
  });
});
