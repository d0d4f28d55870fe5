// A spawned daemon whose disk fills mid-run: scans fail cleanly, reads keep working, writes answer a
// clear error, and the next scheduled scan succeeds once space returns, with no restart.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestsForImages } from '../../src/demo/demo-manifests.js';
import { requireBinary } from '../support/binaries.js';
import { ADMIN_TOKEN, metricValue, startHarness, type Harness } from '../support/harness.js';
import { spawnServe, type ServeProcess } from '../support/serve-process.js';
import { runCli } from '../cli/run-cli.js';

let h: Harness;
let dir: string;
let dbPath: string;
let serve: ServeProcess;
let url: string;
let prlimit: string;
let stopped = false;

/**
 * Sets the daemon's file-size limit (RLIMIT_FSIZE, soft only, so it can be lifted again). Under a
 * limit below the database's and WAL's write offsets every write fails as a full disk does, while
 * reads go on; Node ignores SIGXFSZ, so the write fails with EFBIG instead of killing the process.
 */
function limitFileSize(soft: string): void {
  execFileSync(prlimit, ['--pid', String(serve.pid), `--fsize=${soft}:unlimited`]);
}

async function api(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; type: string; body: unknown }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return {
    status: response.status,
    type,
    body: type.includes('json') ? (JSON.parse(text) as unknown) : text,
  };
}

async function latestScan(): Promise<{ scanId: string; outcome: string; startedAt: string } | undefined> {
  const { body } = await api('GET', '/api/v1/scans?limit=1');
  return (body as { items: { scanId: string; outcome: string; startedAt: string }[] }).items[0];
}

beforeAll(async () => {
  prlimit = requireBinary(['prlimit'], 'util-linux');
  h = await startHarness({ instances: 20, seed: 21, importManifests: false });
  dir = mkdtempSync(join(tmpdir(), 'dw-full-'));
  dbPath = join(dir, 'full.db');
  const env = {
    ...h.cliEnv,
    DRIFTWARDEN_DATABASE_PATH: dbPath,
    DRIFTWARDEN_SCHEDULE: '* * * * * *',
    DRIFTWARDEN_LOG_LEVEL: 'info',
  };
  const files = manifestsForImages(await h.control.images()).map((manifest, i) => {
    const file = join(dir, `manifest-${i}.json`);
    writeFileSync(file, JSON.stringify(manifest));
    return file;
  });
  expect((await runCli(['manifest', 'import', ...files], { env })).code).toBe(0);
  serve = spawnServe(env);
  url = String((await serve.logged('driftwarden serving')).url);
  await serve.logged('scan finished');
});
afterAll(async () => {
  // Only if the test failed before stopping it: the daemon is ours, stopped by its PID.
  if (serve && !stopped) process.kill(serve.pid, 'SIGKILL');
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('disk full during a run', () => {
  it('fails the scan cleanly, keeps serving reads, refuses writes clearly and recovers on its own', async () => {
    const failuresBefore = metricValue(
      (await api('GET', '/metrics')).body as string,
      'driftwarden_scans_total',
      {
        outcome: 'failure',
      },
    );
    limitFileSize('4096');

    // The next scan cannot persist, nor record itself as failed: one error line with code and path.
    const line = await serve.logged('scan failed: its results could not be saved, nor the failure recorded');
    expect(line).toMatchObject({ level: 50, database: dbPath, recorded: false });
    // A file-size limit is EFBIG, which SQLite reports as an I/O error; ENOSPC would be SQLITE_FULL.
    expect(line.code).toBe('SQLITE_IOERR_WRITE');

    // Reads keep working.
    expect((await api('GET', '/healthz')).status).toBe(200);
    expect((await api('GET', '/readyz')).status).toBe(200);
    expect((await api('GET', '/api/v1/findings')).status).toBe(200);
    expect((await api('GET', '/ui')).status).toBe(200);
    const metrics = await api('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(
      metricValue(metrics.body as string, 'driftwarden_scans_total', { outcome: 'failure' }),
    ).toBeGreaterThan(failuresBefore ?? 0);
    // Nothing of a failed scan was kept: the newest scan is still a successful one.
    expect((await latestScan())?.outcome).toBe('success');

    // A write answers a clear problem naming the cause, not a 500.
    const manifest = await h.addImage({
      region: 'us-east-1',
      channel: 'web',
      builtAt: '2026-11-25T10:00:00Z',
    });
    const refused = await api('POST', '/api/v1/manifests', manifest);
    expect(refused.type).toContain('application/problem+json');
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ status: refused.status, code: line.code });
    expect(JSON.stringify(refused.body)).toMatch(/nothing was written/);

    // Space returns: the next scheduled scan succeeds, and so does the same write.
    const restoredAt = new Date().toISOString();
    limitFileSize('unlimited');
    let latest = await latestScan();
    while (latest === undefined || latest.startedAt < restoredAt) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      latest = await latestScan();
    }
    expect(latest.outcome).toBe('success');
    expect((await api('POST', '/api/v1/manifests', manifest)).status).toBe(201);

    process.kill(serve.pid, 'SIGTERM');
    expect(await serve.exited).toEqual({ code: 0, signal: null });
    stopped = true;
    const db = new BetterSqlite3(dbPath, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const outcomes = db.prepare<[], { outcome: string }>('SELECT DISTINCT outcome FROM scans').all();
      expect(outcomes).toEqual([{ outcome: 'success' }]);
    } finally {
      db.close();
    }
  });
});
