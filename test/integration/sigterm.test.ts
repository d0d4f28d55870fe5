// SIGTERM ends a spawned `serve` within 10 s in every state: idle, starting, scanning, mid-replacement
// with a hanging AWS call (resumed by the next start without a double launch), and a failed start.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@driftwarden/simulator';
import { importManifests } from '../../src/app/manifest-service.js';
import { manifestsForImages } from '../../src/demo/demo-manifests.js';
import { parseManifestObject } from '../../src/manifests/parse-manifest.js';
import { openStore } from '../../src/store/index.js';
import { freePort } from '../support/free-port.js';
import { FAST_LIFECYCLE, remediationEnv, waitUntil } from '../support/remediation.js';
import { serveEnv, spawnServe, type ServeProcess } from '../support/serve-process.js';

/** The bound a supervisor (systemd's default TimeoutStopSec is 90 s; Kubernetes' grace 30 s) can rely on. */
const STOP_BOUND_MS = 10_000;

let sim: Simulator;
let dir: string;
const spawned: ServeProcess[] = [];
const exited = new Set<ServeProcess>();

function track(p: ServeProcess): ServeProcess {
  spawned.push(p);
  void p.exited.then(() => exited.add(p));
  return p;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dw-sigterm-'));
  sim = await startSimulator({ instances: 4, seed: 13, regions: ['us-east-1'], lifecycle: FAST_LIFECYCLE });
});

afterAll(async () => {
  for (const p of spawned) if (!exited.has(p)) process.kill(p.pid, 'SIGKILL');
  await Promise.all(spawned.map((p) => p.exited));
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

async function serve(database: string, extra: Record<string, string> = {}): Promise<ServeProcess> {
  const url = `http://127.0.0.1:${await freePort()}`;
  const p = spawnServe({
    ...serveEnv({
      databasePath: join(dir, database),
      url,
      awsEndpoint: sim.url,
      targets: [{ regions: ['us-east-1'] }],
    }),
    ...extra,
  });
  return track(p);
}

/** Sends SIGTERM by PID; the process must exit 0, within the bound (wall time from the signal). */
async function expectCleanStop(p: ServeProcess): Promise<void> {
  const sent = performance.now();
  process.kill(p.pid, 'SIGTERM');
  const { code, signal } = await p.exited;
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  expect(performance.now() - sent).toBeLessThan(STOP_BOUND_MS);
}

it('idle: exits 0 within 10 s', async () => {
  const p = await serve('idle.db');
  await p.logged('driftwarden serving');
  await p.logged('scan finished');
  await expectCleanStop(p);
}, 60_000);

it('starting: a signal before it serves exits 0 within 10 s', async () => {
  const p = await serve('starting.db');
  // Its first line: the signal handlers are in place, the AWS SDK and express still loading.
  await p.logged('driftwarden starting');
  await expectCleanStop(p);
}, 60_000);

it('scanning: a scan whose listing hangs is aborted; exits 0 within 10 s', async () => {
  const fault = sim.faults.add({ kind: 'latency', latencyMs: 120_000, operation: 'DescribeInstances' });
  try {
    const p = await serve('scanning.db');
    await p.logged('scan started');
    await waitUntil('the listing to hang', () =>
      sim.faults.list().some((f) => f.id === fault.id && f.hits > 0),
    );
    await expectCleanStop(p);
  } finally {
    sim.faults.remove(fault.id);
  }
}, 60_000);

it('replacing: a hanging RunInstances is cut, exits 0 within 10 s; the next start resumes without a double launch', async () => {
  const database = join(dir, 'job.db');
  const store = openStore(database, { now: () => new Date() });
  importManifests(
    store.manifests,
    manifestsForImages(sim.fleet.images).flatMap((m) => parseManifestObject(m, 'sim')),
    new Date(),
  );
  store.close();
  const image = sim.fleet.newestImage('us-east-1', sim.fleet.images[0]!.channel)!;
  const old = sim.fleet.launch({ region: 'us-east-1', imageId: image.imageId, tags: { Name: 'sigterm' } });
  sim.fleet.drift(old.instanceId, { httpTokens: 'optional' });
  const env = remediationEnv({ DRIFTWARDEN_REMEDIATION_HEALTH_TIMEOUT: '30s' });
  // Only the first launch hangs, far beyond the bound: the restarted daemon's launch answers at once.
  const fault = sim.faults.add({ kind: 'latency', latencyMs: 120_000, operation: 'RunInstances', count: 1 });

  const first = await serve('job.db', env);
  // A fault with a count leaves the list once applied: the launch is in flight.
  await waitUntil('RunInstances to hang', () => sim.faults.list().every((f) => f.id !== fault.id), 60_000);
  await expectCleanStop(first);
  // Left as a crash leaves it: running, at the step whose call was cut, no attempt counted.
  const cut = jobOf(database, old.instanceId);
  expect(cut).toMatchObject({ state: 'running', step: 'launch', attempts: 0, newInstanceId: null });

  const second = await serve('job.db', env);
  const done = await waitUntil(
    'the job to finish',
    () => {
      const job = jobOf(database, old.instanceId);
      return job.state === 'running' ? undefined : job;
    },
    60_000,
  );
  expect(done.state).toBe('succeeded');
  const launched = sim.fleet.allInstances().filter((i) => i.tags.get('driftwarden:job') === done.jobId);
  expect(launched.map((i) => i.instanceId)).toEqual([done.newInstanceId]);
  const terminations = sim
    .requestLog()
    .filter((r) => r.action === 'TerminateInstances' && r.params['InstanceId.1'] === old.instanceId);
  expect(terminations).toHaveLength(1);
  await expectCleanStop(second);
}, 120_000);

it('failed start (port taken): exits 1 within 10 s', async () => {
  const taken: Server = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as { port: number }).port;
  try {
    const started = performance.now();
    const p = spawnServe(
      serveEnv({
        databasePath: join(dir, 'failed.db'),
        url: `http://127.0.0.1:${port}`,
        awsEndpoint: sim.url,
        targets: [{ regions: ['us-east-1'] }],
      }),
    );
    track(p);
    const { code, signal } = await p.exited;
    expect({ code, signal }).toEqual({ code: 1, signal: null });
    expect(performance.now() - started).toBeLessThan(STOP_BOUND_MS);
  } finally {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
  }
}, 60_000);

interface JobRow {
  jobId: string;
  state: string;
  step: string | null;
  attempts: number;
  newInstanceId: string | null;
}

function jobOf(database: string, instanceId: string): JobRow {
  const db = new Database(database, { readonly: true });
  try {
    const row = db
      .prepare(
        `SELECT job_id AS jobId, state, step, attempts, new_instance_id AS newInstanceId
         FROM replacement_jobs WHERE instance_id = ?`,
      )
      .get(instanceId) as JobRow | undefined;
    if (row === undefined) throw new Error(`no job for ${instanceId}`);
    return row;
  } finally {
    db.close();
  }
}
