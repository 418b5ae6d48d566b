/** Runs the EventStore conformance suite on the SQLite store, one fresh temp file per test; then its group commit. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VersionConflictError } from '../../machines/index.ts';
import { openSqliteEventStore } from '../../adapters/embedded/sqliteEventStore.ts';
import { makeTempDir } from '../support/tempDir.ts';
import { eventStoreConformance } from './eventStore.suite.ts';

eventStoreConformance('sqlite', async () => {
  const dir = makeTempDir('events');
  return { store: openSqliteEventStore({ file: dir.file('facefleet.db') }), cleanup: dir.cleanup };
});

describe('given the SQLite store with group commit (the default)', () => {
  const at = '2025-01-01T00:00:00.000Z';
  const polled = [{ type: 'InstancePolledEmpty', at, data: {} }];

  it('when 40 appends to 20 streams arrive in one turn, two per stream with the same expected seq, then each stream takes exactly one and the other is a version conflict', async () => {
    const dir = makeTempDir('events-group');
    const store = openSqliteEventStore({ file: dir.file('facefleet.db') });
    try {
      const streams = Array.from({ length: 20 }, (_, i) => `instance-g${i}`);
      const outcomes = await Promise.allSettled(streams.flatMap((stream) => [store.append(stream, 0, polled), store.append(stream, 0, polled)]));
      const refused = outcomes.filter((o) => o.status === 'rejected');
      assert.equal(outcomes.length - refused.length, 20);
      assert.ok(refused.every((o) => (o as PromiseRejectedResult).reason instanceof VersionConflictError));
      for (const stream of streams) assert.equal((await store.read(stream)).length, 1, stream);
    } finally {
      await store.close();
      dir.cleanup();
    }
  });

  it('when the store is closed right after appends were accepted, then they are on disk when it is opened again', async () => {
    const dir = makeTempDir('events-close');
    const store = openSqliteEventStore({ file: dir.file('facefleet.db') });
    const appended = store.append('instance-c1', 0, polled);
    await store.close();
    await appended;
    const reopened = openSqliteEventStore({ file: dir.file('facefleet.db') });
    try {
      assert.equal((await reopened.read('instance-c1')).length, 1);
    } finally {
      await reopened.close();
      dir.cleanup();
    }
  });
});
