/** The SQLite lease (a file in the data dir) against the shared Lease conformance suite. */
import { openSqliteLease } from '../../adapters/embedded/sqliteLease.ts';
import { makeTempDir } from '../support/tempDir.ts';
import { leaseConformance } from './lease.suite.ts';

leaseConformance('sqlite (data dir)', async (clock) => {
  const dir = makeTempDir('lease');
  const file = dir.file('lease.db');
  return {
    a: openSqliteLease({ file, now: clock.now }),
    b: openSqliteLease({ file, now: clock.now }),
    cleanup: () => dir.cleanup(),
  };
});
