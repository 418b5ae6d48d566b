/**
 * A stand-in worker for the compute tests: it reports who it is, then idles until SIGTERM.
 *
 * Environment:
 * - FAKE_WORKER_OUT: folder where it writes `<FACEFLEET_INSTANCE_ID>.json` with its instance id,
 *   `selfId()`, pid, FAKE_WORKER_ECHO and the names of secret-looking variables it sees (written
 *   atomically, so a reader never sees half);
 * - FAKE_WORKER_EXIT_CODE: exit at once with this code after reporting;
 * - FAKE_WORKER_IGNORE_SIGTERM=1: stay up on SIGTERM (to test the SIGKILL after the grace);
 * - FAKE_WORKER_MAX_MS: exit (code 3) after this long regardless, so no test leaves it behind (default 60 s).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processSelfId } from '../../adapters/embedded/processCompute.ts';

const env = process.env;
const instanceId = env.FACEFLEET_INSTANCE_ID ?? 'unknown';
const report = {
  instanceId,
  selfId: processSelfId() ?? null,
  pid: process.pid,
  echo: env.FAKE_WORKER_ECHO ?? null,
  /** Names of the variables it sees that look like secrets (none should reach a worker). */
  secrets: Object.keys(env).filter((name) => /API_KEY|SECRET|^AWS_/.test(name)).sort(),
};

if (env.FAKE_WORKER_OUT) {
  const target = join(env.FAKE_WORKER_OUT, `${instanceId}.json`);
  writeFileSync(`${target}.tmp`, JSON.stringify(report));
  renameSync(`${target}.tmp`, target);
}
console.log(`fake worker ${instanceId} up as ${report.selfId}`);

if (env.FAKE_WORKER_EXIT_CODE) process.exit(Number(env.FAKE_WORKER_EXIT_CODE));

process.on('SIGTERM', () => {
  if (env.FAKE_WORKER_IGNORE_SIGTERM === '1') {
    console.log('fake worker ignores SIGTERM');
    return;
  }
  console.log('fake worker stopping');
  process.exit(0);
});
setTimeout(() => process.exit(3), Number(env.FAKE_WORKER_MAX_MS ?? 60_000));
