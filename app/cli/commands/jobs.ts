/**
 * `facefleet jobs cancel|retry|list`: the job actions against a running server (`--url`, with
 * `--api-key` or FACEFLEET_API_KEY). One line per job on stdout; a refusal (a finished job cannot be
 * cancelled, only a failed or cancelled job can be retried, an unknown job) is one line on stderr
 * and exit code 1.
 */
import { createApiClient } from '../../../client/api.ts';
import { jobLine } from '../../../client/jobLine.ts';
import { positiveInt, serverOption } from '../../../client/cliOptions.ts';
import { parseCommandLine, UsageError, type Command } from '../command.ts';

const usage = `Usage:
  facefleet jobs cancel <job-id>...     cancel queued or processing jobs
  facefleet jobs retry <job-id>...      run failed or cancelled jobs again (a new attempt series)
  facefleet jobs list [--state s[,s]] [--limit n]   newest first (one page)

Options:
  --url <url>          the server (default http://127.0.0.1:3000)
  --api-key <key>      its API key (or FACEFLEET_API_KEY)
  --json               print the server's JSON answers instead of lines

A queued job is cancelled at once and never processed; a processing job is cancelled when its
worker would record its result ("cancelling" until then). A done or failed job cannot be cancelled
(exit code 1, the server's reason on stderr).
`;

const command: Command = {
  name: 'jobs',
  summary: 'Cancel, retry or list jobs on a running server',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandLine(argv, {
      url: { type: 'string' },
      'api-key': { type: 'string' },
      state: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    });
    const [action, ...ids] = positionals;
    const api = createApiClient(serverOption(values));
    const print = (value: unknown, line: string) => process.stdout.write(`${values.json ? JSON.stringify(value) : line}\n`);
    switch (action) {
      case 'cancel':
      case 'retry': {
        if (ids.length === 0) throw new UsageError(`jobs ${action} needs at least one job id`);
        if (values.state || values.limit) throw new UsageError(`--state and --limit go with jobs list`);
        for (const id of ids) {
          if (action === 'cancel') {
            const answer = await api.cancelJob(id);
            print(answer, jobLine(answer.job));
          } else {
            const job = await api.retryJob(id);
            print({ job }, jobLine(job));
          }
        }
        return 0;
      }
      case 'list': {
        if (ids.length > 0) throw new UsageError('jobs list takes no job ids');
        const limit = positiveInt('limit', values.limit, 500);
        const page = await api.listJobs({ ...(values.state ? { state: values.state } : {}), ...(limit ? { limit } : {}) });
        if (values.json) print(page, '');
        else for (const job of page.items) print(job, jobLine(job));
        return 0;
      }
      default:
        throw new UsageError(action ? `unknown jobs action "${action}" (cancel, retry or list)` : 'give an action: cancel, retry or list (see facefleet jobs --help)');
    }
  },
};

export default command;
