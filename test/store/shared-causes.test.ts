// Fleet-wide findings per image and path in SQLite: the manifest-mismatch pages, the snapshot's causes and drift, the replacement candidates.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScannedFinding } from '../../src/app/ports.js';
import { openStore, type Store } from '../../src/store/index.js';
import { T0, finding, scanInput, scanned, useTempDir } from './fixtures.js';

const RESOLV = 'host.files["/etc/resolv.conf"].sha256';
const HOSTS = 'host.files["/etc/hosts"].sha256';
const SSHD = 'host.files["/etc/ssh/sshd_config"].sha256';

function sinceBoot(instanceId: string, imageId: string, path: string): ScannedFinding {
  return finding(instanceId, path, {
    imageId,
    rule: 'files',
    severity: 'warning',
    expected: 'a'.repeat(64),
    actual: 'b'.repeat(64),
    scope: 'fleet-wide',
    onset: 'since-boot',
  });
}

describe('shared causes (SQLite)', () => {
  const tmp = useTempDir();
  let store: Store;
  beforeEach(() => {
    store = openStore(tmp.dbPath(), { now: () => new Date(T0) });
    // ami-1: i-1..i-3 share resolv.conf and hosts since boot, i-1 also an sshd outlier.
    // ami-2: i-4, i-5 share resolv.conf since boot; i-6 (ami-2) changed sshd after boot with them.
    const ami1 = ['i-1', 'i-2', 'i-3'].map((id) =>
      scanned(
        id,
        [
          sinceBoot(id, 'ami-1', HOSTS),
          sinceBoot(id, 'ami-1', RESOLV),
          ...(id === 'i-1' ? [finding(id, SSHD, { imageId: 'ami-1', scope: 'outlier' })] : []),
        ],
        { observation: { imageId: 'ami-1' } },
      ),
    );
    const ami2 = ['i-4', 'i-5', 'i-6'].map((id) =>
      scanned(
        id,
        [
          ...(id === 'i-6' ? [] : [sinceBoot(id, 'ami-2', RESOLV)]),
          finding(id, SSHD, { imageId: 'ami-2', scope: 'fleet-wide', onset: 'after-boot' }),
        ],
        { observation: { imageId: 'ami-2' } },
      ),
    );
    store.fleet.persistScan(scanInput('s1', 1, [...ami1, ...ami2]));
  });
  afterEach(() => store.close());

  it('pages the manifest mismatches by image, region and path, one entry per image and path', () => {
    const first = store.fleet.pageManifestMismatches({ limit: 2 });
    expect(first.items.map((m) => [m.imageId, m.path, m.instances])).toEqual([
      ['ami-1', HOSTS, 3],
      ['ami-1', RESOLV, 3],
    ]);
    expect(first.items[0]).toMatchObject({
      region: 'us-east-1',
      change: 'changed',
      rule: 'files',
      severity: 'warning',
      expected: 'a'.repeat(64),
      actual: 'b'.repeat(64),
    });
    const rest = store.fleet.pageManifestMismatches({
      limit: 2,
      ...(first.next ? { after: first.next } : {}),
    });
    expect(rest.items.map((m) => [m.imageId, m.path, m.instances])).toEqual([['ami-2', RESOLV, 2]]);
    expect(rest.next).toBeNull();
  });

  it('snapshots each cause once with its onset, and leaves fleet-wide findings out of per-instance drift', () => {
    const snapshot = store.fleet.snapshot(10);
    expect(snapshot.sharedCauses).toEqual([
      {
        region: 'us-east-1',
        imageId: 'ami-2',
        path: SSHD,
        onset: 'after-boot',
        severity: 'critical',
        instances: 3,
      },
      {
        region: 'us-east-1',
        imageId: 'ami-1',
        path: HOSTS,
        onset: 'since-boot',
        severity: 'warning',
        instances: 3,
      },
      {
        region: 'us-east-1',
        imageId: 'ami-1',
        path: RESOLV,
        onset: 'since-boot',
        severity: 'warning',
        instances: 3,
      },
      {
        region: 'us-east-1',
        imageId: 'ami-2',
        path: RESOLV,
        onset: 'since-boot',
        severity: 'warning',
        instances: 2,
      },
    ]);
    expect(snapshot.sharedCausesTotal).toBe(4);
    // Only i-1's outlier counts per instance.
    expect(snapshot.driftedInstances.map((d) => [d.instanceId, d.severity])).toEqual([['i-1', 'critical']]);
    // The cap keeps the worst, and the total still counts all.
    const capped = store.fleet.snapshot(1);
    expect(capped.sharedCauses.map((c) => c.path)).toEqual([SSHD]);
    expect(capped.sharedCausesTotal).toBe(4);
  });

  it('sets since-boot findings aside from the replacement candidates, and flags after-boot ones', () => {
    const candidates = store.remediationInputs.candidates();
    const byId = new Map(candidates.map((c) => [c.instanceId, c]));
    expect(byId.get('i-1')).toMatchObject({
      findings: [{ path: SSHD }],
      manifestMismatches: [HOSTS, RESOLV],
    });
    expect(byId.get('i-2')).toMatchObject({ findings: [], manifestMismatches: [HOSTS, RESOLV] });
    expect(byId.get('i-4')?.findings).toEqual([expect.objectContaining({ path: SSHD, fleetWide: true })]);
    expect(byId.get('i-6')).not.toHaveProperty('manifestMismatches');
    expect(byId.get('i-1')?.findings[0]).not.toHaveProperty('fleetWide');
  });
});
