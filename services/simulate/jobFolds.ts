/**
 * Every job's stream folded through the real job machine (`evolve`: schemas, guards, assignments),
 * for runs small enough to afford it (about 20 µs an event). The latency then comes from the
 * folded contexts — finishedAt − submittedAt — exactly as the event store of a real run gives it.
 */
import { emptyState, evolve, streamName, type EventLike, type StreamState } from '../../machines/index.ts';
import { LatencyHistogram } from './histogram.ts';
import { iso, simEpochMs } from './simInstance.ts';

export class JobFolds {
  private readonly jobs: StreamState[] = [];

  private apply(index: number, type: string, atMs: number, data: Record<string, unknown>): void {
    const stream = streamName('job', `job${index}`);
    const state = this.jobs[index] ?? emptyState(stream);
    this.jobs[index] = evolve(stream, state, { type, at: iso(atMs), data } as EventLike);
  }

  submitted(index: number, atMs: number): void {
    this.apply(index, 'JobSubmitted', atMs, {
      jobId: `job${index}`,
      imageKey: `images/job${index}`,
      fileName: `job${index}.jpg`,
      contentType: 'image/jpeg',
      bytes: 0,
      source: 'load',
      maxAttempts: 100,
      detector: 'ssd',
    });
  }

  started(index: number, atMs: number, instanceId: string, attempt: number): void {
    this.apply(index, 'JobStarted', atMs, { instanceId, attempt });
  }

  completed(index: number, atMs: number, instanceId: string, attempt: number, durationMs: number): void {
    this.apply(index, 'JobCompleted', atMs, { instanceId, attempt, resultKey: `results/job${index}`, faces: 1, label: 'simulated', durationMs });
  }

  /** The worker holding it was lost: the job waits in the queue again (recorded when its message is visible again). */
  requeued(index: number, atMs: number, instanceId: string): void {
    this.apply(index, 'JobRequeued', atMs, { reason: 'worker-lost', instanceId });
  }

  deadLettered(index: number, atMs: number): void {
    this.requeuedIfProcessing(index, atMs);
    this.apply(index, 'JobFailed', atMs, { code: 'dead-letter', reason: 'simulated: delivered the maximum number of times' });
  }

  private requeuedIfProcessing(index: number, atMs: number): void {
    if (this.jobs[index]?.state === 'processing') this.apply(index, 'JobRequeued', atMs, { reason: 'lease-expired' });
  }

  /** Latency of every finished job (finishedAt − submittedAt of its folded context). */
  latencies(): LatencyHistogram {
    const histogram = new LatencyHistogram();
    for (const job of this.jobs) {
      if (job?.kind !== 'job' || job.state !== 'done') continue;
      const { submittedAt, finishedAt } = job.context;
      if (submittedAt && finishedAt) histogram.add(Date.parse(finishedAt) - Date.parse(submittedAt));
    }
    return histogram;
  }
}

export { simEpochMs };
