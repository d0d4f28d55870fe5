// kill -9 at random points during a replacement wave, 24 times: every drifted instance is still replaced
// exactly once, nothing is launched twice for one job, nothing is orphaned, and the database is intact.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { importManifests } from '../../src/app/manifest-service.js';
import { parseManifestObject } from '../../src/manifests/parse-manifest.js';
import { packagePath } from '../../src/package-root.js';
import { startSimulator, type Simulator } from '@driftwarden/simulator';
import { manifestsForImages } from '../../src/demo/demo-manifests.js';
import { openStore } from '../../src/store/index.js';
import { waitUntil } from '../support/remediation.js';

const KILLS = 24;
const GROUP = 'crash-us-east-1-asg';
let sim: Simulator;
let dir: string;
let child: ChildProcess | null = null;
const drifted: { standalone: string[]; members: string[] } = { standalone: [], members: [] };

function env(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    DRIFTWARDEN_CONFIG: '',
    DRIFTWARDEN_LOG_LEVEL: 'info',
    DRIFTWARDEN_DATABASE_PATH: join(dir, 'driftwarden.db'),
    DRIFTWARDEN_HTTP_PORT: '0',
    DRIFTWARDEN_SCHEDULE: '* * * * * *',
    DRIFTWARDEN_AWS_ENDPOINT: sim.url,
    DRIFTWARDEN_AWS_MAX_REQUESTS_PER_SECOND: '500',
    DRIFTWARDEN_TARGETS: '[{regions: [us-east-1]}]',
    DRIFTWARDEN_RULES_DIR: packagePath('test/fixtures/rules-immediate'),
    DRIFTWARDEN_REMEDIATION_MODE: 'enforce',
    DRIFTWARDEN_REMEDIATION_POLL_INTERVAL: '30ms',
    DRIFTWARDEN_REMEDIATION_HEALTH_TIMEOUT: '30s',
    DRIFTWARDEN_REMEDIATION_MAX_CONCURRENT: '3',
    DRIFTWARDEN_REMEDIATION_MAX_UNAVAILABLE_PERCENT: '30',
    DRIFTWARDEN_REMEDIATION_MAX_PER_HOUR: '1000',
    DRIFTWARDEN_REMEDIATION_BREAKER_MAX_DRIFTED_PERCENT: '100',
  };
}

/** Starts `driftwarden serve`; resolves with its URL once it logs that it is serving. */
function startDaemon(): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, ['dist/src/cli/bin.js', 'serve'], {
    env: env(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  return new Promise((resolve, reject) => {
    let buffered = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = /"url":"(http:[^"]+)".*"msg":"driftwarden serving"/.exec(buffered);
      if (match?.[1]) resolve({ proc, url: match[1] });
    });
    proc.once('exit', (code, signal) =>
      reject(new Error(`daemon exited (${code ?? signal}) before serving:\n${buffered}`)),
    );
  });
}

