/**
 * Time and ids come from here (machines never read a clock). Services take a `Clock` so tests can
 * pass a fixed one.
 */
import { randomBytes } from 'node:crypto';

export interface Clock {
  /** The current time. */
  now(): Date;
  /** A new unique id: sortable by creation time, URL- and key-safe. */
  newId(): string;
}

let lastMs = 0;
let counter = 0;

/** A time-sortable id: 9 chars of milliseconds, 2 of a per-ms counter, 10 random, base36. */
export function newId(now = Date.now()): string {
  if (now === lastMs) counter += 1;
  else {
    lastMs = now;
    counter = 0;
  }
  const random = randomBytes(8).readBigUInt64BE().toString(36).padStart(13, '0').slice(0, 10);
  return `${now.toString(36).padStart(9, '0')}${(counter % 1296).toString(36).padStart(2, '0')}${random}`;
}

export const systemClock: Clock = {
  now: () => new Date(),
  newId: () => newId(),
};

/** ISO time of `clock.now()`. */
export function isoNow(clock: Clock): string {
  return clock.now().toISOString();
}
