/**
 * The whole system, started in this process through `startFacefleet` (the workers are real
 * processes): the gallery enrolled over HTTP, 20 photos through the classic `POST /` at once; the
 * fleet scales out, answers every request with the right name, then idles to zero; every stored
 * read model equals its replay.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  enrolDemoSubjects,
  eventually,
  listInstances,
  postClassic,
  readModelsMatchReplay,
  watchFleet,
} from '../support/facefleetProcess.ts';
import { startInProcess, type InProcessFacefleet } from '../support/facefleetInProcess.ts';

describe('given a fleet at zero with six people enrolled', () => {
  let ff: InProcessFacefleet;
  before(async () => {
    ff = await startInProcess({ env: { FACEFLEET_CAP: '4' } });
    await enrolDemoSubjects(ff.url);
  });
  after(async () => {
    await ff?.stop();
    ff?.cleanup();
  });

  it('20 photos through POST / at once are all named, more than one instance runs, and all idle out', async () => {
    const fleet = watchFleet(ff.url);
    const uploads = Array.from({ length: 20 }, (_, i) => ({ photo: (i % 6) + 1, name: `photo-${String(i + 1).padStart(2, '0')}` }));
    const answers = await Promise.all(uploads.map((u) => postClassic(ff.url, u.photo, `${u.name}.jpg`)));
    for (const [i, answer] of answers.entries()) {
      const u = uploads[i]!;
      assert.equal(answer.status, 200, `${u.name}: ${answer.text}`);
      assert.equal(answer.text, `${u.name}:person${u.photo}`);
    }

    const instances = await eventually(
      'every instance to terminate after idling',
      async () => {
        const rows = await listInstances(ff.url);
        return rows.length > 0 && rows.every((r) => r.state === 'terminated') ? rows : undefined;
      },
      60000,
    );
    await fleet.stop();
    process.stdout.write(`# scaling timeline (cap 4):\n${fleet.timeline().map((l) => `#   ${l}`).join('\n')}\n`);
    assert.ok(instances.length > 1, `more than one instance ran (${instances.length})`);
    assert.ok(fleet.maxAlive() <= 4, `never above the cap (${fleet.maxAlive()})`);
    assert.equal(instances.reduce((n, r) => n + r.jobsDone, 0), 20, 'the instances did the 20 jobs');
    for (const r of instances) {
      assert.equal(r.terminationReason, 'idle', `${r.id} terminated itself after idling`);
      assert.equal(r.forced, false);
    }
  });

  it('every stored read model equals the replay of its stream', async () => {
    for (const kind of ['job', 'instance'] as const) {
      const { checked, mismatches } = await readModelsMatchReplay(ff.dataDir, kind);
      assert.ok(checked > 0, `some ${kind} rows`);
      assert.deepEqual(mismatches, []);
    }
  });
});