function countJobs(where: string): number {
  const db = new Database(join(dir, 'driftwarden.db'), { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM replacement_jobs WHERE ${where}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const runningJobs = (): number => countJobs("state = 'running'");
/** Every drifted instance has a finished job: nothing is left to run. */
const waveDone = (): boolean =>
  countJobs("state = 'succeeded'") >= drifted.standalone.length + drifted.members.length;

function exited(proc: ChildProcess): Promise<void> {
  return proc.exitCode !== null || proc.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => proc.once('exit', () => resolve()));
}

// Seeded, so a failing run can be reproduced with the same kill points.
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dw-crash-'));
  sim = await startSimulator({
    instances: 6,
    seed: 61,
    regions: ['us-east-1'],
    lifecycle: { pendingMs: 400, statusCheckMs: 400, terminateMs: 200 },
  });
  const store = openStore(join(dir, 'driftwarden.db'), { now: () => new Date() });
  importManifests(
    store.manifests,
    manifestsForImages(sim.fleet.images).flatMap((m) => parseManifestObject(m, 'sim')),
    new Date(),
  );
  store.close();

  const image = sim.fleet.newestImage('us-east-1', sim.fleet.images[0]!.channel)!;
  for (let n = 0; n < 10; n++) {
    const i = sim.fleet.launch({
      region: 'us-east-1',
      imageId: image.imageId,
      tags: { 'managed-by': 'packer', Name: `app-${n}` },
    });
    drifted.standalone.push(i.instanceId);
  }
  const members = sim.fleet.launchBulk({
    region: 'us-east-1',
    count: 10,
    channel: image.channel,
    group: GROUP,
  });
  drifted.members.push(...members.slice(0, 5).map((m) => m.instanceId));
  for (const id of [...drifted.standalone, ...drifted.members])
    sim.fleet.drift(id, { httpTokens: 'optional' });
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

it(`survives ${KILLS} SIGKILLs during replacement without a double launch, double termination or orphan`, async () => {
  const random = prng(20261126);
  let killedMidJob = 0;
  for (let kill = 0; kill < KILLS; kill++) {
    const { proc } = await startDaemon();
    // Aim inside a replacement: wait (bounded) until a job runs, so a slow start-up or first scan on a
    // loaded machine does not turn the kills into start-up kills; then kill at a random point.
    await waitUntil('a replacement to run', () => runningJobs() > 0 || waveDone(), 10_000, 20).catch(
      () => undefined,
    );
    await new Promise((r) => setTimeout(r, 50 + Math.floor(random() * 700)));
    proc.kill('SIGKILL');
    await exited(proc);
    if (runningJobs() > 0) killedMidJob++;
  }
  // The kills must land inside replacements, not only at start-up or idle.
  expect(killedMidJob).toBeGreaterThanOrEqual(10);

  // Let a last daemon finish the wave.
  const { proc, url } = await startDaemon();
  const targets = [...drifted.standalone, ...drifted.members];
  const jobs = await waitUntil(
    'every drifted instance to be replaced',
    async () => {
      const response = await fetch(`${url}/api/v1/replacements?limit=1000`);
      const { items } = (await response.json()) as {
        items: {
          instanceId: string;
          state: string;
          jobId: string;
          newInstanceId: string | null;
          strategy: string;
        }[];
      };
      const done = targets.every((id) => items.some((j) => j.instanceId === id && j.state === 'succeeded'));
      return done && !items.some((j) => j.state === 'running') ? items : undefined;
    },
    120_000,
    250,
  );
  proc.kill('SIGTERM');
  await exited(proc);

  // Exactly one job per drifted instance, all succeeded; nothing else was replaced.
  expect(jobs.map((j) => j.instanceId).sort()).toEqual([...targets].sort());
  expect(jobs.every((j) => j.state === 'succeeded')).toBe(true);

  const log = sim.requestLog();
  // Never two instances for one job: RunInstances may be repeated (same ClientToken), launches are not.
  for (const job of jobs.filter((j) => j.strategy === 'launch-then-terminate')) {
    const launched = sim.fleet.allInstances().filter((i) => i.tags.get('driftwarden:job') === job.jobId);
    expect(launched.map((i) => i.instanceId)).toEqual([job.newInstanceId]);
    expect(sim.fleet.instance(job.newInstanceId!)?.state).toBe('running');
    const tokens = log
      .filter((r) => r.action === 'RunInstances' && r.params.InstanceType !== undefined)
      .map((r) => r.params.ClientToken);
    expect(tokens.filter((t) => t === job.jobId).length).toBeGreaterThanOrEqual(1);
  }
  // Every old instance terminated exactly once — by the call that fits its strategy.
  const ec2Terminations = log
    .filter((r) => r.action === 'TerminateInstances')
    .map((r) => r.params['InstanceId.1']);
  const asgTerminations = log
    .filter((r) => r.action === 'TerminateInstanceInAutoScalingGroup')
    .map((r) => r.params.InstanceId);
  expect([...ec2Terminations].sort()).toEqual([...drifted.standalone].sort());
  expect([...asgTerminations].sort()).toEqual([...drifted.members].sort());
  for (const id of targets) expect(sim.fleet.instance(id)?.state).toMatch(/shutting-down|terminated/);

  // No orphan: every instance driftwarden launched is the recorded replacement of a succeeded job.
  const recorded = new Set(jobs.map((j) => j.newInstanceId));
  const ours = sim.fleet
    .allInstances()
    .filter((i) => i.tags.has('driftwarden:job') && i.state !== 'terminated');
  expect(ours.filter((i) => !recorded.has(i.instanceId))).toEqual([]);
  // The group is whole again: desired, in service and max as before the wave.
  const group = sim.fleet.group(GROUP)!;
  expect(group.desiredCapacity).toBe(10);
  expect(group.maxSize).toBe(10);

  const db = new Database(join(dir, 'driftwarden.db'), { readonly: true });
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  db.close();
}, 300_000);
