// `driftwarden scan --once` as a user runs it against the simulator: exit codes 0/2/1, the JSON contract, human output.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimInstance } from '@driftwarden/simulator';
import { startHarness, type Harness, type ScanJsonBody } from '../support/harness.js';
import { runCli, type CliResult } from './run-cli.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ instances: 12, seed: 21 });
});
afterAll(async () => {
  await h.close();
});

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCli(args, { env: { ...h.cliEnv, ...env } });
}

function running(nth: number): SimInstance {
  const found = h.sim.fleet
    .allInstances()
    .filter((i) => i.state === 'running' && i.channel !== null)
    .sort((a, b) => a.instanceId.localeCompare(b.instanceId))[nth];
  if (!found) throw new Error(`no running instance #${nth}`);
  return found;
}

const FINDING_KEYS = [
  'instanceId',
  'imageId',
  'rule',
  'severity',
  'action',
  'path',
  'change',
  'expected',
  'actual',
  'firstSeen',
  'accepted',
  'scope',
];

describe('scan --once', () => {
  it('exits 0 on a clean fleet and prints exactly the documented JSON document', async () => {
    const result = await cli(['scan', '--once', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const scan = JSON.parse(result.stdout) as ScanJsonBody & { startedAt: string; finishedAt: string };
    expect(Object.keys(scan)).toEqual([
      'scanId',
      'outcome',
      'startedAt',
      'finishedAt',
      'instances',
      'targets',
      'findings',
    ]);
    const total = h.sim.fleet.allInstances().filter((i) => i.state !== 'terminated').length;
    expect(scan).toEqual({
      scanId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
      outcome: 'success',
      startedAt: expect.any(String) as unknown,
      finishedAt: expect.any(String) as unknown,
      instances: { total, compliant: total, drifted: 0, unknownImage: 0, stale: 0 },
      targets: [
        { account: null, region: 'us-east-1', status: 'ok', error: null },
        { account: null, region: 'eu-west-1', status: 'ok', error: null },
      ],
      findings: [],
    });
    expect(Date.parse(scan.finishedAt)).toBeGreaterThanOrEqual(Date.parse(scan.startedAt));
  });

  describe('with drift on two instances', () => {
    let first: SimInstance;
    let second: SimInstance;
    beforeAll(async () => {
      first = running(0);
      second = running(1);
      await h.control.drift(second.instanceId, { httpTokens: 'optional', instanceType: 'm5.24xlarge' });
      await h.control.drift(first.instanceId, { tags: { role: null } });
    });
    afterAll(async () => {
      await h.control.reset(first.instanceId);
      await h.control.reset(second.instanceId);
    });

    it('exits 2 with findings sorted by instance, then path; stdout holds only the JSON, logs go to stderr', async () => {
      const result = await cli(['scan', '--once', '--json'], { DRIFTWARDEN_LOG_LEVEL: 'info' });
      expect(result.code).toBe(2);
      expect(result.stdout.startsWith('{\n')).toBe(true);
      const scan = JSON.parse(result.stdout) as ScanJsonBody;
      expect(result.stderr).toContain('"msg":"scan started"');
      expect(result.stderr).toContain('"msg":"scan finished"');

      expect(scan.outcome).toBe('success');
      expect(scan.instances.drifted).toBe(2);
      for (const finding of scan.findings) expect(Object.keys(finding)).toEqual(FINDING_KEYS);
      expect(scan.findings.map((f) => [f.instanceId, f.path, f.change, f.rule])).toEqual([
        [first.instanceId, 'launch.tags.role', 'removed', 'required-tags'],
        [second.instanceId, 'launch.instanceType', 'changed', 'instance-type'],
        [second.instanceId, 'launch.metadataOptions.httpTokens', 'changed', 'imds-downgrade'],
      ]);
      expect(scan.findings[2]).toEqual({
        instanceId: second.instanceId,
        imageId: second.imageId,
        rule: 'imds-downgrade',
        severity: 'critical',
        action: 'replace',
        path: 'launch.metadataOptions.httpTokens',
        change: 'changed',
        expected: 'required',
        actual: 'optional',
        firstSeen: expect.any(String) as unknown,
        accepted: false,
        // Two drifted instances are too few peers for consensus (signal.minPeers).
        scope: 'unrated',
      });
    });

    it('prints a human summary listing each finding path without --json', async () => {
      const result = await cli(['scan', '--once']);
      expect(result.code).toBe(2);
      expect(result.stdout).toMatch(/^scan [0-9a-f-]{36}: success\n/);
      expect(result.stdout).toContain('2 drifted');
      for (const path of ['launch.tags.role', 'launch.instanceType', 'launch.metadataOptions.httpTokens'])
        expect(result.stdout).toContain(path);
    });
  });

  it('exits 1 when every target fails, still printing the scan with each target’s error', async () => {
    await h.control.fault({ operation: 'DescribeInstances', kind: 'unauthorized' });
    try {
      const [json, human] = await Promise.all([cli(['scan', '--once', '--json']), cli(['scan', '--once'])]);
      expect(json.code).toBe(1);
      const scan = JSON.parse(json.stdout) as ScanJsonBody;
      expect(scan.outcome).toBe('failure');
      expect(scan.targets).toEqual([
        {
          account: null,
          region: 'us-east-1',
          status: 'stale',
          error: expect.stringContaining('UnauthorizedOperation') as unknown,
        },
        {
          account: null,
          region: 'eu-west-1',
          status: 'stale',
          error: expect.stringContaining('UnauthorizedOperation') as unknown,
        },
      ]);
      expect(scan.instances.stale).toBe(scan.instances.total);

      expect(human.code).toBe(1);
      expect(human.stdout).toMatch(/^scan [0-9a-f-]{36}: failure\n/);
      expect(human.stdout).toMatch(/target -\/us-east-1 stale: UnauthorizedOperation/);
    } finally {
      await h.control.clearFaults();
    }
  });

  it('exits 1 with a message when --once is missing', async () => {
    const result = await cli(['scan', '--json']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('scan needs --once');
    expect(result.stderr).toContain('driftwarden serve');
  });
});
