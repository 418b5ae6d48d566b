/**
 * `facefleet dlq list|redrive`: the dead-lettered jobs of a running server (`--url`, with
 * `--api-key` or FACEFLEET_API_KEY) with their failure reasons, and sending them back to the
 * request queue. A server that refuses is one line on stderr and exit code 1.
 */
import { createApiClient } from '../../../client/api.ts';
import { jobLine } from '../../../client/jobLine.ts';
import { positiveInt, serverOption } from '../../../client/cliOptions.ts';
import { parseCommandLine, UsageError, type Command } from '../command.ts';

const usage = `Usage:
  facefleet dlq list [--limit n]            dead-lettered jobs with their failure reasons (all pages)
  facefleet dlq redrive [--max n]           send up to n (default 50) back to the request queue
  facefleet dlq redrive <job-id>...         send these back

Options:
  --url <url>          the server (default http://127.0.0.1:3000)
  --api-key <key>      its API key (or FACEFLEET_API_KEY)
  --json               print the server's JSON answers instead of lines

A redriven job is queued again as a new attempt series; its dead-letter failure stays in its
history (and on the JobRedriven event). A job named that is not dead-lettered is listed as skipped.
`;

const command: Command = {
  name: 'dlq',
  summary: 'List dead-lettered jobs and redrive them to the request queue',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, {
      url: { type: 'string' },
      'api-key': { type: 'string' },
      max: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    });
    const [action, ...ids] = positionals;
    const api = createApiClient(serverOption(values));
    switch (action) {
      case 'list': {
        if (ids.length > 0 || values.max) throw new UsageError('dlq list takes only --limit');
        const limit = positiveInt('limit', values.limit, 100_000);
        let shown = 0;
        let cursor: string | undefined;
        do {
          const page = await api.listDeadLetters({ limit: Math.min(500, (limit ?? Infinity) - shown), ...(cursor ? { cursor } : {}) });
          for (const job of page.items) process.stdout.write(`${values.json ? JSON.stringify(job) : jobLine(job)}\n`);
          shown += page.items.length;
          cursor = page.next;
        } while (cursor && shown < (limit ?? Infinity));
        if (!values.json) process.stderr.write(`${shown} dead-lettered job${shown === 1 ? '' : 's'}\n`);
        return 0;
      }
      case 'redrive': {
        if (values.limit) throw new UsageError('--limit goes with dlq list (redrive takes --max)');
        const max = positiveInt('max', values.max, 500);
        if (max !== undefined && ids.length > 0) throw new UsageError('give --max or job ids, not both');
        const answer = await api.redriveDeadLetters(ids.length > 0 ? { jobIds: ids } : max !== undefined ? { max } : {});
        if (values.json) process.stdout.write(`${JSON.stringify(answer)}\n`);
        else {
          for (const id of answer.redriven) process.stdout.write(`${id} redriven\n`);
          for (const s of answer.skipped) process.stdout.write(`${s.jobId} skipped: ${s.reason}\n`);
        }
        return 0;
      }
      default:
        throw new UsageError(action ? `unknown dlq action "${action}" (list or redrive)` : 'give an action: list or redrive (see facefleet dlq --help)');
    }
  },
};

export default command;
