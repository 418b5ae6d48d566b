/**
 * `GET /v1/stream`: Server-Sent Events for every job and instance change, heartbeats, and cleanup
 * when the client leaves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { emptyState, streamName } from '../../../machines/index.ts';
import { propose } from '../../../services/streams/propose.ts';
import { form, sampleImage, simulateWorker, startBench, type Bench } from './webHarness.ts';

interface SseEvent {
  event?: string;
  data?: string;
  comment?: string;
}

/** Reads SSE frames from a response body as they arrive. */
function sseReader(response: Response) {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const frames: SseEvent[] = [];
  const pump = (async () => {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const parsed: SseEvent = {};
        for (const line of frame.split('\n')) {
          if (line.startsWith(':')) parsed.comment = line.slice(1).trim();
          else if (line.startsWith('event: ')) parsed.event = line.slice(7);
          else if (line.startsWith('data: ')) parsed.data = line.slice(6);
        }
        frames.push(parsed);
      }
    }
  })();
  return {
    frames,
    async waitFor(predicate: (frames: SseEvent[]) => boolean, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(frames)) {
        if (Date.now() > deadline) throw new Error(`timed out; frames: ${JSON.stringify(frames)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    cancel: async () => {
      await reader.cancel().catch(() => undefined);
      await pump;
    },
  };
}

describe('given a client subscribed to /v1/stream', () => {
  let bench: Bench;
  before(async () => (bench = await startBench({ app: { sseHeartbeatMs: 100 } })));
  after(() => bench.close());

  it('when a job is submitted and completed then job events arrive with each state, in order', async () => {
    const abort = new AbortController();
    const response = await fetch(`${bench.url}/v1/stream`, { signal: abort.signal });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const sse = sseReader(response);
    await sse.waitFor((f) => f.some((x) => x.comment === 'connected'));

    const submitted = await fetch(`${bench.url}/v1/jobs`, { method: 'POST', body: form([{ field: 'file', name: 'a.png', bytes: await sampleImage('png') }]) });
    const jobId = ((await submitted.json()) as { jobs: Array<{ id: string }> }).jobs[0]!.id;
    await simulateWorker(bench, jobId, { label: 'bob' });

    const jobStates = () =>
      sse.frames
        .filter((f) => f.event === 'job')
        .map((f) => JSON.parse(f.data!) as { id: string; state: string; label: string | null })
        .filter((j) => j.id === jobId);
    await sse.waitFor(() => jobStates().some((j) => j.state === 'done'));
    assert.deepEqual(
      jobStates().map((j) => j.state),
      ['queued', 'processing', 'done'],
    );
    assert.equal(jobStates().at(-1)!.label, 'bob');

    await sse.waitFor((f) => f.some((x) => x.comment === 'heartbeat'));
    abort.abort();
    await sse.cancel();
    for (let i = 0; i < 100 && bench.services.feed.listenerCount() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(bench.services.feed.listenerCount(), 0, 'the subscription was dropped on disconnect');
  });

  it('when an instance changes state then an instance event carries its row', async () => {
    const response = await fetch(`${bench.url}/v1/stream`);
    const sse = sseReader(response);
    await sse.waitFor((f) => f.some((x) => x.comment === 'connected'));
    const stream = streamName('instance', 'i-test-1');
    await propose(
      bench.store,
      stream,
      () => [{ type: 'InstanceRequested', at: new Date().toISOString(), data: { instanceId: 'i-test-1', reason: 'backlog', emptyPollsToIdle: 2, emptyPollsToTerminate: 5 } }],
      { known: emptyState(stream) },
    );
    await sse.waitFor((f) => f.some((x) => x.event === 'instance'));
    const row = JSON.parse(sse.frames.find((f) => f.event === 'instance')!.data!) as { id: string; state: string };
    assert.deepEqual([row.id, row.state], ['i-test-1', 'requested']);
    await sse.cancel();

    const listed = (await (await fetch(`${bench.url}/v1/instances`)).json()) as { items: Array<{ id: string; state: string }> };
    assert.deepEqual(listed.items.map((i) => [i.id, i.state]), [['i-test-1', 'requested']]);
    const one = (await (await fetch(`${bench.url}/v1/instances/i-test-1`)).json()) as { id: string; jobsDone: number };
    assert.deepEqual([one.id, one.jobsDone], ['i-test-1', 0]);
    const history = (await (await fetch(`${bench.url}/v1/instances/i-test-1/history`)).json()) as { steps: Array<{ type: string; stateAfter: string }> };
    assert.deepEqual(history.steps.map((s) => [s.type, s.stateAfter]), [['InstanceRequested', 'requested']]);
    assert.equal((await fetch(`${bench.url}/v1/instances/nobody`)).status, 404);
  });
});
