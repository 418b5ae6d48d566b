/**
 * Entry point of the worker bundle (`dist/facefleet-worker.mjs`, see app/workerBundle.ts): runs
 * `facefleet worker` directly, without the CLI's command discovery or tsx, so a new instance boots
 * faster — its boot time is the fleet's scale-out latency.
 */
import command from './commands/worker.ts';

command.run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`facefleet worker: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
    process.exitCode = 1;
  },
);
