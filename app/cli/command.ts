/**
 * The shape of one `facefleet` subcommand. Every file in app/cli/commands/ default-exports one.
 * Commands import their heavy dependencies (model, SDKs, Koa) lazily inside `run`, so that
 * `facefleet --help` stays instant.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../../client/usageError.ts';

export interface Command {
  /** The word after `facefleet`, e.g. `replay`. */
  name: string;
  /** One line for `facefleet --help`. */
  summary: string;
  /** The full text for `facefleet <name> --help`. */
  usage: string;
  /** Runs the command with the arguments after its name; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}

/** A mistake in the command line: printed as one line (no stack), exit code 2. */
export { UsageError } from '../../client/usageError.ts';

/**
 * `node:util` parseArgs, strict, with positionals: a mistake in the command line (unknown option,
 * missing value) becomes a `UsageError` with parseArgs' own sentence.
 */
export function parseCommandLine<T extends ParseArgsConfig['options']>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options: options as NonNullable<T> });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
