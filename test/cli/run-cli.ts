// Runs the built `driftwarden` executable as a real process and collects what a user would see.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { packagePath } from '../../src/package-root.js';

export const CLI = packagePath('dist/src/cli/bin.js');
export const REPO = packagePath('.');

export interface CliResult {
  /** Exit code; null when the process was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /**
   * Let file modes apply even when the suite runs as root (tests of unreadable files): the CLI then
   * runs under `setpriv` without the capabilities that override them. It stays root, so it still
   * reaches a checkout that other users cannot traverse (a 0700 home or temp directory).
   */
  honourFileModes?: boolean;
  /** Options for node itself, before the script (e.g. `--import` a preload). */
  nodeArgs?: readonly string[];
}

export function runCli(args: readonly string[], options: RunCliOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`driftwarden ${args.join(' ')} did not exit\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (options.honourFileModes && error.code === 'ENOENT' && error.path === 'setpriv')
        reject(
          new Error('setpriv is missing: install util-linux (Debian package `util-linux`)', { cause: error }),
        );
      else reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function spawnCli(
  args: readonly string[],
  options: RunCliOptions,
): ChildProcessByStdio<null, Readable, Readable> {
  const command = [process.execPath, ...(options.nodeArgs ?? []), CLI, ...args];
  const [file = process.execPath, ...rest] =
    options.honourFileModes && process.getuid?.() === 0 ? [...DROP_FILE_OVERRIDES, ...command] : command;
  return spawn(file, rest, {
    cwd: options.cwd ?? REPO,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH: a mode-000 file is unreadable (EACCES). */
const DROP_FILE_OVERRIDES = [
  'setpriv',
  '--bounding-set=-dac_override,-dac_read_search',
  '--inh-caps=-dac_override,-dac_read_search',
];
