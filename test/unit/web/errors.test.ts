/** The one place HTTP statuses are decided (web/errors.ts): the closed error set mapped by type and code. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CorruptHistoryError,
  IllegalTransitionError,
  ImageTooLarge,
  InvalidImage,
  JobFailedError,
  NoFaceError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
  VersionConflictError,
  WaitTimeoutError,
  type ServiceError,
} from '../../../services/api.ts';
import { describeError } from '../../../web/errors.ts';

describe('given every error of the closed set', () => {
  const cases: Array<[ServiceError, number | undefined]> = [
    [new ValidationError('Bad.'), 400],
    [new InvalidImage('Bad image.'), 400],
    [new NotFoundError('None.'), 404],
    [new IllegalTransitionError('job-a', 'done', 'JobStarted'), 409],
    [new VersionConflictError('job-a', 3, 4), 409],
    [new PayloadTooLargeError('Big.'), 413],
    [new PayloadTooLargeError('Many pixels.', 'image-too-large'), 413],
    [new ImageTooLarge('Many pixels.'), 413],
    [new UnsupportedMediaTypeError('GIF.'), 415],
    [new NoFaceError('No face.'), 422],
    [new JobFailedError('a', 'invalid-image', 'bad'), 422],
    [new WaitTimeoutError('a', 30_000), 504],
    [new CorruptHistoryError('job-a', 2, 'unknown type'), undefined],
  ];
  for (const [error, status] of cases) {
    it(`when ${error.name} is thrown then ${status ?? 'a plain 500 (not shown)'}`, () => {
      const shown = describeError(error);
      if (status === undefined) return assert.equal(shown, undefined);
      assert.deepEqual(shown, { status, code: error.code, message: error.message });
    });
  }

  it('when a plain Error or an object shaped like one of ours is thrown then it is not shown', () => {
    assert.equal(describeError(new Error('boom at /secret')), undefined);
    assert.equal(describeError({ code: 'validation', status: 400, message: 'looks like ours' }), undefined);
  });
});

describe('given an infrastructure error from an adapter (a full disk, a failed database write)', () => {
  it('when a disk-full error is thrown wrapped by the store, then 503 storage-unavailable names ENOSPC in words and no path', () => {
    const disk = Object.assign(new Error("ENOSPC: no space left on device, write '/srv/facefleet/data/facefleet.db-wal'"), { code: 'ENOSPC' });
    const shown = describeError(new Error(`appending to job-x failed: ${disk.message}`, { cause: disk }));
    assert.equal(shown?.status, 503);
    assert.equal(shown?.code, 'storage-unavailable');
    assert.match(shown?.message ?? '', /ENOSPC: no space left on the device/);
    assert.doesNotMatch(shown?.message ?? '', /\/srv\//);
  });

  it('when SQLite reports its disk full, then 503 as well', () => {
    assert.equal(describeError(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))?.status, 503);
  });

  it('when a plain programming error is thrown, then it stays a plain 500 (not shown)', () => {
    assert.equal(describeError(new TypeError("Cannot read properties of undefined (reading 'x')")), undefined);
  });
});
