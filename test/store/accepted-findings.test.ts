// How the scan writer stores accepted findings, and what the fleet queries and metrics make of them.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Acceptance } from '../../src/app/ports.js';
import { openStore, type Store } from '../../src/store/index.js';
import { T0, TARGET, at, finding, scanInput, scanned, useTempDir } from './fixtures.js';

const IMDS = 'launch.metadataOptions.httpTokens';
const TYPE = 'launch.instanceType';

describe('accepted findings (SQLite)', () => {
  const tmp = useTempDir();
  let store: Store;
  let accepted: Acceptance;
  beforeEach(() => {
    store = openStore(tmp.dbPath(), { now: () => new Date(T0) });
    accepted = store.acceptances.add(
      {
        instanceId: 'i-1',
        rule: null,
        reason: 'kernel pinned for vendor',
        until: at(600),
        createdBy: 'admin',
      },
      T0,
    );
  });
  afterEach(() => store.close());

  it('stores which acceptance covered a finding and joins its reason, end and author', () => {
    store.fleet.persistScan(
      scanInput('s1', 1, [
        scanned('i-1', [finding('i-1', IMDS, { acceptanceId: accepted.id })], { status: 'compliant' }),
        scanned('i-2', [finding('i-2', IMDS)]),
      ]),
    );
    const [one, two] = store.fleet.listFindings();
    expect(one).toMatchObject({
      instanceId: 'i-1',
      accepted: true,
      acceptance: { id: accepted.id, reason: 'kernel pinned for vendor', until: at(600), createdBy: 'admin' },
    });
    expect(two).toMatchObject({ instanceId: 'i-2', accepted: false, acceptance: null });
  });

  it('leaves accepted findings out of the metrics snapshot, while still counting them as open', () => {
    const record = store.fleet.persistScan(
      scanInput('s1', 1, [
        scanned('i-1', [finding('i-1', IMDS, { acceptanceId: accepted.id })], { status: 'compliant' }),
        scanned('i-2', [finding('i-2', TYPE, { rule: 'type', severity: 'info' })]),
      ]),
    );
    expect(record).toMatchObject({ instances: { total: 2, compliant: 1, drifted: 1 }, findings: 2 });
    const snap = store.fleet.snapshot(10);
    expect(snap.findingsByRuleSeverity).toEqual([
      { rule: 'type', severity: 'info', scope: 'unrated', count: 1 },
    ]);
    expect(snap.driftedInstances.map((d) => d.instanceId)).toEqual(['i-2']);
    expect(snap.oldestOpenBySeverity).toEqual({ info: at(1) });
  });

  it('decides acceptance again at every scan, keeping the finding and its first_seen', () => {
    store.fleet.persistScan(scanInput('s1', 1, [scanned('i-1', [finding('i-1', IMDS)])]));
    store.fleet.persistScan(
      scanInput('s2', 2, [scanned('i-1', [finding('i-1', IMDS, { acceptanceId: accepted.id })])]),
    );
    expect(store.fleet.listFindings()).toMatchObject([
      { firstSeen: at(1), lastSeen: at(2), accepted: true, acceptance: { id: accepted.id } },
    ]);
    // Expired or revoked: the next scan reports it as drift again, still the same finding.
    store.fleet.persistScan(scanInput('s3', 3, [scanned('i-1', [finding('i-1', IMDS)])]));
    const all = store.fleet.listFindings({ includeResolved: true });
    expect(all).toMatchObject([{ firstSeen: at(1), lastSeen: at(3), accepted: false, acceptance: null }]);
  });

  it('keeps the acceptance of a resolved finding as history', () => {
    store.fleet.persistScan(
      scanInput('s1', 1, [scanned('i-1', [finding('i-1', IMDS, { acceptanceId: accepted.id })])]),
    );
    store.fleet.persistScan(scanInput('s2', 2, [scanned('i-1')]));
    expect(store.fleet.listFindings({ includeResolved: true })).toMatchObject([
      { resolvedAt: at(2), accepted: true, acceptance: { id: accepted.id } },
    ]);
  });

  it("applies the scan's acceptances to a stale target's open findings, which otherwise stay as they were", () => {
    store.fleet.persistScan(
      scanInput('s1', 1, [
        scanned('i-1', [finding('i-1', IMDS, { acceptanceId: accepted.id })]),
        scanned('i-2', [finding('i-2', IMDS)]),
      ]),
    );
    const stale = (scanId: string, minutes: number, acceptances: Acceptance[]) =>
      store.fleet.persistScan({
        ...scanInput(scanId, minutes, []),
        outcome: 'failure',
        targets: [{ ...TARGET, status: 'stale', error: 'Throttling' }],
        staleTargets: [TARGET],
        acceptances,
      });
    const ruleWide = store.acceptances.add(
      { instanceId: null, rule: 'imds-downgrade', reason: 'fleet-wide', until: at(600), createdBy: 'admin' },
      T0,
    );

    // The target is down; i-1's acceptance expired and a rule-wide one now covers i-2 (and i-1).
    stale('s2', 2, [ruleWide]);
    expect(
      store.fleet.listFindings().map((f) => [f.instanceId, f.acceptance?.id ?? null, f.lastSeen]),
    ).toEqual([
      ['i-1', ruleWide.id, at(1)],
      ['i-2', ruleWide.id, at(1)],
    ]);
    // Nothing active any more: the outage must not keep the drift silenced.
    stale('s3', 3, []);
    expect(store.fleet.listFindings().map((f) => f.accepted)).toEqual([false, false]);
    expect(store.fleet.snapshot(10).driftedInstances.map((d) => d.instanceId)).toEqual(['i-1', 'i-2']);
  });
});
