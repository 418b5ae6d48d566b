import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clipAndFloor, dlibAlignRect, expressionRect } from '../../../model/align.ts';
import { decodeTinyGrid } from '../../../model/detectTiny.ts';
import { greedyNms, iou, ssdNms } from '../../../model/nms.ts';
import { cropPadCentred, padBottomRight } from '../../../model/tensors.ts';
import { decodeLandmarks } from '../../../model/landmarks.ts';

describe('given the padding rules of face-api padToSquare', () => {
  const image = { width: 4, height: 2, data: Uint8Array.from({ length: 4 * 2 * 3 }, (_, i) => i + 1) };
  it('when padding bottom/right, then the image sits at the top-left', () => {
    const { data, size } = padBottomRight(image);
    assert.equal(size, 4);
    assert.equal(data[0], 1);
    assert.equal(data[(2 * 4) * 3], 0); // row 2 is padding
  });
  it('when padding a 3×1 crop centred, then round(diff/2) goes after and the rest before', () => {
    const { data, size } = cropPadCentred(image, { x: 1, y: 0, width: 3, height: 1 });
    assert.equal(size, 3);
    // diff 2: 1 row before, 1 after
    assert.deepEqual(Array.from(data.subarray(0, 9)), [0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(data.subarray(9, 12)), [4, 5, 6]);
  });
  it('when padding a 1×4 crop (odd diff 3), then 1 column before and 2 after', () => {
    const tall = { width: 1, height: 4, data: Uint8Array.from({ length: 12 }, (_, i) => i + 1) };
    const { data, size } = cropPadCentred(tall, { x: 0, y: 0, width: 1, height: 4 });
    assert.equal(size, 4);
    assert.deepEqual(Array.from(data.subarray(0, 12)), [0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0, 0]);
  });
});

describe('given boxes partly outside the image', () => {
  it('when clipping, then clipped to the borders and each field floored', () => {
    assert.deepEqual(clipAndFloor({ x: -5.5, y: 10.7, width: 20, height: 100 }, 50, 60), { x: 0, y: 10, width: 14, height: 49 });
  });
  it('when the box is wholly outside, then nothing', () => {
    assert.equal(clipAndFloor({ x: 60, y: 0, width: 5, height: 5 }, 50, 60), undefined);
  });
});

describe('given 68 landmark points', () => {
  const points = Array.from({ length: 68 }, (_, i) => ({ x: 100 + (i % 10) * 5, y: 200 + Math.floor(i / 10) * 8 }));
  it('when computing the expression rect, then the bounding box grown by 20%', () => {
    const r = expressionRect(points);
    const expected = { x: 100 - 4.5, y: 200 - 4.8, width: 54, height: 57.6 };
    for (const k of ['x', 'y', 'width', 'height'] as const) assert.ok(Math.abs(r[k] - expected[k]) < 1e-9, k);
  });
  it('when computing the dlib rect, then an integer square capped by crop size plus offset', () => {
    const r = dlibAlignRect(points, 10, 10);
    assert.ok(Number.isInteger(r.x) && Number.isInteger(r.y));
    assert.ok(r.width <= 10 + r.x);
  });
  it('when the net says the centre of a wide crop, then the point is the crop centre plus the shift', () => {
    const out = new Float32Array(136).fill(0.5);
    const [p] = decodeLandmarks(out, { x: 10, y: 20, width: 80, height: 40 }, { x: 10.5, y: 20.25 });
    assert.ok(p && Math.abs(p.x - 50.5) < 1e-9 && Math.abs(p.y - 40.25) < 1e-9);
  });
});

describe('given overlapping candidate boxes', () => {
  const boxes = [
    { x: 0, y: 0, width: 10, height: 10 },
    { x: 1, y: 1, width: 10, height: 10 },
    { x: 50, y: 50, width: 10, height: 10 },
  ];
  it('when IoU is computed, then it is intersection over union', () => {
    assert.ok(Math.abs(iou(boxes[0]!, boxes[1]!) - 81 / 119) < 1e-12);
  });
  it('when greedy NMS runs, then the best of each cluster survives, best first', () => {
    assert.deepEqual(greedyNms(boxes, [0.6, 0.9, 0.7], 0.4), [1, 2]);
  });
  it('when SSD NMS runs, then low scores are dropped and the cap applies', () => {
    const corners = (i: number) => { const b = boxes[i]!; return [b.y, b.x, b.y + b.height, b.x + b.width] as const; };
    assert.deepEqual(ssdNms(corners, [0.6, 0.9, 0.4], 100, 0.5, 0.5), [1]);
    assert.deepEqual(ssdNms(corners, [0.6, 0.9, 0.7], 1, 0.5, 0.5), [1]);
  });
});

describe('given a tiny-detector grid with one confident cell', () => {
  it('when decoding a square image, then one box centred on that cell', () => {
    const grid = new Float32Array(25 * 13 * 13).fill(-10);
    const plane = 169;
    const cell = 6 * 13 + 6; // row 6, col 6
    for (let f = 0; f < 4; f++) grid[f * plane + cell] = 0; // anchor 0: tx=ty=tw=th=0
    grid[4 * plane + cell] = 3; // score sigmoid(3)=0.95
    const [d, ...rest] = decodeTinyGrid(grid, 416, 416);
    assert.equal(rest.length, 0);
    assert.ok(d);
    assert.ok(Math.abs(d.box.x + d.box.width / 2 - 208) < 1e-6);
    assert.ok(Math.abs(d.box.width - (1.603231 / 13) * 416) < 1e-6);
  });
});
