import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, describeConfig, envName, idlePolicy, loadConfig, workerEnv } from '../../../app/config.ts';

function fails(options: Parameters<typeof loadConfig>[0], message: string) {
  assert.throws(() => loadConfig(options), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.message, message);
    assert.ok(!error.message.includes('\n'), 'one line');
    return true;
  });
}

describe('given no sources', () => {
  it('uses the defaults, with cap = min(19, cpus) in embedded mode', () => {
    const { config, notes } = loadConfig({ env: {}, cpus: 4 });
    assert.equal(config.port, 3000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.cap, 4);
    assert.equal(config.heartbeatSeconds, 5);
    assert.equal(config.maxUploadBytes, 15 * 1024 * 1024);
    assert.ok(notes.some((n) => n.includes('min(19, 4')));
    assert.ok(config.dataDir.startsWith('/'), 'dataDir is made absolute');
  });
  it('caps at 19 on a big machine', () => {
    assert.equal(loadConfig({ env: {}, cpus: 64 }).config.cap, 19);
  });
  it('keeps 19 for the aws backend', () => {
    assert.equal(loadConfig({ env: { FACEFLEET_BACKEND: 'aws' }, cpus: 2 }).config.cap, 19);
  });
});

describe('given several sources', () => {
  it('merges defaults < file < env < flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'facefleet-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ port: 1111, cap: 3, maxAttempts: 5, aws: { region: 'eu-west-1' } }));
    const { config, sources } = loadConfig({ file, env: { FACEFLEET_CAP: '7', PORT: '2222' }, flags: { port: 3333 } });
    assert.equal(config.port, 3333);
    assert.equal(config.cap, 7);
    assert.equal(config.maxAttempts, 5);
    assert.equal(config.aws.region, 'eu-west-1');
    assert.deepEqual([sources.port, sources.cap, sources.maxAttempts], ['flag', 'env', 'file']);
  });
  it('reads the file named by FACEFLEET_CONFIG', () => {
    const dir = mkdtempSync(join(tmpdir(), 'facefleet-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ detector: 'tiny' }));
    assert.equal(loadConfig({ env: { FACEFLEET_CONFIG: file } }).config.detector, 'tiny');
  });
});

describe('given a bad value', () => {
  it('heartbeat not below the visibility timeout → one line naming both', () => {
    fails({ env: { FACEFLEET_HEARTBEAT_SECONDS: '40' } }, 'config: heartbeatSeconds (40) must be less than visibilityTimeoutSeconds (30)');
  });
  it('a port that is not a number', () => {
    fails({ env: { PORT: 'http' } }, 'config: port ("http") must be a number');
  });
  it('a negative cap', () => {
    fails({ env: {}, flags: { cap: -1 } }, 'config: cap (-1) must be at least 0');
  });
  it('an unknown detector', () => {
    fails({ env: { FACEFLEET_DETECTOR: 'yolo' } }, 'config: detector ("yolo") must be "ssd" or "tiny"');
  });
  it('an unknown key in the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'facefleet-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ prot: 1 }));
    fails({ file, env: {} }, 'config: prot is not a known key');
  });
  it('an idle time that is neither "auto" nor seconds', () => {
    fails({ env: { FACEFLEET_IDLE_SECONDS: 'soon' } }, 'config: idleSeconds ("soon") must be "auto" or a number of seconds from 0.1');
  });
  it('a file that is not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'facefleet-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, '{ port: ');
    assert.throws(() => loadConfig({ file, env: {} }), /config: .*c\.json is not valid JSON/);
  });
});

describe('given a secret', () => {
  it('masks it when printed, and never echoes it in an error', () => {
    const loaded = loadConfig({ env: { FACEFLEET_API_KEY: 'super-secret-key' } });
    const printed = describeConfig(loaded).join('\n');
    assert.ok(!printed.includes('super-secret-key'));
    assert.match(printed, /apiKey\s+\*{8}/);
    fails({ env: { FACEFLEET_API_KEY: 'short' } }, 'config: apiKey must be at least 8 characters');
  });
});

