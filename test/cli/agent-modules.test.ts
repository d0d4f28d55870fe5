// `driftwarden agent --once` runs on every host from a timer: it must not load the daemon's or the simulator's modules.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/package-root.js';
import { buildHostTree } from '../support/host-tree.js';
import { runCli } from './run-cli.js';

const FORBIDDEN = [
  '/express/',
  '/better-sqlite3/',
  '/@aws-sdk/',
  '/prom-client/',
  '/node-cron/',
  'simulator',
];

describe('agent --once', () => {
  let dir: string;
  let server: Server;
  let url: string;
  const pushes: { instanceId: string; digests: Record<string, string> }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dw-agent-modules-'));
    buildHostTree(join(dir, 'root'));
    // Stands in for the daemon: accepts every push, as it does when it already has the sections.
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        pushes.push(JSON.parse(body) as (typeof pushes)[number]);
        res.writeHead(202, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('pushes a fingerprint without loading express, SQLite, the AWS SDK, prom-client, node-cron or the simulator', async () => {
    const record = join(dir, 'modules.txt');
    const result = await runCli(
      [
        'agent',
        '--once',
        '--server',
        url,
        '--root',
        join(dir, 'root'),
        '--instance-id',
        'i-0123456789abcdef0',
      ],
      {
        env: { ...process.env, DRIFTWARDEN_AGENT_TOKEN: 'agent-token', RECORD_MODULES_FILE: record },
        nodeArgs: ['--import', packagePath('test/support/record-modules.mjs')],
      },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(pushes.at(-1)?.instanceId).toBe('i-0123456789abcdef0');
    expect(Object.keys(pushes.at(-1)?.digests ?? {})).toContain('packages');
    const loaded = readFileSync(record, 'utf8').split('\n').filter(Boolean);
    // The recording works: the agent's own modules are in it.
    expect(loaded.some((url) => url.endsWith('/dist/src/agent/agent.js'))).toBe(true);
    expect(loaded.filter((url) => FORBIDDEN.some((part) => url.includes(part)))).toEqual([]);
  });
});
