/**
 * `facefleet load`: the workload generator. Sends images to a running facefleet with a load shape
 * and a concurrency bound, checks the answers against expected labels, prints a summary and
 * optionally writes the full report as JSON. Exit 0 only when nothing failed and nothing was wrong.
 */
import type { Command } from '../command.ts';

const usage = `Usage: facefleet load --url <base> --images <folder> [options]

Sends N requests to a running facefleet, cycling through the folder's images (.jpg .jpeg .png
.webp), at most C in flight, and prints: requests, ok, failed, correct, wrong, unchecked, duration,
throughput, latency p50/p90/p99/max and a latency histogram. Connection errors (refused, reset)
are retried with backoff. Exit code 0 when every request succeeded and no answer was wrong, else 1.

Options:
  --url <base>          the facefleet base URL, e.g. http://127.0.0.1:3000 (required)
  --images <folder>     the folder of images to send (required)
  --requests <n>        how many requests (default: the shape's own total, else one per image)
  --concurrency <c>     the most requests in flight (default 8)
  --mode classic|v1     classic: POST / (field inputFile) held until the answer <name>:<label>;
                        v1: POST /v1/jobs, final state and label from the SSE stream /v1/stream
                        (default classic)
  --expect <file.csv>   expected labels, header Image,Results (Image = file name without its
                        extension); case-sensitive; images not listed are not checked
  --shape <shape>       constant:R       R requests per second
                        ramp:A-B@Ds      from A to B req/s over D seconds (then B)
                        burst:NxK@Ss     K bursts of N requests, one every S seconds
                        (default: no pacing, as fast as the concurrency allows)
  --json <file>         write the full report (summary and every request's timings) as JSON
  --retries <n>         connection-error retries per request (default 5)
  --timeout <seconds>   longest wait for one request's final answer (default 300)
  --quiet               no progress display
`;

const command: Command = {
  name: 'load',
  summary: 'Generate load against a running facefleet and check the answers',
  usage,
  async run(argv) {
    const { parseLoadArgs, resolveLoadPlan } = await import('../../../client/load/loadOptions.ts');
    const args = parseLoadArgs(argv);
    const plan = await resolveLoadPlan(args);
    const { runLoad, exitCodeOf } = await import('../../../client/load/runner.ts');
    const { createProgress } = await import('../../../client/load/progress.ts');
    const { renderSummary } = await import('../../../client/load/renderSummary.ts');
    const progress = createProgress(process.stderr, { now: () => performance.now(), quiet: args.quiet });
    const report = await runLoad(plan, { onProgress: (p) => progress.update(p) });
    progress.done();
    process.stdout.write(renderSummary(report) + '\n');
    if (args.json) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(args.json, JSON.stringify(report, null, 2) + '\n');
      process.stdout.write(`report written to ${args.json}\n`);
    }
    return exitCodeOf(report);
  },
};

export default command;
