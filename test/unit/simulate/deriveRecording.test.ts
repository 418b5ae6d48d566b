/**
 * A real run's read models into a recording: arrivals in submission order, service times measured
 * start to start when a worker went straight on, latency percentiles and instance-seconds as the
 * event store states them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ReadModelRow } from '../../../machines/index.ts';
import { deriveRecording } from '../../../services/simulate/deriveRecording.ts';

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
const row = (kind: 'job' | 'instance', id: string, state: string, context: Record<string, unknown>): ReadModelRow =>
  ({ kind, id, stream: `${kind}-${id}`, state, seq: 1, createdAt: at(0), updatedAt: at(0), context }) as ReadModelRow;
const job = (id: string, submitted: number, started: number, finished: number, instanceId: string) =>
  row('job', id, 'done', { submittedAt: at(submitted), startedAt: at(started), finishedAt: at(finished), instanceId });
const meta = { name: 't', settings: { cap: 1, jobsPerInstance: 1, idleFloorSeconds: 1, pollWaitSeconds: 2, supervisorTickMs: 1000, emptyPollsToIdle: 2, visibilityTimeoutSeconds: 30, maxReceives: 3 } };

describe('given one instance that booted in 1 s and did three jobs, two of them back to back', () => {
  const recording = deriveRecording(
    meta,
    [job('c', 5000, 5000, 5100, 'i1'), job('a', 100, 1500, 1600, 'i1'), job('b', 200, 1620, 1700, 'i1')],
    [row('instance', 'i1', 'terminated', { requestedAt: at(300), bootedAt: at(1300), terminatedAt: at(7000) })],
  );

  it('when derived, then arrivals are offsets from the first submission, in order', () => {
    assert.deepEqual(recording.arrivalsMs, [0, 100, 4900]);
  });

  it('when derived, then a job the worker went straight on from costs start to next start; the others their run plus the median hand-over', () => {
    // a: 1500 → 1620 (b was queued when a finished); hand-over 20 ms; b and c: their own run + 20.
    assert.deepEqual(recording.serviceMs, [120, 100, 120]);
  });

  it('when derived, then boots, reaction, latency and instance-seconds are what the streams say', () => {
    assert.deepEqual(recording.bootMs, [1000]);
    assert.equal(recording.reactionMs, 200);
    assert.deepEqual(recording.measured, { latencyMs: { p50: 1500, p95: 1500, p99: 1500 }, instanceSeconds: 6.7, launches: 1, jobs: 3 });
  });
});

describe('given an instance still running', () => {
  it('when derived, then it refuses: the fleet must be back to zero', () => {
    assert.throws(
      () => deriveRecording(meta, [job('a', 0, 10, 20, 'i1')], [row('instance', 'i1', 'polling', { requestedAt: at(0), bootedAt: at(5) })]),
      /has not terminated yet/,
    );
  });
});
