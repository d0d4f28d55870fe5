// What every command may use without loading the daemon: exit codes, error messages, JSON output, the CLI actor.
import {
  ConflictError,
  NotFoundError,
  TerminalError,
  ValidationError,
  errorMessage,
} from '../domain/errors.js';

export interface GlobalOptions {
  config?: string;
}

export class CliExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Who a CLI command records as having acted (audit log, approvals, acceptances). */
export const CLI_ACTOR = `cli:${process.env.USER ?? 'unknown'}`;

export function describeError(error: unknown): string {
  if (
    error instanceof ValidationError ||
    error instanceof ConflictError ||
    error instanceof NotFoundError ||
    error instanceof TerminalError
  ) {
    return `driftwarden: ${error.message}`;
  }
  const e = error as { code?: string; path?: string };
  if (e?.code === 'ENOENT' && e.path) return `driftwarden: no such file: ${e.path}`;
  if (e?.code === 'EACCES' && e.path) return `driftwarden: permission denied: ${e.path}`;
  return `driftwarden: ${errorMessage(error)}`;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
