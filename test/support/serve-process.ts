// A spawned `driftwarden serve` (the built CLI) whose JSON log lines a test can wait for.
import { spawnCli } from '../cli/run-cli.js';

export interface ServeProcess {
  pid: number;
  /** Resolves with how the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log line (parsed) whose message is `msg` and that has `fields`. */
  logged(msg: string, fields?: Record<string, unknown>): Promise<Record<string, unknown>>;
}

interface Waiter {
  match: (line: Record<string, unknown>) => boolean;
  resolve: (line: Record<string, unknown>) => void;
}

/** Spawns `serve` with `env` (log level `info` or lower, so its lines can be waited for). */
export function spawnServe(env: NodeJS.ProcessEnv): ServeProcess {
  const child = spawnCli(['serve'], { env });
  let stdout = '';
  let partial = '';
  const lines: Record<string, unknown>[] = [];
  const waiting: Waiter[] = [];
  const check = (): void => {
    for (const w of waiting.splice(0)) {
      const line = lines.find(w.match);
      if (line) w.resolve(line);
      else waiting.push(w);
    }
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const text of parts)
      if (text.startsWith('{')) lines.push(JSON.parse(text) as Record<string, unknown>);
    check();
  });
  child.stderr.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('serve did not start');
  return {
    pid,
    exited,
    logged: (msg, fields = {}) =>
      new Promise((resolve, reject) => {
        const match = (line: Record<string, unknown>): boolean =>
          line.msg === msg && Object.entries(fields).every(([key, value]) => line[key] === value);
        waiting.push({ match, resolve });
        check();
        void exited.then(() => reject(new Error(`serve exited before logging "${msg}"\n${stdout}`)));
      }),
  };
}
