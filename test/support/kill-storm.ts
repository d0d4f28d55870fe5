// kill -9 at random points during a replacement wave, then one daemon finishes it: what the wave left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { importManifests } from '../../src/app/manifest-service.js';
import { parseManifestObject } from '../../src/manifests/parse-manifest.js';
import { packagePath } from '../../src/package-root.js';
import { startSimulator, type Simulator } from '@driftwarden/simulator';
import { manifestsForImages } from '../../src/demo/demo-manifests.js';
import { openStore } from '../../src/store/index.js';
import { waitUntil } from './remediation.js';

export const KILL_STORM_GROUP = 'crash-us-east-1-asg';

export interface KillStormJob {
  instanceId: string;
  state: string;
  jobId: string;
  newInstanceId: string | null;
  strategy: string;
}

export interface KillStorm {
  sim: Simulator;
  /** The instances drifted before the wave: standalone ones and Auto Scaling group members. */
  drifted: { standalone: string[]; members: string[] };
  /** Kills that left a job running (landed inside a replacement, not at start-up or idle). */
  killedMidJob: number;
  /** Every job once the last daemon finished the wave. */
  jobs: KillStormJob[];
  /** `PRAGMA integrity_check` of the database afterwards. */
  integrity: unknown;
  close(): Promise<void>;
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

function exited(proc: ChildProcess): Promise<void> {
  return proc.exitCode !== null || proc.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => proc.once('exit', () => resolve()));
}

/** Ten drifted standalone instances and five drifted members of a ten-instance group, in us-east-1. */
async function seedWave(dir: string): Promise<Pick<KillStorm, 'sim' | 'drifted'>> {
  const sim = await startSimulator({
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

  const drifted: KillStorm['drifted'] = { standalone: [], members: [] };
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
    group: KILL_STORM_GROUP,
  });
  drifted.members.push(...members.slice(0, 5).map((m) => m.instanceId));
  for (const id of [...drifted.standalone, ...drifted.members])
    sim.fleet.drift(id, { httpTokens: 'optional' });
  return { sim, drifted };
}

/** Runs `kills` SIGKILLs of `driftwarden serve` (enforce mode) during the wave, then lets a last daemon finish it. */
export async function runKillStorm(kills: number, seed: number): Promise<KillStorm> {
  const dir = mkdtempSync(join(tmpdir(), 'dw-crash-'));
  const database = join(dir, 'driftwarden.db');
  const { sim, drifted } = await seedWave(dir);
  let child: ChildProcess | null = null;
  const close = async (): Promise<void> => {
    child?.kill('SIGKILL');
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  };

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    DRIFTWARDEN_CONFIG: '',
    DRIFTWARDEN_LOG_LEVEL: 'info',
    DRIFTWARDEN_DATABASE_PATH: database,
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

  /** Starts `driftwarden serve`; resolves with its URL once it logs that it is serving. */
  const startDaemon = (): Promise<{ proc: ChildProcess; url: string }> => {
    const proc = spawn(process.execPath, [packagePath('dist/src/cli/bin.js'), 'serve'], {
      env,
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
      proc.stderr?.resume();
      proc.once('exit', (code, signal) =>
        reject(new Error(`daemon exited (${code ?? signal}) before serving:\n${buffered}`)),
      );
    });
  };

  const countJobs = (where: string): number => {
    const db = new Database(database, { readonly: true });
    try {
      return (db.prepare(`SELECT count(*) AS n FROM replacement_jobs WHERE ${where}`).get() as { n: number })
        .n;
    } finally {
      db.close();
    }
  };
  const runningJobs = (): number => countJobs("state = 'running'");
  /** Every drifted instance has a finished job: nothing is left to run. */
  const waveDone = (): boolean =>
    countJobs("state = 'succeeded'") >= drifted.standalone.length + drifted.members.length;

  try {
    const random = prng(seed);
    let killedMidJob = 0;
    for (let kill = 0; kill < kills; kill++) {
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

    // Let a last daemon finish the wave.
    const { proc, url } = await startDaemon();
    const targets = [...drifted.standalone, ...drifted.members];
    const jobs = await waitUntil(
      'every drifted instance to be replaced',
      async () => {
        const response = await fetch(`${url}/api/v1/replacements?limit=1000`);
        const { items } = (await response.json()) as { items: KillStormJob[] };
        const done = targets.every((id) => items.some((j) => j.instanceId === id && j.state === 'succeeded'));
        return done && !items.some((j) => j.state === 'running') ? items : undefined;
      },
      120_000,
      250,
    );
    proc.kill('SIGTERM');
    await exited(proc);

    const db = new Database(database, { readonly: true });
    const integrity = db.pragma('integrity_check', { simple: true });
    db.close();
    return { sim, drifted, killedMidJob, jobs, integrity, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Old instances terminated more than once, by either call (EC2 or Auto Scaling). */
export function doubleTerminations(sim: Simulator): string[] {
  const log = sim.requestLog();
  const ids = [
    ...log.filter((r) => r.action === 'TerminateInstances').map((r) => r.params['InstanceId.1']),
    ...log.filter((r) => r.action === 'TerminateInstanceInAutoScalingGroup').map((r) => r.params.InstanceId),
  ];
  return ids.filter((id, n): id is string => id !== undefined && ids.indexOf(id) !== n);
}

/** Live instances driftwarden launched that are not the recorded replacement of a succeeded job. */
export function orphans(sim: Simulator, jobs: readonly KillStormJob[]): string[] {
  const recorded = new Set(jobs.filter((j) => j.state === 'succeeded').map((j) => j.newInstanceId));
  return sim.fleet
    .allInstances()
    .filter((i) => i.tags.has('driftwarden:job') && i.state !== 'terminated' && !recorded.has(i.instanceId))
    .map((i) => i.instanceId);
}
