/**
 * The pure parts of the pages (web/ui/js), run in node: tag placement never overlaps two tags while
 * a free spot exists, quiet replay events collapse into one row with counts, and the match wording
 * follows the distance, the threshold and the runner-up.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
// @ts-expect-error -- plain JS modules of the pages (checked by web/ui/tsconfig.json), no declarations
import { layoutTags, overlaps } from '../../../web/ui/js/tags.js';
// @ts-expect-error -- as above
import { collapseSteps } from '../../../web/ui/js/timeline.js';
// @ts-expect-error -- as above
import { headline, matchWords } from '../../../web/ui/js/faces.js';

type Rect = { x: number; y: number; w: number; h: number };

describe('given two faces side by side whose tags above would collide', () => {
  const boxes: Rect[] = [
    { x: 100, y: 100, w: 40, h: 40 },
    { x: 150, y: 100, w: 40, h: 40 },
  ];
  const sizes = [{ w: 80, h: 16 }, { w: 80, h: 16 }];

  it('when the tags are laid out, then they do not overlap and stay in the photo', () => {
    const spots = layoutTags(boxes, sizes, { w: 400, h: 300 }) as Array<{ x: number; y: number; spot: string; clash: boolean }>;
    const rects = spots.map((s, i) => ({ x: s.x, y: s.y, w: sizes[i]!.w, h: sizes[i]!.h }));
    assert.equal(overlaps(rects[0], rects[1]), false);
    assert.ok(rects.every((r) => r.x >= 0 && r.y >= 0 && r.x + r.w <= 400 && r.y + r.h <= 300));
    assert.equal(spots[0]?.spot, 'above', 'the first keeps its natural spot');
    assert.ok(spots.every((s) => !s.clash));
  });

  it('when the photo is too small for any free spot, then the clash is reported (the page then shortens the tags)', () => {
    const spots = layoutTags(boxes.map((b) => ({ ...b, x: b.x / 10, y: b.y / 10, w: 4, h: 4 })), sizes, { w: 40, h: 30 }) as Array<{ clash: boolean }>;
    assert.ok(spots.some((s) => s.clash));
  });
});

describe('given an instance history with heartbeats and empty polls while idle', () => {
  const step = (seq: number, type: string, before: string, after: string) => ({ seq, type, at: new Date(seq * 1000).toISOString(), data: {}, stateBefore: before, stateAfter: after, changes: [] });
  const steps = [
    step(1, 'InstanceRequested', 'new', 'requested'),
    step(2, 'InstancePolledEmpty', 'polling', 'idle'),
    step(3, 'InstanceHeartbeat', 'idle', 'idle'),
    step(4, 'InstancePolledEmpty', 'idle', 'idle'),
    step(5, 'InstancePolledEmpty', 'idle', 'idle'),
    step(6, 'InstanceTerminating', 'idle', 'terminating'),
  ];

  it('when the rows are made, then the quiet run is one row counting each event type', () => {
    const rows = collapseSteps(steps) as Array<{ first: { seq: number }; last: { seq: number }; count: number; types: Map<string, number> }>;
    assert.deepEqual(rows.map((r) => [r.first.seq, r.last.seq, r.count]), [[1, 1, 1], [2, 2, 1], [3, 5, 3]].concat([[6, 6, 1]]));
    assert.deepEqual([...rows[2]!.types], [['InstanceHeartbeat', 1], ['InstancePolledEmpty', 2]]);
  });
});

describe('given faces at several distances with a threshold of 0.6', () => {
  const box = { x: 0, y: 0, width: 10, height: 10 };
  it('when they are worded, then a close match is very likely, a far one possible, an unknown names its nearest', () => {
    assert.equal(matchWords({ box, label: 'Ada', distance: 0.21 }, 0.6).text, 'very likely Ada — 0.21');
    assert.equal(matchWords({ box, label: 'Ada', distance: 0.54, runnerUp: { label: 'Grace', distance: 0.66 } }, 0.6).text, 'possibly Ada — 0.54');
    assert.equal(matchWords({ box, label: 'Ada', distance: 0.54, runnerUp: { label: 'Grace', distance: 0.66 } }, 0.6).other, 'next Grace 0.66');
    assert.equal(matchWords({ box, label: 'unknown', distance: 0.7, runnerUp: { label: 'Ada', distance: 0.7 } }, 0.6).text, 'unknown — nearest Ada 0.70');
    assert.equal(matchWords({ box, label: 'unknown', distance: Infinity }, 0.6).text, 'unknown — nobody in the gallery to compare with');
    assert.equal(matchWords({ box, label: 'Ada', distance: 0.45, ambiguous: true, runnerUp: { label: 'Grace', distance: 0.47 } }, 0.6).text, 'Ada or Grace? — 0.45');
  });

  it('when a photo has two people and a stranger, then the headline names both', () => {
    assert.equal(headline({ width: 10, height: 10, faces: [{ box, label: 'Ada' }, { box, label: 'Grace' }, { box, label: 'unknown' }] }), 'Ada, Grace · 1 unknown');
  });
});
