// @ts-check
/**
 * Name tags that never overlap: each face's tag goes to the first spot around its box (above,
 * below, beside, then further out) that stays on the photo and touches no tag already placed,
 * preferring spots that cover no other face. Placed in pixels after layout, again on resize.
 */

/**
 * @typedef {{ x: number, y: number, w: number, h: number }} Rect
 */

const GAP = 2;

/**
 * @param {Rect} a
 * @param {Rect} b
 */
export function overlaps(a, b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/**
 * Where each tag goes, boxes and tag sizes given in the same pixels as the area. Pure: the spots
 * are tried in order for each face (largest boxes first keep their natural spot above) and the
 * first one inside the area that overlaps no placed tag wins; among those, one that covers no other
 * face's box is preferred. When nothing fits, the spot with the least overlap is taken.
 * @param {Rect[]} boxes
 * @param {Array<{ w: number, h: number }>} sizes
 * @param {{ w: number, h: number }} area
 * @returns {Array<{ x: number, y: number, spot: string, clash: boolean }>}
 */
export function layoutTags(boxes, sizes, area) {
  /** @type {Array<{ x: number, y: number, spot: string, clash: boolean }>} */
  const out = new Array(boxes.length);
  /** @type {Rect[]} */
  const placed = [];
  const order = boxes.map((_, i) => i).sort((a, b) => (boxes[a]?.y ?? 0) - (boxes[b]?.y ?? 0) || (boxes[a]?.x ?? 0) - (boxes[b]?.x ?? 0));
  for (const i of order) {
    const b = /** @type {Rect} */ (boxes[i]);
    const { w, h } = /** @type {{ w: number, h: number }} */ (sizes[i]);
    /** @type {Array<[string, number, number]>} */
    const spots = [
      ['above', b.x, b.y - h - GAP],
      ['below', b.x, b.y + b.h + GAP],
      ['right', b.x + b.w + GAP, b.y],
      ['left', b.x - w - GAP, b.y],
      ['above-end', b.x + b.w - w, b.y - h - GAP],
      ['below-end', b.x + b.w - w, b.y + b.h + GAP],
      ['right-low', b.x + b.w + GAP, b.y + b.h - h],
      ['left-low', b.x - w - GAP, b.y + b.h - h],
      ['inside', b.x + GAP, b.y + GAP],
      ['inside-low', b.x + GAP, b.y + b.h - h - GAP],
    ];
    // Further out, a row at a time, for crowded photos.
    for (let k = 1; k <= 6; k += 1) spots.push([`above+${k}`, b.x, b.y - (h + GAP) * (k + 1)], [`below+${k}`, b.x, b.y + b.h + GAP + (h + GAP) * k]);
    /** @type {{ x: number, y: number, spot: string, cost: number } | null} */
    let best = null;
    for (const [spot, rawX, y] of spots) {
      // Sideways only as far as the photo allows.
      const x = Math.max(0, Math.min(area.w - w, rawX));
      if (y < 0 || y + h > area.h) continue;
      const rect = { x, y, w, h };
      const tagHits = placed.filter((p) => overlaps(p, rect)).length;
      const faceHits = boxes.filter((o, j) => j !== i && overlaps(o, rect)).length;
      const cost = tagHits * 1000 + faceHits;
      if (!best || cost < best.cost) best = { x, y, spot, cost };
      if (cost === 0) break;
    }
    const chosen = best ?? { x: Math.max(0, Math.min(area.w - w, b.x)), y: Math.max(0, b.y), spot: 'fallback', cost: 0 };
    out[i] = { x: chosen.x, y: chosen.y, spot: chosen.spot, clash: chosen.cost >= 1000 };
    placed.push({ x: chosen.x, y: chosen.y, w, h });
  }
  return out;
}

/**
 * Places the `.tag` elements of a face layer (siblings of their `.face-box`, same `data-face`).
 * When the full tags (`2 · Ada`) cannot all be placed apart — a group photo shown small, on a
 * phone — every tag of the photo is cut to its number, which the list below the photo explains.
 * @param {HTMLElement} frame
 */
export function placeTags(frame) {
  const area = { w: frame.clientWidth, h: frame.clientHeight };
  if (area.w === 0 || area.h === 0) return;
  const boxes = /** @type {HTMLElement[]} */ ([...frame.querySelectorAll('.face-box')]);
  const tags = boxes.map((box) => /** @type {HTMLElement | null} */ (frame.querySelector(`.tag[data-face="${box.dataset.face}"]`)));
  const rects = boxes.map((box) => ({ x: box.offsetLeft, y: box.offsetTop, w: box.offsetWidth, h: box.offsetHeight }));
  const layout = (/** @type {boolean} */ compact) => {
    for (const tag of tags) {
      if (!tag) continue;
      tag.dataset.full ??= tag.textContent ?? '';
      tag.textContent = compact ? String(Number(tag.dataset.face) + 1) : tag.dataset.full;
      tag.title = tag.dataset.full;
    }
    return layoutTags(rects, tags.map((tag) => ({ w: tag?.offsetWidth ?? 0, h: tag?.offsetHeight ?? 0 })), area);
  };
  let spots = layout(false);
  const compact = spots.some((spot) => spot?.clash);
  if (compact) spots = layout(true);
  frame.dataset.compact = String(compact);
  tags.forEach((tag, i) => {
    const spot = spots[i];
    if (!tag || !spot) return;
    tag.style.left = `${spot.x}px`;
    tag.style.top = `${spot.y}px`;
    tag.dataset.spot = spot.spot;
  });
  frame.dataset.placed = 'true';
}
