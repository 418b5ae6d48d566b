/**
 * `facefleet` entry point: finds the subcommands in ./commands, prints help, runs one, and turns
 * any failure into one line on stderr and a non-zero exit code (2 for usage, 1 otherwise).
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UsageError, type Command } from './command.ts';

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');

async function loadCommands(): Promise<Map<string, Command>> {
  const files = readdirSync(commandsDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort();
  const commands = new Map<string, Command>();
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(commandsDir, file)).href)) as { default?: Command };
    if (mod.default) commands.set(mod.default.name, mod.default);
  }
  return commands;
}

function help(commands: Map<string, Command>): string {
  const width = Math.max(...[...commands.keys()].map((n) => n.length));
  const lines = [...commands.values()].map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'facefleet — face recognition as a service that scales itself',
    '',
    'Usage: facefleet <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `facefleet <command> --help` for the options of one command.',
  ].join('\n');
}

/** Runs the CLI with the given arguments and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const commands = await loadCommands();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help(commands) + '\n');
    return 0;
  }
  const command = commands.get(name);
  if (!command) {
    process.stderr.write(`facefleet: unknown command "${name}" (see facefleet --help)\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.usage.trimEnd() + '\n');
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`facefleet ${name}: ${message.split('\n')[0]}\n`);
    if (process.env.FACEFLEET_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}

const isEntry = process.argv[1] && /facefleet(\.js)?$|main\.ts$/.test(process.argv[1]);
if (isEntry || process.env.FACEFLEET_CLI === '1') {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`facefleet: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
