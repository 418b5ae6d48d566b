/**
 * The serving instances as a binary min-heap on `freeAt`: the worker free longest is on top (it is
 * the one whose long poll gets the next message).
 */
import type { SimInstance } from './simInstance.ts';

export class InstanceHeap {
  private items: SimInstance[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): SimInstance | undefined {
    return this.items[0];
  }

  push(s: SimInstance): void {
    this.items.push(s);
    this.up(this.items.length - 1);
  }

  pop(): SimInstance | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (this.items.length && last) {
      this.items[0] = last;
      this.down(0);
    }
    return top;
  }

  /** The top's freeAt grew: restores the order. */
  replaceTop(_s: SimInstance): void {
    this.down(0);
  }

  remove(s: SimInstance): void {
    this.removeWhere((x) => x === s);
  }

  /** Removes every instance for which `predicate` is true (it may act on them), then re-heapifies. */
  removeWhere(predicate: (s: SimInstance) => boolean): void {
    this.items = this.items.filter((s) => !predicate(s));
    for (let i = (this.items.length >> 1) - 1; i >= 0; i -= 1) this.down(i);
  }

  private up(i: number): void {
    const items = this.items;
    const item = items[i] as SimInstance;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as SimInstance;
      if (p.freeAt <= item.freeAt) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const item = items[i] as SimInstance;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && (items[right] as SimInstance).freeAt < (items[child] as SimInstance).freeAt) child = right;
      const c = items[child] as SimInstance;
      if (c.freeAt >= item.freeAt) break;
      items[i] = c;
      i = child;
    }
    items[i] = item;
  }
}
