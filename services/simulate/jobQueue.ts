/**
 * The simulated request queue: waiting jobs in arrival order (a growable ring of typed arrays, so a
 * backlog of millions costs no objects), and the messages of lost workers, which become visible
 * again when their visibility timeout runs out (redelivery), with their receive counts.
 */

export class JobQueue {
  private arrival = new Float64Array(1024);
  private index = new Float64Array(1024);
  private head = 0;
  private size = 0;
  /** Redelivered messages, sorted by when they become visible. */
  private readonly redelivered: Array<{ visibleAt: number; arrival: number; index: number; receives: number }> = [];

  get waiting(): number {
    return this.size;
  }

  /** Messages of lost workers not yet visible again at `t` (they count as in flight). */
  hiddenAt(t: number): number {
    return this.redelivered.filter((r) => r.visibleAt > t).length;
  }

  /** Visible redelivered messages at `t`. */
  redeliveredVisibleAt(t: number): number {
    return this.redelivered.length - this.hiddenAt(t);
  }

  get pendingRedeliveries(): number {
    return this.redelivered.length;
  }

  push(arrival: number, index: number): void {
    if (this.size === this.arrival.length) this.grow();
    const at = (this.head + this.size) % this.arrival.length;
    this.arrival[at] = arrival;
    this.index[at] = index;
    this.size += 1;
  }

  /** A message whose worker was lost, visible again at `visibleAt`. */
  redeliver(visibleAt: number, arrival: number, index: number, receives: number): void {
    const entry = { visibleAt, arrival, index, receives };
    let i = this.redelivered.length;
    while (i > 0 && (this.redelivered[i - 1] as typeof entry).visibleAt > visibleAt) i -= 1;
    this.redelivered.splice(i, 0, entry);
  }

  /** When the next message is available: the earlier of the oldest waiting and the next redelivery (Infinity: none). */
  nextAvailable(): number {
    const fresh = this.size ? (this.arrival[this.head] as number) : Infinity;
    const again = this.redelivered[0]?.visibleAt ?? Infinity;
    return Math.min(fresh, again);
  }

  /** The last taken message's arrival time and how often it was received before (no object per job: millions are taken). */
  takenArrival = 0;
  takenReceives = 0;

  /** Takes the next available message and returns its job index (its arrival and receives are in taken*). */
  take(): number {
    const fresh = this.size ? (this.arrival[this.head] as number) : Infinity;
    const again = this.redelivered[0];
    if (again && again.visibleAt <= fresh) {
      this.redelivered.shift();
      this.takenArrival = again.arrival;
      this.takenReceives = again.receives;
      return again.index;
    }
    const index = this.index[this.head] as number;
    this.takenArrival = fresh;
    this.takenReceives = 0;
    this.head = (this.head + 1) % this.arrival.length;
    this.size -= 1;
    return index;
  }

  private grow(): void {
    const n = this.arrival.length * 2;
    const arrival = new Float64Array(n);
    const index = new Float64Array(n);
    for (let i = 0; i < this.size; i += 1) {
      arrival[i] = this.arrival[(this.head + i) % this.arrival.length] as number;
      index[i] = this.index[(this.head + i) % this.arrival.length] as number;
    }
    this.arrival = arrival;
    this.index = index;
    this.head = 0;
  }
}
