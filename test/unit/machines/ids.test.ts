/** The one id rule: what the clock creates, blob keys, stream lookups and compute accept. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isId } from '../../../machines/index.ts';
import { blobKeys } from '../../../services/blobKeys.ts';
import { newId } from '../../../services/clock.ts';

describe('given the id rule', () => {
  it('when the clock creates ids, then every one follows it', () => {
    for (let i = 0; i < 1000; i++) assert.ok(isId(newId()));
  });

  it('when a text has a dot, a slash, a colon, nothing or more than 100 characters, then it is no id and no blob key is made of it', () => {
    for (const text of ['a.b', '../x', 'a:b', '', 'x'.repeat(101)]) {
      assert.equal(isId(text), false, text);
      assert.throws(() => blobKeys.image(text));
    }
    assert.equal(isId('x'.repeat(100)), true);
  });
});
