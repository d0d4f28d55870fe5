// `driftwarden serve` as a process: announces its URL, serves, drains on SIGTERM; refuses to start with bad rules.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/package-root.js';
import { startSimulator, type Simulator } from '@driftwarden/simulator';
import { runCli, spawnCli } from './run-cli.js';

let sim: Simulator;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  sim = await startSimulator({ instances: 12, seed: 4, regions: ['us-east-1'] });
  dir = mkdtempSync(join(tmpdir(), 'dw-serve-'));
  env = {
    PATH: process.env.PATH,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    DRIFTWARDEN_LOG_LEVEL: 'info',
  };
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(name: string, rulesDir: string, port = 0): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    [
      `database: { path: ${JSON.stringify(join(dir, `${name}.db`))} }`,
      `http: { host: 127.0.0.1, port: ${port} }`,
      `aws: { endpoint: ${JSON.stringify(sim.url)}, maxAttempts: 1 }`,
      'targets:',
      '  - regions: [us-east-1]',
      `rules: { dir: ${JSON.stringify(rulesDir)} }`,
      '',
    ].join('\n'),
  );
  return path;
}

interface LogLine {
  msg: string;
  url?: string;
}

/**
 * Spawns `serve`, waits for its "driftwarden serving" line, runs `whileUp` against the URL,
 * sends SIGTERM and resolves with how the process ended and everything it logged.
 */
function serveThenStop(
  config: string,
  whileUp: (url: string) => Promise<void>,
): Promise<{ code: number | null; signal: string | null; logs: LogLine[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(['--config', config, 'serve'], { env });
    let stdout = '';
    let stderr = '';
    let announced = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not finish\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, 30_000);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (announced) return;
      const serving = parseLines(stdout).find((l) => l.msg === 'driftwarden serving');
      if (!serving?.url) return;
      announced = true;
      whileUp(serving.url).then(
        () => child.kill('SIGTERM'),
        (error: unknown) => {
          child.kill('SIGKILL');
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, logs: parseLines(stdout), stderr });
    });
  });
}

/** A TCP server on 127.0.0.1 holding a port, as another process would. */
function holdPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('no TCP address'));
      else resolve({ server, port: address.port });
    });
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function parseLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{') && line.endsWith('}'))
    .map((line) => JSON.parse(line) as LogLine);
}

describe('serve', () => {
  it('logs its URL, answers /healthz, and on SIGTERM stops cleanly with exit 0', async () => {
    const config = writeConfig('serve.yaml', packagePath('rules'));
    let health: unknown;
    const result = await serveThenStop(config, async (url) => {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const response = await fetch(`${url}/healthz`);
      health = { status: response.status, body: await response.json() };
    });
    expect(health).toEqual({ status: 200, body: { status: 'ok' } });
    expect(result).toMatchObject({ code: 0, signal: null });
    const messages = result.logs.map((l) => l.msg);
    expect(messages).toContain('signal received');
    expect(messages.at(-1)).toBe('stopped; database closed');
  });

  it('stops cleanly even when SIGTERM arrives the moment it announces itself', async () => {
    const config = writeConfig('serve-fast-stop.yaml', packagePath('rules'));
    const result = await serveThenStop(config, () => Promise.resolve());
    expect(result).toMatchObject({ code: 0, signal: null });
    expect(result.logs.map((l) => l.msg).at(-1)).toBe('stopped; database closed');
  });

  it('refuses to start with invalid rules: exit 1 before listening, naming the rule file and line', async () => {
    const rulesDir = join(dir, 'bad-rules');
    mkdirSync(rulesDir);
    const ruleFile = join(rulesDir, '20-launch.yaml');
    writeFileSync(
      ruleFile,
      'rules:\n  - id: imds\n    match: { path: launch.metadataOptions.httpTokens }\n    severity: urgent\n    action: replace\n',
    );
    const config = writeConfig('bad-rules.yaml', rulesDir);
    const result = await runCli(['--config', config, 'serve'], { env });
    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain('driftwarden serving');
    expect(result.stderr).toContain(`${ruleFile}:4: rules[0].severity:`);
  });

  it('exits 1 with one line naming the database when it cannot be opened', async () => {
    const config = writeConfig('unopenable.yaml', packagePath('rules'));
    // A directory where the database file should be: SQLite cannot open it.
    const database = join(dir, 'unopenable.yaml.db');
    mkdirSync(database);
    const result = await runCli(['--config', config, 'serve'], { env });
    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain('driftwarden serving');
    expect(result.stderr.trim().split('\n')).toEqual([
      `driftwarden: cannot open database ${database}: unable to open database file`,
    ]);
  });

  it('exits 1 with one line naming host:port when the port is taken, leaving no process behind', async () => {
    const held = await holdPort();
    try {
      const config = writeConfig('port-taken.yaml', packagePath('rules'), held.port);
      const result = await serveOnTakenPort(config, false);
      expect(result).toMatchObject({ code: 1, signal: null, running: false });
      expect(result.stderr.trim().split('\n')).toEqual([
        `driftwarden: cannot listen on 127.0.0.1:${held.port}: address already in use (EADDRINUSE)`,
      ]);
      expect(result.stdout).not.toContain('driftwarden serving');
    } finally {
      await new Promise((resolve) => held.server.close(resolve));
    }
  });

  it('ends when a supervisor sends SIGTERM as the failed start is reported', async () => {
    const held = await holdPort();
    try {
      const config = writeConfig('port-taken-sigterm.yaml', packagePath('rules'), held.port);
      const result = await serveOnTakenPort(config, true);
      // Exit 1 (failed start) or the signal itself, if it arrived as the process was exiting.
      expect(result.code === 1 || result.signal === 'SIGTERM').toBe(true);
      expect(result.running).toBe(false);
      expect(result.stderr).toContain(`cannot listen on 127.0.0.1:${held.port}`);
    } finally {
      await new Promise((resolve) => held.server.close(resolve));
    }
  });
});

/** Runs `serve` whose port is taken; with `sigterm`, sends SIGTERM once it reported a failure on stderr. */
function serveOnTakenPort(
  config: string,
  sigterm: boolean,
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string; running: boolean }> {
  const child = spawnCli(['--config', config, 'serve'], { env });
  let stdout = '';
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve kept running with its port taken\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, 15_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (sigterm && stderr.includes('\n')) child.kill('SIGTERM');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const running = child.pid !== undefined && isRunning(child.pid);
      resolve({ code, signal, stdout, stderr, running });
    });
  });
}
