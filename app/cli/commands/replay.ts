/**
 * `facefleet replay <stream>`: folds one stream through its machine and prints the timeline, or the
 * state at one seq. Exit codes: 0 a clean history, 3 a history with problems (unknown type, refused
 * event, invalid data, seq gap), 1 an I/O error or unknown stream, 2 bad usage.
 */
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.ts';

const usage = `Usage: facefleet replay <stream> [--data-dir dir] [--json] [--at <seq>]
       facefleet replay [<stream>] --file history.json [--json] [--at <seq>]

Replays a job-<id> or instance-<id> stream through its state machine and prints a timeline:
seq, time, event type, state after, and the context fields each event changed. Events the
machine cannot take (unknown type, refused, invalid data, seq gap) are flagged by their seq.

Options:
  --data-dir <dir>  where facefleet.db lives (default: $FACEFLEET_DATA_DIR or ./data)
  --file <path>     replay a recorded history (a JSON array of stored events) instead
  --at <seq>        print the state and context right after this seq
  --json            print JSON: { stream, steps, final, problems } (with --at: the state)

Exit codes: 0 clean, 3 the history has problems, 1 I/O error or unknown stream, 2 bad usage.
`;

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'data-dir': { type: 'string' },
        file: { type: 'string' },
        at: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

const command: Command = {
  name: 'replay',
  summary: 'Replay a job or instance stream and print its timeline',
  usage,
  async run(argv) {
    const { values, positionals } = parse(argv);
    if (positionals.length > 1) throw new UsageError(`expected one stream, got ${positionals.join(' ')}`);
    const stream = positionals[0];
    if (!stream && !values.file) throw new UsageError('name a stream (job-<id> or instance-<id>) or give --file');
    if (values.at !== undefined && !/^\d+$/.test(values.at)) throw new UsageError(`--at needs a seq number, got "${values.at}"`);

    const { parseStream } = await import('../../../machines/index.ts');
    if (stream && !parseStream(stream)) throw new UsageError(`"${stream}" is not a stream name (job-<id> or instance-<id>)`);
    const replayHistory = await import('../../../services/streams/replayHistory.ts');

    const history = values.file ? await fromFile(values.file) : await fromStore(values['data-dir'], stream as string);
    if (!history) return 3;
    if (stream && history.stream !== stream) throw new UsageError(`${values.file} holds ${history.stream}, not ${stream}`);

    const result = replayHistory.replayHistory(history);
    const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
    if (values.at !== undefined) {
      const seq = Number(values.at);
      const last = history.events.at(-1)?.seq ?? 0;
      if (seq < 1 || seq > last) throw new UsageError(`--at ${seq} is outside ${history.stream} (seq 1..${last})`);
      const at = replayHistory.stateAt(history, seq);
      process.stdout.write(values.json ? `${JSON.stringify(at, null, 2)}\n` : replayHistory.formatStateAt(at, { color }));
    } else {
      process.stdout.write(values.json ? `${JSON.stringify(replayHistory.timelineJson(result), null, 2)}\n` : replayHistory.formatTimeline(result, { color }));
    }
    for (const line of replayHistory.formatProblems(result)) process.stderr.write(`facefleet replay: ${line}\n`);
    return result.problems.length > 0 ? 3 : 0;
  },
};

async function fromFile(file: string) {
  const { readFile } = await import('node:fs/promises');
  const { parseHistory } = await import('../../../services/streams/replayHistory.ts');
  const { CorruptHistoryError } = await import('../../../machines/index.ts');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  try {
    return parseHistory(text, file);
  } catch (error) {
    // A history file whose entries are not stored events is a damaged history: exit 3, not 1.
    if (error instanceof CorruptHistoryError) {
      process.stderr.write(`facefleet replay: ${error.message}\n`);
      return undefined;
    }
    throw error;
  }
}

async function fromStore(dataDir: string | undefined, stream: string) {
  const { existsSync } = await import('node:fs');
  const { join, resolve } = await import('node:path');
  const file = join(resolve(dataDir ?? process.env.FACEFLEET_DATA_DIR ?? 'data'), 'facefleet.db');
  if (!existsSync(file)) throw new Error(`no event store at ${file} (set --data-dir or FACEFLEET_DATA_DIR)`);
  const { openSqliteEventStore } = await import('../../../adapters/embedded/sqliteEventStore.ts');
  const { readHistory } = await import('../../../services/streams/replayHistory.ts');
  const store = openSqliteEventStore({ file, readonly: true });
  try {
    return await readHistory(store, stream);
  } finally {
    await store.close();
  }
}

export default command;
