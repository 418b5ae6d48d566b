/**
 * `facefleet recognize --attributes`: each face as a person reads it — who, where, age, gender (with
 * its probability) and the top expression — without landmarks or the descriptor. A real process.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFacefleet } from '../../support/cli.ts';
import { demoPhoto } from '../../support/facefleetProcess.ts';

describe('given the demo group photo', () => {
  it('when recognised with --attributes, then every face has age, gender, its probability and an expression, and no descriptor', async () => {
    const run = await runFacefleet(['recognize', '--attributes', demoPhoto(1)]);
    assert.equal(run.code, 0, run.stderr);
    const [line] = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { file: string; faces: Array<Record<string, unknown>> });
    assert.equal(line?.file, 'sample1.jpg');
    assert.ok((line?.faces.length ?? 0) >= 3, 'the group photo has several faces');
    for (const face of line?.faces ?? []) {
      assert.deepEqual(Object.keys(face).sort(), ['age', 'box', 'distance', 'expression', 'gender', 'genderProbability', 'label']);
      assert.ok(typeof face.age === 'number' && face.age > 0 && face.age < 100, `age ${String(face.age)}`);
      assert.ok(face.gender === 'male' || face.gender === 'female');
      assert.ok(typeof face.genderProbability === 'number' && face.genderProbability >= 0.5 && face.genderProbability <= 1);
      assert.ok(['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'].includes(String(face.expression)));
      assert.equal(face.label, 'unknown', 'an empty gallery names nobody');
    }
  });
});
