/**
 * `facefleet start` and security: the warning when it listens beyond localhost without an API key,
 * and the key and CORS origins passed from the configuration to the web tier (real child processes).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../../app/config.ts';
import { startFacefleet } from '../../support/facefleetProcess.ts';

describe('given facefleet started on 0.0.0.0', () => {
  it('when no API key is configured then it warns that anyone who can reach the port can use the API', async () => {
    const server = await startFacefleet({ args: ['--host', '0.0.0.0'], env: { FACEFLEET_CAP: '0' } });
    try {
      await new Promise((r) => setTimeout(r, 200)); // the warning follows the listening line
      assert.match(server.output(), /WARNING: listening on 0\.0\.0\.0, beyond localhost, without an API key/);
      assert.match(server.output(), /Set apiKey \(FACEFLEET_API_KEY\) or listen on 127\.0\.0\.1/);
    } finally {
      await server.stop();
      server.cleanup();
    }
  });

  it('when an API key and CORS origins are configured then there is no warning, the key is required and the origin is granted', async () => {
    const key = 'start-test-key-0123';
    const server = await startFacefleet({ args: ['--host', '0.0.0.0'], env: { FACEFLEET_CAP: '0', FACEFLEET_API_KEY: key, FACEFLEET_CORS_ORIGINS: 'https://app.example, http://localhost:5173' } });
    try {
      const url = `http://127.0.0.1:${server.port}`;
      assert.equal((await fetch(`${url}/v1/jobs`)).status, 401);
      assert.equal((await fetch(`${url}/v1/jobs`, { headers: { 'x-api-key': key } })).status, 200);
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      const preflight = await fetch(`${url}/v1/jobs`, { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' } });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://localhost:5173');
      assert.doesNotMatch(server.output(), /WARNING/);
      assert.doesNotMatch(server.output(), new RegExp(key));
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
});

describe('given the configuration', () => {
  it('then corsOrigins is a list (comma-separated in the environment) of scheme://host[:port] origins', () => {
    assert.deepEqual(loadConfig({ env: { FACEFLEET_CORS_ORIGINS: 'https://a.example, http://localhost:5173' } }).config.corsOrigins, ['https://a.example', 'http://localhost:5173']);
    assert.equal(loadConfig({ env: {} }).config.corsOrigins, undefined);
    for (const bad of ['https://a.example/app', '*', 'a.example']) {
      assert.throws(() => loadConfig({ env: { FACEFLEET_CORS_ORIGINS: bad } }), (e: unknown) => e instanceof ConfigError && /^config: corsOrigins\.0 .*must be origins like/.test(e.message), bad);
    }
  });
});
