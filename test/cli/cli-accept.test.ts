// `driftwarden accept` on a real database file, and what `scan --once` then reports against the simulator.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Acceptance } from '../../src/app/ports.js';
import type { SimInstance } from '@driftwarden/simulator';
import { openStore } from '../../src/store/index.js';
import { startHarness, type Harness, type ScanJsonBody } from '../support/harness.js';
import { REPO, runCli } from './run-cli.js';

const INSTANCE = 'i-0123456789abcdef0';
const DAY_MS = 86_400_000;

describe('accept on a database file', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => runCli(args, { env, cwd: REPO });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dw-cli-accept-'));
    env = {
      ...process.env,
      DRIFTWARDEN_CONFIG: '',
      DRIFTWARDEN_DATABASE_PATH: join(dir, 'dw.db'),
      USER: 'oncall',
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stores an instance acceptance for a duration, says what it stored and when it applies', async () => {
    const before = Date.now();
    const result = await cli('accept', INSTANCE, '--until', '7d', '--reason', 'vendor hotfix, CHG-1234');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `^accepted \\(id 1\\): instance ${INSTANCE}, every rule, until \\S+Z\ntakes effect at the next scan\n$`,
      ),
    );
    // Not scanned yet: allowed, but said.
    expect(result.stderr).toBe(
      `driftwarden: warning: no scan has seen instance ${INSTANCE}; storing the acceptance anyway\n`,
    );

    const store = openStore(join(dir, 'dw.db'), { now: () => new Date() });
    try {
      const [stored] = store.acceptances.list();
      expect(stored).toMatchObject({
        id: 1,
        instanceId: INSTANCE,
        rule: null,
        reason: 'vendor hotfix, CHG-1234',
        createdBy: 'cli:oncall',
        revokedAt: null,
      });
      const until = Date.parse(stored!.until);
      expect(until).toBeGreaterThanOrEqual(before + 7 * DAY_MS);
      expect(until).toBeLessThanOrEqual(Date.now() + 7 * DAY_MS);
    } finally {
      store.close();
    }
  });

  it('stores a rule acceptance until a date and prints it as JSON; an unknown rule is a warning', async () => {
    const until = new Date(Date.now() + 30 * DAY_MS).toISOString().slice(0, 10);
    const known = await cli(
      'accept',
      '--rule',
      'required-tags',
      '--until',
      until,
      '--reason',
      'tags',
      '--json',
    );
    expect(known.code).toBe(0);
    expect(known.stderr).toBe('');
    expect(JSON.parse(known.stdout)).toEqual({
      id: 2,
      instanceId: null,
      rule: 'required-tags',
      reason: 'tags',
      until: `${until}T00:00:00.000Z`,
      createdBy: 'cli:oncall',
      createdAt: expect.any(String) as unknown,
      revokedAt: null,
      revokedBy: null,
    });

    const unknown = await cli('accept', INSTANCE, '--rule', 'no-such-rule', '--until', '1d', '--reason', 'x');
    expect(unknown.code).toBe(0);
    expect(unknown.stdout).toContain(`rule no-such-rule on instance ${INSTANCE}`);
    expect(unknown.stderr).toContain('warning: no rule no-such-rule in');
    expect(unknown.stderr).toContain('known: ');
    expect(unknown.stderr).toContain('imds-downgrade');
  });

  it('lists active acceptances newest first, and with --all also revoked ones with their state', async () => {
    const revoked = await cli('accept', '--revoke', '3');
    expect(revoked).toMatchObject({
      code: 0,
      stdout: `revoked acceptance 3 (rule no-such-rule on instance ${INSTANCE}); its findings count as drift again from the next scan\n`,
    });
    const again = await cli('accept', '--revoke', '3', '--json');
    expect(again.code).toBe(0);
    const first = JSON.parse(again.stdout) as Acceptance;
    expect(first).toMatchObject({ id: 3, revokedBy: 'cli:oncall' });
    expect((await cli('accept', '--revoke', '3')).stdout).toBe(
      `acceptance 3 (rule no-such-rule on instance ${INSTANCE}) was already revoked at ${first.revokedAt} by cli:oncall\n`,
    );

    const active = JSON.parse((await cli('accept', '--list', '--json')).stdout) as { items: Acceptance[] };
    expect(active.items.map((a) => a.id)).toEqual([2, 1]);
    const all = JSON.parse((await cli('accept', '--list', '--all', '--json')).stdout) as {
      items: Acceptance[];
    };
    expect(all.items.map((a) => a.id)).toEqual([3, 2, 1]);

    const table = await cli('accept', '--list', '--all');
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+INSTANCE\s+RULE\s+UNTIL\s+STATE\s+BY\s+REASON$/);
    expect(table.stdout).toMatch(
      new RegExp(`\\n3\\s+${INSTANCE}\\s+no-such-rule\\s+\\S+\\s+revoked\\s+cli:oncall\\s+x\\n`),
    );
    expect(table.stdout).toMatch(/\n2\s+\*\s+required-tags\s+\S+\s+active\s+cli:oncall\s+tags\n/);
  });

  it('lists one page at a time with --limit, says how many there are and how to go on', async () => {
    const all = JSON.parse((await cli('accept', '--list', '--all', '--json')).stdout) as {
      items: Acceptance[];
      total: number;
      next: string | null;
    };
    expect(all).toMatchObject({ total: 3, next: null });
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const args: string[] = ['accept', '--list', '--all', '--limit', '2', '--json'];
      if (cursor !== null) args.push('--cursor', cursor);
      const page = JSON.parse((await cli(...args)).stdout) as {
        items: Acceptance[];
        total: number;
        next: string | null;
      };
      expect(page.items.length).toBeLessThanOrEqual(2);
      expect(page.total).toBe(3);
      seen.push(...page.items.map((a) => a.id));
      cursor = page.next;
    } while (cursor !== null);
    expect(seen).toEqual(all.items.map((a) => a.id));

    const table = await cli('accept', '--list', '--all', '--limit', '2');
    expect(table.code).toBe(0);
    expect(table.stdout.trim().split('\n')).toHaveLength(3);
    const note = /^showing 2 of 3; next page: --cursor (\S+) \(--limit up to 1000\)\n$/.exec(table.stderr);
    expect(note, table.stderr).not.toBeNull();
    const rest = await cli('accept', '--list', '--all', '--limit', '2', '--cursor', note?.[1] ?? '');
    expect(rest.stdout).toMatch(/\n1\s+/);
    expect(rest.stderr).toBe('');
  });

  it('refuses what it cannot store, with exit 1 and a message naming the problem', async () => {
    const cases: [string[], string][] = [
      [
        ['i-xyz', '--until', '1d', '--reason', 'x'],
        "'i-xyz' is invalid for argument 'instanceId'. must be an EC2 instance id",
      ],
      [['--until', '1d', '--reason', 'x'], 'name what to accept: an instance id, --rule <id>, or both'],
      [[INSTANCE, '--reason', 'x'], "required option '--until <when>' not specified"],
      [[INSTANCE, '--until', '1d'], "required option '--reason <text>' not specified"],
      [[INSTANCE, '--until', '1d', '--reason', '  '], '--reason must say why the drift is accepted'],
      [[INSTANCE, '--until', '2020-01-01', '--reason', 'x'], 'must be in the future'],
      [[INSTANCE, '--until', '400d', '--reason', 'x'], 'must be at most 365 days ahead'],
      [
        [INSTANCE, '--until', 'next week', '--reason', 'x'],
        'is neither a duration (7d, 12h) nor an ISO date',
      ],
      [[INSTANCE, '--until', '2026-12-31T18:00', '--reason', 'x'], 'has no time zone'],
      [['--list', '--rule', 'x'], '--list cannot be combined with --rule'],
      [['--all'], '--all only goes with --list'],
      [['--revoke', '1', INSTANCE], '--revoke cannot be combined with instanceId'],
      [['--revoke', 'one'], '--revoke must be a whole number'],
      [['--revoke', '99'], 'driftwarden: no acceptance 99'],
      [['--revoke', '1', '--limit', '5'], '--revoke cannot be combined with --limit'],
      [[INSTANCE, '--until', '1d', '--reason', 'x', '--cursor', 'Mw'], '--cursor only goes with --list'],
      [['--list', '--limit', '1001'], 'limit'],
      [['--list', '--cursor', 'bm90LWEta2V5'], 'not a cursor this daemon handed out'],
    ];
    const before = JSON.parse((await cli('accept', '--list', '--all', '--json')).stdout) as {
      items: unknown[];
    };
    for (const [args, message] of cases) {
      const result = await cli('accept', ...args);
      expect({ args, code: result.code }).toEqual({ args, code: 1 });
      expect(result.stderr).toContain(message);
    }
    const after = JSON.parse((await cli('accept', '--list', '--all', '--json')).stdout) as {
      items: unknown[];
    };
    expect(after.items).toEqual(before.items);
  });

  it('explains itself with examples in --help', async () => {
    const help = await cli('accept', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: driftwarden accept [options] [instanceId]');
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('driftwarden accept --rule tag-drift --until 2026-12-31');
    expect(help.stdout).toContain('takes effect at the next scan');
  });
});

