import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PersistScanInput } from '../../src/app/ports.js';
import { openStore, type Store } from '../../src/store/index.js';
import { T0, TARGET, at, finding, scanInput, scanned, useTempDir } from './fixtures.js';

const IMDS = 'launch.metadataOptions.httpTokens';
const TYPE = 'launch.instanceType';

describe('FleetRepository (SQLite)', () => {
  const tmp = useTempDir();
  let store: Store;
  beforeEach(() => {
    store = openStore(tmp.dbPath(), { now: () => new Date(T0) });
  });
  afterEach(() => store.close());

  function failedTarget(scanId: string, minutes: number): PersistScanInput {
    return {
      scanId,
      startedAt: at(minutes - 1),
      finishedAt: at(minutes),
      outcome: 'partial',
      targets: [{ ...TARGET, status: 'stale', error: 'Throttling: Rate exceeded' }],
      scanned: [],
      staleTargets: [TARGET],
      acceptances: [],
    };
  }

  describe('persistScan', () => {
    it('stores scanned instances as present with their status, group and observation', () => {
      store.fleet.persistScan(scanInput('s1', 1, [scanned('i-1'), scanned('i-2', [finding('i-2', IMDS)])]));
      const instance = store.fleet.getInstance('i-2');
      expect(instance).toMatchObject({
        instanceId: 'i-2',
        account: TARGET.account,
        region: 'us-east-1',
        imageId: 'ami-1',
        group: 'web',
        status: 'drifted',
        present: true,
        firstSeen: at(1),
        lastSeen: at(1),
        lastScanId: 's1',
      });
      expect(instance?.observation.securityGroups).toEqual(['sg-1']);
    });

    it('gives a new finding first_seen = last_seen = the scan finish time', () => {
      store.fleet.persistScan(scanInput('s1', 1, [scanned('i-1', [finding('i-1', IMDS)])]));
      const [f] = store.fleet.listFindings();
      expect(f).toMatchObject({
        instanceId: 'i-1',
        path: IMDS,
        change: 'changed',
        expected: 'required',
        actual: 'optional',
        rule: 'imds-downgrade',
        severity: 'critical',
        action: 'replace',
        forMs: 300_000,
        account: TARGET.account,
        region: 'us-east-1',
        group: 'web',
        firstSeen: at(1),
        lastSeen: at(1),
        resolvedAt: null,
        accepted: false,
        acceptance: null,
      });
    });

    it('keeps first_seen of a repeated finding and updates last_seen and its classification', () => {
      store.fleet.persistScan(scanInput('s1', 1, [scanned('i-1', [finding('i-1', IMDS)])]));
      const first = store.fleet.listFindings()[0];
      store.fleet.persistScan(
        scanInput('s2', 2, [
          scanned('i-1', [finding('i-1', IMDS, { severity: 'warning', actual: null, rule: 'r2' })]),
        ]),
      );
      const findings = store.fleet.listFindings({ includeResolved: true });
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({
        id: first?.id,
        firstSeen: at(1),
        lastSeen: at(2),
        severity: 'warning',
        rule: 'r2',
        actual: null,
      });
    });

    it('resolves a finding whose difference disappeared and keeps it as history', () => {
      store.fleet.persistScan(
        scanInput('s1', 1, [
          scanned('i-1', [finding('i-1', IMDS), finding('i-1', TYPE, { severity: 'info' })]),
        ]),
      );
      store.fleet.persistScan(
        scanInput('s2', 2, [scanned('i-1', [finding('i-1', TYPE, { severity: 'info' })])]),
      );
      expect(store.fleet.listFindings().map((f) => f.path)).toEqual([TYPE]);
      const resolved = store.fleet.listFindings({ includeResolved: true }).find((f) => f.path === IMDS);
      expect(resolved).toMatchObject({ resolvedAt: at(2), lastSeen: at(1), firstSeen: at(1) });
    });

    it('opens a new finding when a resolved difference comes back', () => {
      store.fleet.persistScan(scanInput('s1', 1, [scanned('i-1', [finding('i-1', IMDS)])]));
      store.fleet.persistScan(scanInput('s2', 2, [scanned('i-1')]));
      store.fleet.persistScan(scanInput('s3', 3, [scanned('i-1', [finding('i-1', IMDS)])]));
      expect(store.fleet.listFindings().map((f) => f.firstSeen)).toEqual([at(3)]);
      expect(store.fleet.listFindings({ includeResolved: true })).toHaveLength(2);
    });

    it('leaves the instances of a failed target and their findings untouched, marked stale', () => {
      store.fleet.persistScan(scanInput('s1', 1, [scanned('i-1', [finding('i-1', IMDS)]), scanned('i-2')]));
      const before = store.fleet.listFindings({ includeResolved: true });
      const record = store.fleet.persistScan(failedTarget('s2', 2));

      expect(store.fleet.listFindings({ includeResolved: true })).toEqual(before);
      const instances = store.fleet.listInstances();
      expect(instances.map((i) => [i.instanceId, i.status, i.present, i.lastSeen, i.lastScanId])).toEqual([
        ['i-1', 'stale', true, at(1), 's1'],
        ['i-2', 'stale', true, at(1), 's1'],
      ]);
      expect(instances[0]?.observation.observedAt).toBe(T0);
      expect(record).toMatchObject({
        outcome: 'partial',
        instances: { total: 2, compliant: 0, drifted: 0, unknownImage: 0, stale: 2 },
        findings: 1,
      });
    });

    it('turns an instance missing from a target that answered into gone and resolves its findings', () => {
      store.fleet.persistScan(scanInput('s1', 1, [scanned('i-1', [finding('i-1', IMDS)]), scanned('i-2')]));
      const record = store.fleet.persistScan(scanInput('s2', 2, [scanned('i-2')]));

      expect(store.fleet.listInstances().map((i) => i.instanceId)).toEqual(['i-2']);
      expect(store.fleet.getInstance('i-1')).toMatchObject({
        present: false,
        lastSeen: at(1),
        lastScanId: 's1',
      });
      expect(store.fleet.listFindings()).toEqual([]);
      expect(store.fleet.listFindings({ includeResolved: true })[0]?.resolvedAt).toBe(at(2));
      expect(record.instances.total).toBe(1);
      expect(record.findings).toBe(0);
    });

    it('only retires instances of the targets that answered, matching a null account to a null account', () => {
      const eu = { account: null, region: 'eu-west-1' };
      const euInstance = scanned('i-eu', [finding('i-eu', IMDS)], { observation: { ...eu } });
      store.fleet.persistScan({
        ...scanInput('s1', 1, [scanned('i-us'), euInstance]),
        targets: [
          { ...TARGET, status: 'ok', error: null },
          { ...eu, status: 'ok', error: null },
        ],
      });
      // Only us-east-1 answered, and without i-us; eu-west-1 is not part of this scan at all.
      store.fleet.persistScan(scanInput('s2', 2, []));
      expect(store.fleet.getInstance('i-us')?.present).toBe(false);
      expect(store.fleet.getInstance('i-eu')).toMatchObject({ present: true, status: 'drifted' });

      store.fleet.persistScan({
        ...scanInput('s3', 3, []),
        targets: [{ ...eu, status: 'ok', error: null }],
      });
      expect(store.fleet.getInstance('i-eu')?.present).toBe(false);
      expect(store.fleet.listFindings()).toEqual([]);
    });

    it('brings a gone instance back as present, keeping its first_seen', () => {
      store.fleet.persistScan(scanInput('s1', 1, [scanned('i-1')]));
      store.fleet.persistScan(scanInput('s2', 2, []));
      store.fleet.persistScan(scanInput('s3', 3, [scanned('i-1')]));
      expect(store.fleet.getInstance('i-1')).toMatchObject({
        present: true,
        firstSeen: at(1),
        lastSeen: at(3),
      });
    });

    it('stores expected and actual as any JSON, a missing side as null', () => {
      const f = finding('i-1', 'host.files["/etc/ssh/sshd_config"]', {
        change: 'removed',
        expected: { sha256: 'abc', mode: '0600' },
        actual: undefined,
      });
      const g = finding('i-1', 'launch.securityGroups', {
        change: 'changed',
        expected: ['sg-1', 'sg-2'],
        actual: 3,
      });
      store.fleet.persistScan(scanInput('s1', 1, [scanned('i-1', [g, f])]));
      expect(store.fleet.listFindings().map((x) => [x.path, x.expected, x.actual])).toEqual([
        ['host.files["/etc/ssh/sshd_config"]', { sha256: 'abc', mode: '0600' }, null],
        ['launch.securityGroups', ['sg-1', 'sg-2'], 3],
      ]);
    });

    it('writes nothing when the scan cannot be recorded', () => {
      store.fleet.persistScan(scanInput('s1', 1, [scanned('i-1')]));
      expect(() =>
        store.fleet.persistScan(scanInput('s1', 2, [scanned('i-2', [finding('i-2', IMDS)])])),
      ).toThrow(/UNIQUE/);
      expect(store.fleet.getInstance('i-2')).toBeNull();
      expect(store.fleet.listFindings()).toEqual([]);
      expect(store.fleet.getInstance('i-1')?.lastScanId).toBe('s1');
    });

    it('returns and stores a scan record whose counts come from the database', () => {
      const record = store.fleet.persistScan(
        scanInput('s1', 1, [
          scanned('i-1'),
          scanned('i-2', [finding('i-2', IMDS), finding('i-2', TYPE)]),
          scanned('i-3', [finding('i-3', 'image.id', { change: 'unknown-image' })], {
            status: 'unknown_image',
          }),
        ]),
      );
      expect(record).toEqual({
        scanId: 's1',
        outcome: 'success',
        startedAt: at(0),
        finishedAt: at(1),
        targets: [{ ...TARGET, status: 'ok', error: null }],
        instances: { total: 3, compliant: 1, drifted: 1, unknownImage: 1, stale: 0 },
        findings: 3,
      });
      expect(store.fleet.getScan('s1')).toEqual(record);
      expect(store.fleet.getScan('nope')).toBeNull();
    });
  });

  it('lists an instance history: resolved findings only, newest resolved first', () => {
    const type = finding('i-1', TYPE, { rule: 'type', severity: 'info' });
    store.fleet.persistScan(scanInput('s1', 1, [scanned('i-1', [type, finding('i-1', IMDS)])]));
    store.fleet.persistScan(scanInput('s2', 2, [scanned('i-1', [type])]));
    store.fleet.persistScan(scanInput('s3', 3, [scanned('i-1')]));
    store.fleet.persistScan(scanInput('s4', 4, [scanned('i-1', [finding('i-1', IMDS)])]));
    const history = store.fleet.listFindings({ instanceId: 'i-1', resolvedOnly: true });
    expect(history.map((f) => [f.path, f.resolvedAt])).toEqual([
      [TYPE, at(3)],
      [IMDS, at(2)],
    ]);
    expect(store.fleet.listFindings({ instanceId: 'i-1', resolvedOnly: true, limit: 1 })).toHaveLength(1);
    expect(store.fleet.listFindings({ instanceId: 'i-1' }).map((f) => f.path)).toEqual([IMDS]);
  });

  describe('queries', () => {
    beforeEach(() => {
      store.fleet.persistScan({
        ...scanInput('s1', 1, [
          scanned('i-3', [finding('i-3', TYPE, { rule: 'type', severity: 'info' })], { group: 'api' }),
          scanned('i-1', [finding('i-1', TYPE, { rule: 'type', severity: 'info' }), finding('i-1', IMDS)]),
          scanned('i-2'),
          scanned('i-4', [], { observation: { region: 'eu-west-1' } }),
        ]),
        targets: [
          { ...TARGET, status: 'ok', error: null },
          { ...TARGET, region: 'eu-west-1', status: 'ok', error: null },
        ],
      });
    });

    it('lists present instances sorted by id, filtered by status, region and group, paged', () => {
      expect(store.fleet.listInstances().map((i) => i.instanceId)).toEqual(['i-1', 'i-2', 'i-3', 'i-4']);
      expect(store.fleet.listInstances({ status: 'drifted' }).map((i) => i.instanceId)).toEqual([
        'i-1',
        'i-3',
      ]);
      expect(store.fleet.listInstances({ region: 'eu-west-1' }).map((i) => i.instanceId)).toEqual(['i-4']);
      expect(store.fleet.listInstances({ group: 'api' }).map((i) => i.instanceId)).toEqual(['i-3']);
      const first = store.fleet.pageInstances({}, { limit: 2 });
      expect(first.items.map((i) => i.instanceId)).toEqual(['i-1', 'i-2']);
      expect(first.next).toEqual(['i-2']);
      const second = store.fleet.pageInstances(
        {},
        { limit: 2, ...(first.next ? { after: first.next } : {}) },
      );
      expect(second.items.map((i) => i.instanceId)).toEqual(['i-3', 'i-4']);
      expect(second.next).toBeNull();
      expect(store.fleet.countInstances({ status: 'drifted' })).toBe(2);
      expect(
        store.fleet.listInstances({ status: 'drifted', region: 'us-east-1', group: 'web' }),
      ).toHaveLength(1);
    });

    it('lists findings sorted by instance, then path, filtered by instance, rule and severity', () => {
      expect(store.fleet.listFindings().map((f) => [f.instanceId, f.path])).toEqual([
        ['i-1', TYPE],
        ['i-1', IMDS],
        ['i-3', TYPE],
      ]);
      expect(store.fleet.listFindings({ instanceId: 'i-3' }).map((f) => f.rule)).toEqual(['type']);
      expect(store.fleet.listFindings({ rule: 'type' }).map((f) => f.instanceId)).toEqual(['i-1', 'i-3']);
      expect(store.fleet.listFindings({ severity: 'critical' }).map((f) => f.path)).toEqual([IMDS]);
      const first = store.fleet.pageFindings({}, { limit: 2 });
      expect(first.items.map((f) => [f.instanceId, f.path])).toEqual([
        ['i-1', TYPE],
        ['i-1', IMDS],
      ]);
      const rest = store.fleet.pageFindings({}, { limit: 2, ...(first.next ? { after: first.next } : {}) });
      expect(rest).toMatchObject({ items: [{ instanceId: 'i-3', path: TYPE }], next: null });
    });

    it('returns null for an unknown instance', () => {
      expect(store.fleet.getInstance('i-404')).toBeNull();
    });

    it('lists scans newest first, optionally limited', () => {
      store.fleet.persistScan(failedTarget('s2', 2));
      store.fleet.persistScan(scanInput('s3', 3, []));
      expect(store.fleet.listScans().map((s) => s.scanId)).toEqual(['s3', 's2', 's1']);
      expect(store.fleet.listScans(1).map((s) => s.scanId)).toEqual(['s3']);
    });
  });

  describe('snapshot', () => {
    function seedFleet(): void {
      store.fleet.persistScan({
        ...scanInput('s1', 1, [
          scanned('i-1'),
          scanned('i-2', [finding('i-2', TYPE, { rule: 'type', severity: 'info' })]),
          scanned('i-3', [finding('i-3', IMDS), finding('i-3', TYPE, { rule: 'type', severity: 'info' })]),
          scanned(
            'i-4',
            [finding('i-4', 'image.id', { change: 'unknown-image', rule: 'unknown', severity: 'warning' })],
            {
              status: 'unknown_image',
              group: null,
            },
          ),
          scanned('i-eu', [finding('i-eu', IMDS)], { observation: { region: 'eu-west-1' } }),
        ]),
        targets: [
          { ...TARGET, status: 'ok', error: null },
          { ...TARGET, region: 'eu-west-1', status: 'ok', error: null },
        ],
      });
      store.fleet.persistScan({
        ...scanInput('s2', 2, [
          scanned('i-3', [finding('i-3', IMDS), finding('i-3', TYPE, { rule: 'type', severity: 'info' })]),
        ]),
        outcome: 'partial',
        // us-east-1 answered without i-1, i-2 and i-4 → they are gone; eu-west-1 failed → i-eu is stale.
        targets: [
          { ...TARGET, status: 'ok', error: null },
          { ...TARGET, region: 'eu-west-1', status: 'stale', error: 'timeout' },
        ],
        staleTargets: [{ ...TARGET, region: 'eu-west-1' }],
      });
    }

    it('reports every status, zero when absent, over present instances only', () => {
      store.fleet.persistScan(scanInput('s0', 0, [scanned('i-1'), scanned('i-2', [finding('i-2', IMDS)])]));
      expect(store.fleet.snapshot(10).instancesByStatus).toEqual({
        compliant: 1,
        drifted: 1,
        unknown_image: 0,
        stale: 0,
      });
      seedFleet();
      expect(store.fleet.snapshot(10).instancesByStatus).toEqual({
        compliant: 0,
        drifted: 1,
        unknown_image: 0,
        stale: 1,
      });
    });

    it('summarises open, unaccepted findings of present instances by rule and severity', () => {
      seedFleet();
      store.db.prepare("UPDATE findings SET accepted = 1 WHERE instance_id = 'i-3' AND rule = 'type'").run();
      const snap = store.fleet.snapshot(10);
      expect(snap.findingsByRuleSeverity).toEqual([
        { rule: 'imds-downgrade', severity: 'critical', scope: 'unrated', count: 2 },
      ]);
      expect(snap.oldestOpenBySeverity).toEqual({ critical: at(1) });
    });

    it('lists drifted instances worst severity first, then by id, up to the limit', () => {
      store.fleet.persistScan(
        scanInput('s1', 1, [
          scanned('i-a', [finding('i-a', TYPE, { severity: 'info' })], { group: 'api' }),
          scanned('i-b', [
            finding('i-b', TYPE, { severity: 'info' }),
            finding('i-b', IMDS, { severity: 'critical' }),
          ]),
          scanned('i-c', [finding('i-c', 'image.id', { change: 'unknown-image', severity: 'warning' })], {
            status: 'unknown_image',
            group: null,
          }),
          scanned('i-d', [finding('i-d', IMDS, { severity: 'critical' })]),
          scanned('i-e'),
        ]),
      );
      expect(store.fleet.snapshot(10).driftedInstances).toEqual([
        { instanceId: 'i-b', ...TARGET, imageId: 'ami-1', group: 'web', severity: 'critical' },
        { instanceId: 'i-d', ...TARGET, imageId: 'ami-1', group: 'web', severity: 'critical' },
        { instanceId: 'i-c', ...TARGET, imageId: 'ami-1', group: null, severity: 'warning' },
        { instanceId: 'i-a', ...TARGET, imageId: 'ami-1', group: 'api', severity: 'info' },
      ]);
      expect(store.fleet.snapshot(2).driftedInstances.map((d) => d.instanceId)).toEqual(['i-b', 'i-d']);
      expect(store.fleet.snapshot(0).driftedInstances).toEqual([]);
    });

    it('reports the oldest open finding per severity', () => {
      store.fleet.persistScan(
        scanInput('s1', 1, [scanned('i-1', [finding('i-1', TYPE, { severity: 'info' })])]),
      );
      store.fleet.persistScan(
        scanInput('s2', 2, [
          scanned('i-1', [finding('i-1', TYPE, { severity: 'info' }), finding('i-1', IMDS)]),
        ]),
      );
      expect(store.fleet.snapshot(10).oldestOpenBySeverity).toEqual({ info: at(1), critical: at(2) });
    });

    it('reports the last successful scan and counts scans by outcome', () => {
      expect(store.fleet.snapshot(10)).toMatchObject({
        lastSuccessfulScanAt: null,
        scansByOutcome: { success: 0, partial: 0, failure: 0 },
      });
      store.fleet.persistScan(scanInput('s1', 1, []));
      store.fleet.persistScan(failedTarget('s2', 2));
      store.fleet.persistScan({ ...failedTarget('s3', 3), outcome: 'failure' });
      expect(store.fleet.snapshot(10)).toMatchObject({
        lastSuccessfulScanAt: at(1),
        scansByOutcome: { success: 1, partial: 1, failure: 1 },
      });
    });

    it('reports when each target was last listed, whatever the outcome of the scan that listed it', () => {
      const other = { account: null, region: 'eu-west-1' };
      expect(store.fleet.snapshot(10).targetScans).toEqual([]);
      expect(store.fleet.lastTargetScanAt()).toBeNull();
      store.fleet.persistScan(scanInput('s1', 1, []));
      // s2: the default target fails, the other answers (a partial scan).
      store.fleet.persistScan({
        ...failedTarget('s2', 2),
        targets: [
          { ...TARGET, status: 'stale', error: 'AccessDenied: not authorized' },
          { ...other, status: 'ok', error: null },
        ],
      });
      expect(store.fleet.snapshot(10).targetScans).toEqual([
        { account: null, region: 'eu-west-1', scannedAt: at(2) },
        { ...TARGET, scannedAt: at(1) },
      ]);
      expect(store.fleet.lastTargetScanAt()).toBe(at(2));
      // A scan in which no target answered moves nothing.
      store.fleet.persistScan({ ...failedTarget('s3', 3), outcome: 'failure' });
      expect(store.fleet.lastTargetScanAt()).toBe(at(2));
    });

    it('shows the same numbers after a restart', () => {
      seedFleet();
      const before = store.fleet.snapshot(10);
      const instances = store.fleet.listInstances();
      const findings = store.fleet.listFindings({ includeResolved: true });
      store.close();
      store = openStore(tmp.dbPath(), { now: () => new Date(T0) });
      expect(store.fleet.snapshot(10)).toEqual(before);
      expect(store.fleet.listInstances()).toEqual(instances);
      expect(store.fleet.listFindings({ includeResolved: true })).toEqual(findings);
    });
  });

  it('persists a scan of 10,000 instances, then a follow-up scan of the same fleet', () => {
    const fleet = (round: number) =>
      Array.from({ length: 10_000 }, (_, n) => {
        const id = `i-${String(n).padStart(17, '0')}`;
        // Every tenth instance drifts; in round 2 half of those are fixed and as many others start drifting.
        const drifts = round === 1 ? n % 10 === 0 : n % 20 === 0 || n % 20 === 5;
        return scanned(id, drifts ? [finding(id, IMDS), finding(id, TYPE, { severity: 'info' })] : []);
      });
    const first = store.fleet.persistScan(scanInput('big-1', 1, fleet(1)));
    expect(first.instances).toEqual({
      total: 10_000,
      compliant: 9_000,
      drifted: 1_000,
      unknownImage: 0,
      stale: 0,
    });
    expect(first.findings).toBe(2_000);

    const second = store.fleet.persistScan(scanInput('big-2', 2, fleet(2)));
    expect(second.instances.drifted).toBe(1_000);
    expect(second.findings).toBe(2_000);
    const open = store.fleet.listFindings();
    expect(open.filter((f) => f.firstSeen === at(1))).toHaveLength(1_000);
    expect(
      store.fleet.listFindings({ includeResolved: true }).filter((f) => f.resolvedAt === at(2)),
    ).toHaveLength(1_000);
  });
});
