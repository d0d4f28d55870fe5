// `shards`: count and index (given, from the environment or from the pod name), the weights file, and which targets (and remediation candidates) a replica owns.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RemediationInputs, StoredCandidate } from '../../src/app/remediation/ports.js';
import { loadConfig } from '../../src/config/index.js';
import { ValidationError } from '../../src/domain/errors.js';
import { expandTargets } from '../../src/main.js';
import { limitToTargets } from '../../src/shard-targets.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'driftwarden-shards-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const TARGETS = `targets:
  - { account: "111122223333", regions: [us-east-1, eu-west-1] }
  - { account: "444455556666", regions: [us-east-1, eu-west-1] }
`;

function load(yaml: string, env: NodeJS.ProcessEnv = {}) {
  const file = join(dir, 'driftwarden.yaml');
  writeFileSync(file, yaml);
  return loadConfig({ file, env });
}

function loadIssues(yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    load(yaml, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return [...(error as ValidationError).allIssues];
  }
  throw new Error('expected loadConfig to fail');
}

describe('shards configuration', () => {
  it('is unsharded by default: one shard, index 0, every target its own', () => {
    const config = load(TARGETS);
    expect(config.shards).toEqual({
      count: 1,
      index: 0,
      indexFrom: 'config',
      weightsFile: null,
      weights: [],
      peers: [],
      peerTimeout: '10s',
      peerTimeoutMs: 10_000,
    });
    expect(expandTargets(config)).toHaveLength(4);
  });

  it('reads peers as base URLs or dns:NAME:PORT, from the file or DRIFTWARDEN_SHARDS_PEERS', () => {
    const config = load(
      `${TARGETS}shards: { count: 3, index: 0, peerTimeout: 3s, peers: ["http://driftwarden-1:9750/", "dns:driftwarden-headless.ns.svc:9750"] }\n`,
    );
    expect(config.shards.peers).toEqual([
      { kind: 'url', url: 'http://driftwarden-1:9750' },
      { kind: 'dns', host: 'driftwarden-headless.ns.svc', port: 9750 },
    ]);
    expect(config.shards.peerTimeoutMs).toBe(3000);
    const fromEnv = load(`${TARGETS}shards: { count: 2, index: 1 }\n`, {
      DRIFTWARDEN_SHARDS_PEERS: '["https://10.0.0.7:9750"]',
    });
    expect(fromEnv.shards.peers).toEqual([{ kind: 'url', url: 'https://10.0.0.7:9750' }]);
  });

  it('names the peer entry that is neither a base URL nor dns:NAME:PORT', () => {
    expect(
      loadIssues(
        `${TARGETS}shards: { count: 2, index: 0, peers: ["dns:headless", "ftp://x:1", "http://x:1/api", "x"] }\n`,
      ),
    ).toEqual([
      expect.stringMatching(
        /shards\.peers\[0\]: expected dns:NAME:PORT such as dns:driftwarden-headless\.ns\.svc:9750 \(got "dns:headless"\)$/,
      ),
      expect.stringMatching(
        /shards\.peers\[1\]: a peer URL must be http:\/\/ or https:\/\/ \(got "ftp:\/\/x:1"\)$/,
      ),
      expect.stringMatching(
        /shards\.peers\[2\]: a peer URL is a base URL without path, query or credentials \(got "http:\/\/x:1\/api"\)$/,
      ),
      expect.stringMatching(
        /shards\.peers\[3\]: expected a base URL such as http:\/\/driftwarden-1:9750 or dns:NAME:PORT \(got "x"\)$/,
      ),
    ]);
  });

  it('takes the index from the file or from DRIFTWARDEN_SHARDS_INDEX', () => {
    expect(load(`${TARGETS}shards: { count: 3, index: 2 }\n`).shards.index).toBe(2);
    expect(load(`${TARGETS}shards: { count: 3 }\n`, { DRIFTWARDEN_SHARDS_INDEX: '1' }).shards.index).toBe(1);
  });

  it('takes the index from the ordinal of the pod name with index: hostname', () => {
    const config = load(`${TARGETS}shards: { count: 3, index: hostname }\n`, { HOSTNAME: 'driftwarden-2' });
    expect(config.shards).toMatchObject({ index: 2, indexFrom: 'hostname' });
  });

  it('names the key when the index is missing, too large, or the host name has no ordinal', () => {
    expect(loadIssues(`${TARGETS}shards: { count: 3 }\n`)).toEqual([
      expect.stringMatching(
        /:\d+: shards\.index: required when shards\.count is 3: this replica's shard \(0 to 2\)/,
      ),
    ]);
    expect(loadIssues(`${TARGETS}shards: { count: 3, index: 3 }\n`)).toEqual([
      expect.stringMatching(
        /shards\.index: shard 3 does not exist: shards\.count is 3, so the index is 0 to 2$/,
      ),
    ]);
    expect(
      loadIssues(`${TARGETS}shards: { count: 2, index: hostname }\n`, { HOSTNAME: 'driftwarden' }),
    ).toEqual([
      expect.stringMatching(/shards\.index: host name "driftwarden" does not end in an ordinal such as -2/),
    ]);
    expect(
      loadIssues(`${TARGETS}shards: { count: 2, index: hostname }\n`, { HOSTNAME: 'driftwarden-2' }),
    ).toEqual([
      expect.stringMatching(
        /shards\.index: host name "driftwarden-2" gives shard 2, which does not exist: shards\.count is 2$/,
      ),
    ]);
  });

  it('splits the targets between the shards: each exactly once', () => {
    const owned = [0, 1, 2].map((index) =>
      expandTargets(load(`${TARGETS}shards: { count: 3, index: ${index} }\n`)).map(
        (t) => `${t.account}/${t.region}`,
      ),
    );
    expect(owned.flat().sort()).toEqual([
      '111122223333/eu-west-1',
      '111122223333/us-east-1',
      '444455556666/eu-west-1',
      '444455556666/us-east-1',
    ]);
    for (const targets of owned) expect(targets.length).toBeGreaterThan(0);
  });

  it('balances by the instances of the weights file: the heavy target gets a shard of its own', () => {
    writeFileSync(
      join(dir, 'weights.json'),
      JSON.stringify({
        targets: [
          { account: '111122223333', region: 'us-east-1', instances: 900 },
          { account: '111122223333', region: 'eu-west-1', instances: 300 },
          { account: '444455556666', region: 'us-east-1', instances: 300 },
          { account: '444455556666', region: 'eu-west-1', instances: 300 },
        ],
      }),
    );
    const owned = [0, 1].map((index) =>
      expandTargets(load(`${TARGETS}shards: { count: 2, index: ${index}, weightsFile: weights.json }\n`)).map(
        (t) => `${t.account}/${t.region}`,
      ),
    );
    expect(owned.find((targets) => targets.length === 1)).toEqual(['111122223333/us-east-1']);
    expect(owned.find((targets) => targets.length === 3)).toHaveLength(3);
  });

  it('reports a broken weights file with its path and the JSON path of the problem', () => {
    writeFileSync(
      join(dir, 'weights.json'),
      JSON.stringify({ targets: [{ account: '111122223333', region: 'us-east-1', instances: -1 }] }),
    );
    expect(loadIssues(`${TARGETS}shards: { weightsFile: weights.json }\n`)).toEqual([
      expect.stringContaining(
        `shards.weightsFile: ${join(dir, 'weights.json')}: targets[0].instances: Too small`,
      ),
    ]);
    expect(loadIssues(`${TARGETS}shards: { weightsFile: missing.json }\n`)).toEqual([
      expect.stringContaining(`shards.weightsFile: cannot read ${join(dir, 'missing.json')}: ENOENT`),
    ]);
  });
});

describe('limitToTargets', () => {
  const candidate = (instanceId: string, account: string | null, region: string): StoredCandidate => ({
    instanceId,
    account,
    region,
    imageId: 'ami-1',
    group: 'web',
    asgName: null,
    tags: {},
    findings: [],
  });
  // An in-memory remediation-inputs port: a shard's database that still holds a moved target's instances.
  const inputs: RemediationInputs = {
    candidates: () => [
      candidate('i-own', '111122223333', 'us-east-1'),
      candidate('i-moved', '444455556666', 'us-east-1'),
      candidate('i-default', null, 'eu-west-1'),
    ],
    failedSince: () => new Map(),
    openJobs: () => [],
    replaceDrift: () => new Map(),
    groupHealth: () => [],
  };

  it("offers remediation only the instances of the shard's own targets", () => {
    const limited = limitToTargets(inputs, [
      { account: '111122223333', region: 'us-east-1', roleArn: null, filters: {} },
      { account: null, region: 'eu-west-1', roleArn: null, filters: {} },
    ]);
    expect(limited.candidates().map((c) => c.instanceId)).toEqual(['i-own', 'i-default']);
  });
});
