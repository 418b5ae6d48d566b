/**
 * The fault-injection hooks themselves (app/faults.ts), without processes: FACEFLEET_FAULTS is
 * parsed strictly, and with no fault configured every hook is a no-op.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { createFaultHooks, InjectedFault, parseFaults } from '../../app/faults.ts';

const bytes = new Uint8Array([1, 2, 3]);
const sha = createHash('sha256').update(bytes).digest('hex');
const other = new Uint8Array([4, 5, 6]);

describe('given FACEFLEET_FAULTS unset', () => {
  it('then no fault is parsed and every hook is a no-op', async () => {
    assert.deepEqual(parseFaults(undefined), []);
    assert.deepEqual(parseFaults(' '), []);
    const hooks = createFaultHooks([]);
    assert.equal(hooks.active, false);
    assert.equal(hooks.hangOnTerminate, false);
    await hooks.beforeRecognition(bytes, 1);
    assert.equal(hooks.leaseExtensionSuspended(), false);
  });
});

describe('given a FACEFLEET_FAULTS value', () => {
  it('then every known fault parses', () => {
    assert.deepEqual(parseFaults(`poison:${sha.toUpperCase()}, slow-job-ms:250, slow-job-ms:10:${sha},hang-on-terminate`), [
      { kind: 'poison', sha256: sha },
      { kind: 'slow-job-ms', ms: 250 },
      { kind: 'slow-job-ms', ms: 10, sha256: sha },
      { kind: 'hang-on-terminate' },
    ]);
  });

  for (const bad of ['poison', 'poison:xyz', 'slow-job-ms:-1', 'slow-job-ms:abc', 'hang-on-terminate:1', 'stop-everything']) {
    it(`when it is "${bad}", then parsing fails loudly`, () => {
      assert.throws(() => parseFaults(bad), /FACEFLEET_FAULTS/);
    });
  }
});

describe('given hooks with a poison and a slow first attempt', () => {
  const hooks = createFaultHooks(parseFaults(`poison:${sha},slow-job-ms:50:${createHash('sha256').update(other).digest('hex')}`));

  it('when the poison bytes are recognised, then a non-input error is thrown on every attempt', async () => {
    for (const attempt of [1, 2, 3]) {
      const error = await hooks.beforeRecognition(bytes, attempt).then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof InjectedFault);
      assert.notEqual((error as InjectedFault).code, 'invalid-image');
    }
  });

  it('when the slow bytes are on their first attempt, then it waits with the lease extension suspended; later attempts do not wait', async () => {
    const started = performance.now();
    const waiting = hooks.beforeRecognition(other, 1);
    assert.equal(hooks.leaseExtensionSuspended(), true);
    await waiting;
    assert.ok(performance.now() - started >= 45);
    assert.equal(hooks.leaseExtensionSuspended(), false);
    const again = performance.now();
    await hooks.beforeRecognition(other, 2);
    assert.ok(performance.now() - again < 45);
  });
});
