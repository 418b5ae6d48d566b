/** The EC2 launch idempotency token: at most 64 characters, and distinct for ids that share a long prefix. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientToken } from '../../../adapters/aws/ec2Compute.ts';

describe('the RunInstances ClientToken', () => {
  it('given a long fleet name and two instance ids sharing their first 64 characters, then the tokens differ and fit in 64 characters', () => {
    const fleet = 'facefleet-production-eu-west-1-blue-green-deployment';
    const a = clientToken(fleet, '0190f3c2-aaaa-7000-8000-000000000001');
    const b = clientToken(fleet, '0190f3c2-aaaa-7000-8000-000000000002');
    assert.equal(`${fleet}:0190f3c2-aaaa-7000-8000-000000000001`.slice(0, 64), `${fleet}:0190f3c2-aaaa-7000-8000-000000000002`.slice(0, 64), 'a cut would collide');
    assert.notEqual(a, b);
    assert.ok(a.length <= 64 && b.length <= 64);
    assert.equal(clientToken(fleet, '0190f3c2-aaaa-7000-8000-000000000001'), a, 'a retry carries the same token');
  });
});