describe('accept, then scan --once', () => {
  let h: Harness;
  let drifted: SimInstance;
  beforeAll(async () => {
    h = await startHarness({ instances: 8, seed: 21, regions: ['us-east-1'] });
    drifted = h.sim.fleet
      .allInstances()
      .filter((i) => i.state === 'running' && i.channel !== null)
      .sort((a, b) => a.instanceId.localeCompare(b.instanceId))[0]!;
    await h.control.drift(drifted.instanceId, { httpTokens: 'optional', tags: { role: null } });
  });
  afterAll(async () => {
    await h.close();
  });

  const cli = (...args: string[]) => runCli(args, { env: h.cliEnv });
  const scan = async () => {
    const result = await cli('scan', '--once', '--json');
    return { code: result.code, scan: JSON.parse(result.stdout) as ScanJsonBody };
  };

  it('reports accepted drift as accepted, exits 0, and counts the instance compliant until revoked', async () => {
    expect((await scan()).code).toBe(2);
    const accepted = await cli(
      'accept',
      drifted.instanceId,
      '--until',
      '1d',
      '--reason',
      'vendor case 42',
      '--json',
    );
    expect(accepted.stderr).toBe('');
    const acceptance = JSON.parse(accepted.stdout) as Acceptance;

    const { code, scan: report } = await scan();
    expect(code).toBe(0);
    expect(report.instances.drifted).toBe(0);
    expect(report.findings.map((f) => [f.instanceId, f.path, f.accepted])).toEqual([
      [drifted.instanceId, 'launch.metadataOptions.httpTokens', true],
      [drifted.instanceId, 'launch.tags.role', true],
    ]);
    expect(report.findings[0]?.acceptance).toEqual({
      id: acceptance.id,
      reason: 'vendor case 42',
      until: acceptance.until,
      createdBy: acceptance.createdBy,
    });
    const human = await cli('scan', '--once');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`critical (accepted #${acceptance.id})`);

    await cli('accept', '--revoke', String(acceptance.id));
    const after = await scan();
    expect(after.code).toBe(2);
    expect(after.scan.instances.drifted).toBe(1);
    expect(after.scan.findings.every((f) => !f.accepted && f.acceptance === undefined)).toBe(true);
  });

  it('accepts only the named rule when given an instance and a rule', async () => {
    await cli(
      'accept',
      drifted.instanceId,
      '--rule',
      'required-tags',
      '--until',
      '1d',
      '--reason',
      'tags later',
    );
    const { code, scan: report } = await scan();
    expect(code).toBe(2);
    expect(report.findings.map((f) => [f.rule, f.accepted])).toEqual([
      ['imds-downgrade', false],
      ['required-tags', true],
    ]);
  });
});
