/**
 * Stores `n` queued jobs straight into an embedded data dir (the events, read models and request
 * messages a submission writes, without HTTP or image blobs), so that bench:http can measure the
 * submission path over a long history without first submitting it at HTTP speed. Safe beside a
 * running facefleet: SQLite in WAL mode, every append its own transaction as in production.
 */
import { join } from 'node:path';
import { openSqliteEventStore } from '../../adapters/embedded/sqliteEventStore.ts';
import { openSqliteQueues } from '../../adapters/embedded/sqliteQueue.ts';
import { emptyState, streamName } from '../../machines/index.ts';
import { newId } from '../../services/clock.ts';
import { propose } from '../../services/streams/propose.ts';

/** Adds `n` queued jobs to the data dir's store and request queue. */
export async function seedJobs(dataDir: string, n: number): Promise<void> {
  const file = join(dataDir, 'facefleet.db');
  const store = openSqliteEventStore({ file });
  const queues = openSqliteQueues({ file });
  const requests = queues.queue({ name: 'requests', visibilityTimeoutSeconds: 30 });
  try {
    for (let i = 0; i < n; i++) {
      const jobId = newId();
      const stream = streamName('job', jobId);
      const data = { jobId, imageKey: `images/${jobId}`, fileName: 'seed.jpg', contentType: 'image/jpeg', bytes: 1000, source: 'load', maxAttempts: 3, detector: 'ssd' };
      await propose(store, stream, () => [{ type: 'JobSubmitted', at: new Date().toISOString(), data }], { known: emptyState(stream), attempts: 1 });
      await requests.send(JSON.stringify({ jobId }));
    }
  } finally {
    queues.close();
    await store.close();
  }
}
