// Two shard processes against one simulated fleet of 2 accounts × 2 regions: each scans only its targets, together all exactly once.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, SimulatorControl, type Simulator } from '@driftwarden/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/package-root.js';
import { runCli, spawnCli } from '../cli/run-cli.js';

const DEFAULT = '123456789012';
const ACCOUNT_A = '111122223333';
const ROLE_A = `arn:aws:iam::${ACCOUNT_A}:role/driftwarden-scan`;
const REGIONS = ['us-east-1', 'eu-west-1'];
const ALL_TARGETS = [DEFAULT, ACCOUNT_A]
  .flatMap((account) => REGIONS.map((region) => `${account}/${region}`))
  .sort();

let sim: Simulator;
let dir: string;
let env: NodeJS.ProcessEnv;
/** Instances per target (account/region) in the simulator. */
const fleet = new Map<string, number>();

interface ScanJson {
  outcome: string;
  instances: { total: number };
  targets: { account: string | null; region: string; status: string }[];
}

function shardConfig(index: number): string {
  const path = join(dir, `shard-${index}.yaml`);
  writeFileSync(
    path,
    [
      `database: { path: ${JSON.stringify(join(dir, `shard-${index}.db`))} }`,
      'http: { host: 127.0.0.1, port: 0 }',
      `aws: { endpoint: ${JSON.stringify(sim.url)}, maxAttempts: 1 }`,
      'targets:',
      `  - { account: "${DEFAULT}", regions: [${REGIONS.join(', ')}] }`,
      `  - { roleArn: "${ROLE_A}", regions: [${REGIONS.join(', ')}] }`,
      `rules: { dir: ${JSON.stringify(packagePath('rules'))} }`,
      `shards: { count: 2, index: ${index} }`,
      '',
    ].join('\n'),
  );
  return path;
}

const targetKeys = (scan: ScanJson) => scan.targets.map((t) => `${t.account}/${t.region}`).sort();

async function scanOnce(config: string): Promise<ScanJson> {
  const result = await runCli(['--config', config, 'scan', '--once', '--json'], { env });
  expect(result.stderr).not.toMatch(/error/i);
  return JSON.parse(result.stdout) as ScanJson;
}

beforeAll(async () => {
  sim = await startSimulator({ instances: 10, seed: 12, regions: REGIONS });
  dir = mkdtempSync(join(tmpdir(), 'dw-shards-'));
  env = {
    PATH: process.env.PATH,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    DRIFTWARDEN_LOG_LEVEL: 'warn',
  };
  const control = new SimulatorControl(sim.url);
  await control.role({ roleArn: ROLE_A });
  await control.launchBulk({ region: 'us-east-1', count: 3, channel: 'web' }, ACCOUNT_A);
  await control.launchBulk({ region: 'eu-west-1', count: 5, channel: 'api' }, ACCOUNT_A);
  for (const region of REGIONS) {
    fleet.set(`${ACCOUNT_A}/${region}`, region === 'us-east-1' ? 3 : 5);
    const running = sim.fleet
      .allInstances()
      .filter((i) => i.region === region && (i.state === 'running' || i.state === 'stopped')).length;
    fleet.set(`${DEFAULT}/${region}`, running);
  }
});

afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('two shards of one fleet', () => {
  it('each scans only its own targets, and together they scan every target exactly once', async () => {
    const scans = [await scanOnce(shardConfig(0)), await scanOnce(shardConfig(1))];
    for (const scan of scans) {
      expect(scan.outcome).toBe('success');
      expect(scan.targets.length).toBeGreaterThan(0);
    }
    expect(scans.flatMap(targetKeys).sort()).toEqual(ALL_TARGETS);
    // Each shard's database holds the instances of its targets only.
    for (const scan of scans) {
      expect(scan.instances.total).toBe(
        targetKeys(scan).reduce((sum, key) => sum + (fleet.get(key) ?? 0), 0),
      );
    }
    const described = sim.requestLog().filter((e) => e.action === 'DescribeInstances');
    expect(new Set(described.map((e) => `${e.account}/${e.region}`))).toEqual(new Set(ALL_TARGETS));
  });

  it('writes the weights file from each shard and plans with the instance counts', async () => {
    const weights = join(dir, 'weights.json');
    for (const index of [0, 1]) {
      const written = await runCli(['--config', shardConfig(index), 'shards', 'plan', '--write', weights], {
        env,
      });
      expect(written.code).toBe(0);
    }
    const file = JSON.parse(readFileSync(weights, 'utf8')) as {
      targets: { account: string; region: string; instances: number }[];
    };
    expect(file.targets.map((t) => [`${t.account}/${t.region}`, t.instances])).toEqual(
      [...fleet].sort(([a], [b]) => (a < b ? -1 : 1)),
    );

    const plan = await runCli(['--config', shardConfig(0), 'shards', 'plan', '--count', '2', '--json'], {
      env: { ...env, DRIFTWARDEN_SHARDS_WEIGHTS_FILE: weights },
    });
    expect(plan.code).toBe(0);
    const body = JSON.parse(plan.stdout) as { shards: { instances: number; targets: number }[] };
    const total = [...fleet.values()].reduce((a, b) => a + b, 0);
    expect(body.shards.reduce((sum, s) => sum + s.instances, 0)).toBe(total);
    expect(body.shards.reduce((sum, s) => sum + s.targets, 0)).toBe(4);
  });

  it('labels every series of a shard with its shard, and exports its shard and targets', async () => {
    const child = spawnCli(['--config', shardConfig(1), 'serve'], {
      env: { ...env, DRIFTWARDEN_LOG_LEVEL: 'info' },
    });
    let stdout = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.once('close', (code) => reject(new Error(`serve exited with ${code}: ${stdout}`)));
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stdout);
        if (match?.[1]) resolve(match[1]);
      });
    });
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    try {
      const text = await (await fetch(`${url}/metrics`)).text();
      const owned = await plannedTargets(1);
      expect(text).toContain('driftwarden_shard_info{shard="1",shards="2"} 1');
      expect(text).toContain(`driftwarden_shard_targets{shard="1"} ${owned}`);
      const samples = text.split('\n').filter((line) => line.startsWith('driftwarden_'));
      expect(samples.length).toBeGreaterThan(10);
      for (const line of samples) expect(line).toMatch(/[{,]shard="1"[,}]/);
    } finally {
      expect(child.pid).toBeDefined();
      process.kill(child.pid ?? 0, 'SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

/** How many targets `shards plan` gives the shard. */
async function plannedTargets(index: number): Promise<number> {
  const plan = await runCli(['--config', shardConfig(index), 'shards', 'plan', '--json'], { env });
  const body = JSON.parse(plan.stdout) as { targets: { shard: number }[] };
  return body.targets.filter((t) => t.shard === index).length;
}
