// One daemon per database, and `backup`/`restore`, as an operator runs them against a spawned `serve`.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestsForImages } from '../../src/demo/demo-manifests.js';
import { startHarness, type Harness } from '../support/harness.js';
import { spawnServe as spawnServeWith, type ServeProcess } from '../support/serve-process.js';
import { runCli, spawnCli, type CliResult } from './run-cli.js';

let h: Harness;
let dir: string;
let env: NodeJS.ProcessEnv;
let dbPath: string;
let manifestCount: number;

/** Spawns `serve` on the test's database, scanning every second. */
function spawnServe(): ServeProcess {
  return spawnServeWith(env);
}

function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCli(args, { env: { ...env, ...extraEnv } });
}

function count(db: BetterSqlite3.Database, table: string): number {
  return db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${table}`).get()?.n ?? 0;
}

beforeAll(async () => {
  h = await startHarness({ instances: 30, seed: 13, importManifests: false });
  dir = mkdtempSync(join(tmpdir(), 'dw-ops-'));
  dbPath = join(dir, 'data', 'ops.db');
  env = {
    ...h.cliEnv,
    DRIFTWARDEN_DATABASE_PATH: dbPath,
    DRIFTWARDEN_SCHEDULE: '* * * * * *',
    DRIFTWARDEN_LOG_LEVEL: 'info',
  };
  const manifests = manifestsForImages(await h.control.images());
  manifestCount = manifests.length;
  const files = manifests.map((manifest, i) => {
    const file = join(dir, `manifest-${i}.json`);
    writeFileSync(file, JSON.stringify(manifest));
    return file;
  });
  const imported = await cli(['manifest', 'import', ...files]);
  expect(imported.stderr).toBe('');
  // Drift one instance so the database holds findings.
  const instance = h.sim.fleet.allInstances().find((i) => i.state === 'running' && i.channel !== null);
  if (!instance) throw new Error('no running instance');
  await h.control.drift(instance.instanceId, { state: 'stopped', userData: '#!/bin/sh\necho drift' });
});
afterAll(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('one daemon per database', () => {
  it('refuses a second serve with one line naming the database and the holder, while read-only commands work', async () => {
    const first = spawnServe();
    await first.logged('driftwarden serving');

    const second = await cli(['serve']);
    expect(second.code).toBe(1);
    expect(second.stderr.trim().split('\n')).toEqual([
      `driftwarden: database ${dbPath} is in use by another driftwarden serve (pid ${first.pid}); one daemon per database`,
    ]);

    const list = await cli(['accept', '--list', '--json']);
    expect(list.code).toBe(0);
    const manifests = await cli(['manifest', 'list', '--json']);
    expect(manifests.code).toBe(0);

    process.kill(first.pid, 'SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
  });

  it('starts again after the holder was killed with SIGKILL (no stale lock)', async () => {
    const crashed = spawnServe();
    await crashed.logged('driftwarden serving');
    process.kill(crashed.pid, 'SIGKILL');
    expect(await crashed.exited).toEqual({ code: null, signal: 'SIGKILL' });

    const next = spawnServe();
    await next.logged('driftwarden serving');
    process.kill(next.pid, 'SIGTERM');
    expect(await next.exited).toEqual({ code: 0, signal: null });
  });
});

describe('backup and restore', () => {
  it('backs up while the daemon scans, and the restored copy is intact with its findings and manifests', async () => {
    const daemon = spawnServe();
    await daemon.logged('scan finished');
    // Scans run every second: these copies are taken while scans write.
    const backups = [0, 1, 2].map((i) => join(dir, `backup-${i}.db`));
    for (const file of backups) {
      const result = await cli(['backup', file]);
      expect(result.stderr).toBe('');
      expect(result.stdout.startsWith(`backed up ${dbPath} to ${file} (`)).toBe(true);
    }

    const refused = await cli(['restore', backups[2] ?? '']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `database ${dbPath} is in use by another driftwarden serve (pid ${daemon.pid})`,
    );
    process.kill(daemon.pid, 'SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });

    const fresh = join(dir, 'restored', 'driftwarden.db');
    const restored = await cli(['restore', backups[2] ?? ''], { DRIFTWARDEN_DATABASE_PATH: fresh });
    expect(restored).toMatchObject({ code: 0, stderr: '' });
    // Each backup is one self-contained file: no write-ahead log beside it.
    for (const file of backups) {
      expect(existsSync(`${file}-wal`)).toBe(false);
      const copy = new BetterSqlite3(file, { readonly: true });
      expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
      copy.close();
    }
    const db = new BetterSqlite3(fresh, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(count(db, 'manifests')).toBe(manifestCount);
      expect(count(db, 'findings')).toBeGreaterThan(0);
      expect(count(db, 'scans')).toBeGreaterThan(0);
    } finally {
      db.close();
    }
    // The restored database serves: a daemon starts on it and stops cleanly.
    const onRestored = spawnCli(['serve'], { env: { ...env, DRIFTWARDEN_DATABASE_PATH: fresh } });
    const ended = new Promise<number | null>((resolve) => onRestored.on('close', (code) => resolve(code)));
    let out = '';
    await new Promise<void>((resolve) =>
      onRestored.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('"msg":"driftwarden serving"')) resolve();
      }),
    );
    onRestored.kill('SIGTERM');
    expect(await ended).toBe(0);
  });

  it('refuses to overwrite a file unless --force, and names a missing directory', async () => {
    const file = join(dir, 'exists.db');
    writeFileSync(file, 'not a database');
    const refused = await cli(['backup', file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      `driftwarden: backup target ${file} already exists; pass --force to replace it`,
    );
    const forced = await cli(['backup', file, '--force']);
    expect(forced.code).toBe(0);
    const db = new BetterSqlite3(file, { readonly: true });
    try {
      expect(count(db, 'manifests')).toBe(manifestCount);
    } finally {
      db.close();
    }

    const missing = join(dir, 'no-such-dir', 'b.db');
    const failed = await cli(['backup', missing]);
    expect(failed.code).toBe(1);
    expect(failed.stderr.trim()).toBe(
      `driftwarden: cannot write ${missing}: directory ${join(dir, 'no-such-dir')} does not exist`,
    );
  });

  it('documents backup, restore and the one-daemon rule in --help', async () => {
    const backup = await cli(['backup', '--help']);
    expect(backup.code).toBe(0);
    expect(backup.stdout).toContain('while the daemon runs');
    expect(backup.stdout).toContain('--force');
    const restore = await cli(['restore', '--help']);
    expect(restore.stdout).toContain('stop the daemon first');
    const serve = await cli(['serve', '--help']);
    expect(serve.stdout).toContain('One daemon per database');
  });

  it('refuses to restore a file that is not a driftwarden database', async () => {
    const file = join(dir, 'garbage.db');
    writeFileSync(file, 'x'.repeat(8192));
    const result = await cli(['restore', file], { DRIFTWARDEN_DATABASE_PATH: join(dir, 'target', 'x.db') });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(file);
  });
});
