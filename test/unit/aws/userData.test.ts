/** The generated user data starts the worker from the prebuilt bundle when the image has it, else through tsx. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderUserData } from '../../../adapters/aws/ec2Compute.ts';

describe('the worker user data', () => {
  it('given the default settings, then it runs dist/facefleet-worker.mjs with plain node when present and falls back to the CLI', () => {
    const script = renderUserData({ FACEFLEET_INSTANCE_ID: 'w1' });
    const run = script.split('\n').find((line) => line.startsWith('runuser'));
    assert.match(String(run), /if \[ -f dist\/facefleet-worker\.mjs \]; then exec node dist\/facefleet-worker\.mjs; else exec node bin\/facefleet\.js worker; fi/);
  });

  it('given a configured worker command, then that runs instead', () => {
    assert.match(renderUserData({}, { workerCommand: 'node custom.mjs' }), /runuser -u 'facefleet' -- node custom\.mjs/);
  });
});
