// `driftwarden shards plan` as a process: each target's shard, each shard's instances, what moves, and its errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

let dir: string;
let config: string;
const env = { PATH: process.env.PATH };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dw-cli-shards-'));
  writeFileSync(
    join(dir, 'weights.json'),
    JSON.stringify({
      targets: [
        { account: '111122223333', region: 'us-east-1', instances: 600 },
        { account: '111122223333', region: 'eu-west-1', instances: 200 },
        { account: '444455556666', region: 'us-east-1', instances: 200 },
        { account: '444455556666', region: 'eu-west-1', instances: 200 },
      ],
    }),
  );
  config = join(dir, 'driftwarden.yaml');
  writeFileSync(
    config,
    [
      'targets:',
      '  - { account: "111122223333", regions: [us-east-1, eu-west-1] }',
      '  - { account: "444455556666", regions: [us-east-1, eu-west-1] }',
      // The plan is the same for every replica, so a host without an ordinal may print it.
      'shards: { count: 1, index: hostname, weightsFile: weights.json }',
      '',
    ].join('\n'),
  );
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('driftwarden shards plan', () => {
  it("prints each shard's targets and instances, each target's shard, and how many targets move", async () => {
    const result = await runCli(['--config', config, 'shards', 'plan', '--count', '2'], {
      env: { ...env, HOSTNAME: 'laptop' },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`2 shard(s), 4 target(s); weights: ${join(dir, 'weights.json')}`);
    // The heavy target moves to the new shard: one move instead of three.
    expect(result.stdout).toMatch(/^0 {6}3 {8}600$/m);
    expect(result.stdout).toMatch(/^1 {6}1 {8}600$/m);
    expect(result.stdout).toMatch(/^111122223333 {2}us-east-1 {9}600 {8}1$/m);
    expect(result.stdout).toContain('1 of 4 target(s) move from the current plan (shards.count 1)');
  });

  it('prints the plan as JSON', async () => {
    const result = await runCli(['--config', config, 'shards', 'plan', '--count', '2', '--json'], { env });
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as {
      count: number;
      currentCount: number;
      moved: number;
      shards: { shard: number; targets: number; instances: number }[];
      targets: { account: string; region: string; instances: number; shard: number; currentShard: number }[];
    };
    expect(plan).toMatchObject({ count: 2, currentCount: 1, moved: 1 });
    expect(plan.shards).toEqual([
      { shard: 0, targets: 3, instances: 600 },
      { shard: 1, targets: 1, instances: 600 },
    ]);
    expect(plan.targets).toContainEqual({
      account: '444455556666',
      region: 'eu-west-1',
      instances: 200,
      shard: 0,
      currentShard: 0,
    });
  });

  it('refuses a count that is not a whole number of shards', async () => {
    const result = await runCli(['--config', config, 'shards', 'plan', '--count', '0'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('expected a whole number of shards, 1 or more');
  });

  it('refuses --write where there is no database to count from', async () => {
    const result = await runCli(['--config', config, 'shards', 'plan', '--write', join(dir, 'out.json')], {
      env: { ...env, HOSTNAME: 'driftwarden-0' },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('shards plan --write: no database at');
  });
});
