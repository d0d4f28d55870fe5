// `driftwarden demo` as a child process (the built CLI), with what its banner prints: URLs and the admin token.
import { spawn, type ChildProcess } from 'node:child_process';

export interface DemoProcess {
  child: ChildProcess;
  /** The daemon's base URL. */
  url: string;
  /** The simulator's base URL. */
  simulatorUrl: string;
  token: string;
  banner: string;
  /** The last 20,000 characters the demo wrote (stdout and stderr), for failure messages. */
  output(): string;
  /** SIGTERM by PID; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Spawns `demo` with `args` (on port 0) and waits until it has printed its banner. */
export function startDemo(args: readonly string[]): Promise<DemoProcess> {
  const child = spawn(process.execPath, ['dist/src/cli/bin.js', 'demo', '--port', '0', ...args], {
    env: { ...process.env, DRIFTWARDEN_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const stop = (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    process.kill(child.pid!, 'SIGTERM');
    return exited;
  };
  return new Promise((resolve, reject) => {
    child.stdout.on('data', () => {
      const url = /metrics:\s+(http:\/\/\S+)\/metrics/.exec(output)?.[1];
      const simulatorUrl = /simulator:\s+(http:\/\/\S+)\/_sim\/fleet/.exec(output)?.[1];
      const token = /write token \(scope admin\): (\S+)/.exec(output)?.[1];
      if (url && simulatorUrl && token && output.includes('Ctrl-C stops.'))
        resolve({ child, url, simulatorUrl, token, banner: output, output: () => output, stop });
    });
    child.once('exit', (code) => reject(new Error(`demo exited with ${code} before its banner:\n${output}`)));
  });
}
