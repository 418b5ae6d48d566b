/**
 * A 10,000-event instance stream appended through `propose` (the services' only way to write):
 * its replay ends exactly in the stored read model row. (Replay speed is measured by
 * test/bench/eventsBench.ts, not asserted here: a loaded CI machine would make it flaky.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openSqliteEventStore } from '../../../adapters/embedded/sqliteEventStore.ts';
import type { NewEvent } from '../../../machines/index.ts';
import { readHistory, replayHistory } from '../../../services/streams/replayHistory.ts';
import { propose, type Decision } from '../../../services/streams/propose.ts';
import { makeTempDir } from '../../support/tempDir.ts';

const total = 10_000;
const id = 'long1';
const stream = `instance-${id}`;

/** The n-th event (1-based) of a busy worker's life: boot, then job cycles with heartbeats and empty polls. */
function nth(n: number): NewEvent {
  const at = new Date(Date.UTC(2025, 0, 1) + n * 1000).toISOString();
  if (n === 1) return { type: 'InstanceRequested', at, data: { instanceId: id, reason: 'backlog', backlog: 9, emptyPollsToIdle: 3, emptyPollsToTerminate: 10 } };
  if (n === 2) return { type: 'InstanceLaunched', at, data: { providerId: '777', backend: 'processes' } };
  if (n === 3) return { type: 'InstanceBooted', at, data: { modelLoadMs: 1500 } };
  const cycle = (n - 4) % 5;
  const job = `j${Math.floor((n - 4) / 5)}`;
  switch (cycle) {
    case 0:
      return { type: 'InstancePolledEmpty', at, data: {} };
    case 1:
      return { type: 'InstanceJobStarted', at, data: { jobId: job } };
    case 2:
      return { type: 'InstanceHeartbeat', at, data: {} };
    case 3:
      return { type: 'InstanceJobFinished', at, data: { jobId: job, outcome: n % 7 === 0 ? 'failed' : 'done' } };
    default:
      return { type: 'InstancePolledEmpty', at, data: {} };
  }
}

describe('given a 10,000-event stream appended through propose', () => {
  it('when it is replayed from the store, then the final state and context equal the stored read model row', async () => {
    const dir = makeTempDir('long');
    const store = openSqliteEventStore({ file: dir.file('facefleet.db') });
    try {
      let known;
      // Mostly batches of 50, with single-event proposals in between, as services would write.
      for (let seq = 0; seq < total; ) {
        const size = Math.min(seq % 1000 === 0 ? 1 : 50, total - seq);
        const from = seq;
        const decide = (): Decision => Array.from({ length: size }, (_, i) => nth(from + i + 1));
        const result = await propose(store, stream, decide, known ? { known } : {});
        known = result.state;
        seq += size;
      }
      const history = await readHistory(store, stream);
      assert.equal(history.events.length, total);
      const replayed = replayHistory(history);
      assert.deepEqual(replayed.problems, []);
      const row = await store.get('instance', id);
      assert.ok(row);
      assert.equal(replayed.final.seq, total);
      assert.equal(row.seq, total);
      assert.equal(row.state, replayed.final.state);
      assert.deepEqual(row.context, replayed.final.context);
      assert.deepEqual(row.context, known?.context);
    } finally {
      await store.close();
      await dir.cleanup();
    }
  });
});