describe('given the idle policy per backend', () => {
  it('embedded defaults to measured with the floor as prior; aws to a fixed 60 s, or a 60 s prior when auto is asked for; a number is fixed', () => {
    assert.deepEqual(idlePolicy(loadConfig({ env: {} }).config), { floorSeconds: 1, priorSeconds: 1, window: 9 });
    assert.deepEqual(idlePolicy(loadConfig({ env: { FACEFLEET_BACKEND: 'aws' } }).config), { fixedSeconds: 60, floorSeconds: 1, priorSeconds: 60, window: 9 });
    assert.deepEqual(idlePolicy(loadConfig({ env: { FACEFLEET_BACKEND: 'aws', FACEFLEET_IDLE_SECONDS: 'auto' } }).config), { floorSeconds: 1, priorSeconds: 60, window: 9 });
    assert.equal(idlePolicy(loadConfig({ env: { FACEFLEET_IDLE_SECONDS: '2.5' } }).config).fixedSeconds, 2.5);
  });
});

describe('given a config for workers', () => {
  it('round-trips the worker keys through the environment', () => {
    const { config } = loadConfig({ env: { FACEFLEET_POLL_WAIT_SECONDS: '1', FACEFLEET_HEARTBEAT_SECONDS: '1.5', FACEFLEET_DETECTOR: 'tiny' } });
    const env = workerEnv(config);
    assert.equal(env[envName('pollWaitSeconds')], '1');
    const again = loadConfig({ env }).config;
    for (const key of ['pollWaitSeconds', 'heartbeatSeconds', 'detector', 'visibilityTimeoutSeconds', 'dataDir', 'emptyPollsToIdle', 'threshold'] as const) {
      assert.equal(again[key], config[key], key);
    }
  });
});

describe('given allowedHosts', () => {
  it('when set in the environment as a comma list, then it is a list of names', () => {
    assert.deepEqual(loadConfig({ env: { FACEFLEET_ALLOWED_HOSTS: 'facefleet.example.com, .corp.example' } }).config.allowedHosts, ['facefleet.example.com', '.corp.example']);
    assert.equal(loadConfig({ env: {} }).config.allowedHosts, undefined);
  });
  it('when a value is not a host name, then one line names the key and the rule', () => {
    assert.throws(() => loadConfig({ env: { FACEFLEET_ALLOWED_HOSTS: 'http://evil.example/' } }), (error: unknown) => error instanceof ConfigError && /allowedHosts/.test(error.message) && !error.message.includes('\n'));
  });
});

describe('given a config file that is not valid JSON around the API key', () => {
  it('when it is loaded, then the one-line error gives the place but none of the text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'facefleet-config-'));
    for (const [text, where] of [['{\n  "apiKey": supersecretkey123\n}', /line 2:|is not valid JSON \(/], ['{\n  "apiKey": "supersecretkey123"\n  "port": 1\n}', /at line 3:3/]] as const) {
      const file = join(dir, 'c.json');
      writeFileSync(file, text);
      assert.throws(() => loadConfig({ file, env: {} }), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.doesNotMatch(error.message, /supersecret|apiKey/);
        assert.match(error.message, where);
        return true;
      });
    }
  });
});

describe('given the match-quality keys', () => {
  it('defaults to a 0.05 ambiguity margin and the nearest name in classic answers', () => {
    const { config } = loadConfig({ env: {}, cpus: 4 });
    assert.equal(config.ambiguityMargin, 0.05);
    assert.equal(config.ambiguousLabel, false);
  });
  it('reads them from the environment and passes them to workers', () => {
    const { config } = loadConfig({ env: { FACEFLEET_AMBIGUITY_MARGIN: '0.1', FACEFLEET_AMBIGUOUS_LABEL: 'true' }, cpus: 4 });
    assert.equal(config.ambiguityMargin, 0.1);
    assert.equal(config.ambiguousLabel, true);
    const env = workerEnv(config);
    assert.equal(env.FACEFLEET_AMBIGUITY_MARGIN, '0.1');
    assert.equal(env.FACEFLEET_AMBIGUOUS_LABEL, 'true');
    assert.equal(loadConfig({ env, cpus: 4 }).config.ambiguousLabel, true);
  });
  it('refuses a label flag that is not true or false, and a negative margin', () => {
    assert.throws(() => loadConfig({ env: { FACEFLEET_AMBIGUOUS_LABEL: 'yes' }, cpus: 4 }), /ambiguousLabel.*true or false/);
    assert.throws(() => loadConfig({ env: { FACEFLEET_AMBIGUITY_MARGIN: '-1' }, cpus: 4 }), /ambiguityMargin/);
  });
});
