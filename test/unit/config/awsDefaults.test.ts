/** Defaults that differ on AWS: an EC2 boot takes minutes, so the boot timeout does too unless configured. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { awsBootTimeoutSeconds, awsIdleSeconds, awsLaunchTimeoutSeconds, loadConfig } from '../../../app/config.ts';

describe('the boot timeout per backend', () => {
  it('given the aws backend and no bootTimeoutSeconds, then it is minutes and the start-up print says why', () => {
    const loaded = loadConfig({ env: {}, flags: { backend: 'aws' } });
    assert.equal(loaded.config.bootTimeoutSeconds, awsBootTimeoutSeconds);
    assert.ok(awsBootTimeoutSeconds >= 300);
    assert.ok(loaded.notes.some((n) => /bootTimeoutSeconds 600 on aws/.test(n)));
  });

  it('given the aws backend and a configured bootTimeoutSeconds, then that value stands', () => {
    assert.equal(loadConfig({ env: { FACEFLEET_BOOT_TIMEOUT_SECONDS: '90' }, flags: { backend: 'aws' } }).config.bootTimeoutSeconds, 90);
  });

  it('given the embedded backend, then it stays 60 s (a process boots in about a second)', () => {
    assert.equal(loadConfig({ env: {}, flags: {} }).config.bootTimeoutSeconds, 60);
  });
});

describe('the launch timeout (requested → launched) per backend', () => {
  it('given the aws backend and no launchTimeoutSeconds, then it is minutes and the start-up print says so', () => {
    const loaded = loadConfig({ env: {}, flags: { backend: 'aws' } });
    assert.equal(loaded.config.launchTimeoutSeconds, awsLaunchTimeoutSeconds);
    assert.ok(awsLaunchTimeoutSeconds >= 120);
    assert.ok(loaded.notes.some((n) => /launchTimeoutSeconds 180 on aws/.test(n)));
  });

  it('given a configured launchTimeoutSeconds, then that value stands', () => {
    assert.equal(loadConfig({ env: { FACEFLEET_LAUNCH_TIMEOUT_SECONDS: '30' }, flags: { backend: 'aws' } }).config.launchTimeoutSeconds, 30);
  });

  it('given the embedded backend, then it is 60 s', () => {
    assert.equal(loadConfig({ env: {}, flags: {} }).config.launchTimeoutSeconds, 60);
  });
});

describe('the idle time per backend', () => {
  it('given the aws backend and no idleSeconds, then a fixed 60 s (chosen with the simulator), and the start-up print says so', () => {
    const loaded = loadConfig({ env: {}, flags: { backend: 'aws' } });
    assert.equal(loaded.config.idleSeconds, awsIdleSeconds);
    assert.equal(awsIdleSeconds, 60);
    assert.ok(loaded.notes.some((n) => /idleSeconds 60 on aws/.test(n)));
  });

  it('given the aws backend and idleSeconds auto, then auto stands', () => {
    assert.equal(loadConfig({ env: { FACEFLEET_IDLE_SECONDS: 'auto' }, flags: { backend: 'aws' } }).config.idleSeconds, 'auto');
  });

  it('given the embedded backend, then auto (measured boots, 1 s floor)', () => {
    assert.equal(loadConfig({ env: {}, flags: {} }).config.idleSeconds, 'auto');
  });
});
