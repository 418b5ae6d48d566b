/**
 * Match quality through a real fleet: every face of a job's result carries `runnerUp` (the nearest
 * other subject and its distance) and `ambiguous`; with `ambiguousLabel` on, a classic answer whose
 * largest face is ambiguous says `ambiguous`. The config reaches the worker processes (workerEnv).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { enrolDemoSubjects, eventually, getJob, postClassic, submitJob } from '../support/facefleetProcess.ts';
import { startInProcess, type InProcessFacefleet } from '../support/facefleetInProcess.ts';

interface Face {
  label: string;
  distance: number;
  runnerUp: { label: string; distance: number } | null;
  ambiguous: boolean;
  box: { width: number; height: number };
}

async function resultFaces(url: string, jobId: string): Promise<Face[]> {
  const job = await eventually('the job to finish', async () => {
    const j = (await getJob(url, jobId)) as unknown as { state: string; result?: { faces: Face[] } };
    return j.state === 'done' || j.state === 'failed' ? j : undefined;
  });
  assert.equal(job.state, 'done');
  return job.result?.faces ?? [];
}

const largest = (faces: Face[]): Face | undefined => [...faces].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)[0];

describe('given a fleet with the default margin and persons 2 and 3 enrolled', () => {
  let ff: InProcessFacefleet;
  before(async () => {
    ff = await startInProcess({ env: { FACEFLEET_CAP: '1' } });
    await enrolDemoSubjects(ff.url, [2, 3]);
  });
  after(async () => {
    await ff?.stop();
    ff?.cleanup();
  });

  it('when sample2 is recognised, then its largest face is person2, the runner-up person3 farther away, not ambiguous, and the classic answer names it', async () => {
    const face = largest(await resultFaces(ff.url, await submitJob(ff.url, 2)));
    assert.ok(face);
    assert.equal(face.label, 'person2');
    assert.equal(face.runnerUp?.label, 'person3');
    assert.ok((face.runnerUp?.distance ?? 0) - face.distance >= 0.05, `gap ${(face.runnerUp?.distance ?? 0) - face.distance}`);
    assert.equal(face.ambiguous, false);
    const answer = await postClassic(ff.url, 2, 'two.jpg');
    assert.equal(answer.text, 'two:person2');
  });
});

describe('given a fleet whose margin takes in every runner-up and ambiguousLabel on', () => {
  let ff: InProcessFacefleet;
  before(async () => {
    ff = await startInProcess({ env: { FACEFLEET_CAP: '1', FACEFLEET_AMBIGUITY_MARGIN: '2', FACEFLEET_AMBIGUOUS_LABEL: 'true' } });
    await enrolDemoSubjects(ff.url, [2, 3]);
  });
  after(async () => {
    await ff?.stop();
    ff?.cleanup();
  });

  it('when sample2 is recognised, then its named largest face is ambiguous, keeps its nearest name in the result, and the classic answer says ambiguous', async () => {
    const face = largest(await resultFaces(ff.url, await submitJob(ff.url, 2)));
    assert.ok(face);
    assert.equal(face.label, 'person2');
    assert.equal(face.ambiguous, true);
    const answer = await postClassic(ff.url, 2, 'two.jpg');
    assert.equal(answer.status, 200);
    assert.equal(answer.text, 'two:ambiguous');
  });
});
