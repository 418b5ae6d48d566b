/** Runs the EventStore conformance suite on the SQLite store, one fresh temp file per test. */
import { openSqliteEventStore } from '../../adapters/embedded/sqliteEventStore.ts';
import { makeTempDir } from '../support/tempDir.ts';
import { eventStoreConformance } from './eventStore.suite.ts';

eventStoreConformance('sqlite', async () => {
  const dir = makeTempDir('events');
  return { store: openSqliteEventStore({ file: dir.file('facefleet.db') }), cleanup: dir.cleanup };
});
