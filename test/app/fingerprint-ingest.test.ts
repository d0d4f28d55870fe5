// The fingerprint ingest service over a real SQLite store: what it accepts, merges and refuses, and why.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFingerprintIngest, type FingerprintPush } from '../../src/app/fingerprint-ingest.js';
import { sectionDigests } from '../../src/app/section-digests.js';
import type { HostSection } from '../../src/domain/types.js';
import { openStore, type Store } from '../../src/store/index.js';
import { at, scanInput, scanned, useTempDir } from '../store/fixtures.js';

const PACKAGES = { openssl: '3.0.13', nginx: '1.24.0' };
const SERVICES = { nginx: 'enabled' };
const NOW = at(10);

describe('fingerprint ingest', () => {
  const tmp = useTempDir();
  let store: Store;
  let ingest: ReturnType<typeof createFingerprintIngest>;
  beforeEach(() => {
    store = openStore(tmp.dbPath(), { now: () => new Date(NOW) });
    // i-live is in the fleet; i-gone was listed once, then a later scan of its target no longer had it.
    store.fleet.persistScan(scanInput('s1', 1, [scanned('i-live'), scanned('i-gone')]));
    store.fleet.persistScan(scanInput('s2', 2, [scanned('i-live')]));
    ingest = createFingerprintIngest({
      fleet: store.fleet,
      hosts: store.hosts,
      clock: () => new Date(NOW),
      maxClockSkewMs: 60_000,
    });
  });
  afterEach(() => store.close());

  const push = (host: HostSection, extra: Partial<FingerprintPush> = {}): FingerprintPush => ({
    instanceId: 'i-live',
    observedAt: at(9),
    host,
    ...extra,
  });

  it('stores a full push as the instance agent observation, with the digests of its sections', () => {
    const host = { packages: PACKAGES, services: SERVICES };
    expect(ingest(push(host))).toEqual({ accepted: true, instanceId: 'i-live' });
    expect(store.hosts.get('i-live', 'agent')).toMatchObject({
      source: 'agent',
      observedAt: at(9),
      host,
      digests: sectionDigests(host),
    });
  });

  it('fills a digest-only section from the stored push when the digests agree', () => {
    ingest(push({ packages: PACKAGES, services: SERVICES }));
    const digests = sectionDigests({ packages: PACKAGES });
    const result = ingest(push({ services: { nginx: 'disabled' } }, { observedAt: at(9.5), digests }));
    expect(result.accepted).toBe(true);
    expect(store.hosts.get('i-live', 'agent')?.host).toEqual({
      packages: PACKAGES,
      services: { nginx: 'disabled' },
    });
  });

  it('asks for the sections it has no stored copy of, naming them, and stores nothing', () => {
    const digests = sectionDigests({ packages: PACKAGES, services: SERVICES });
    expect(ingest(push({}, { digests }))).toEqual({
      accepted: false,
      reason: 'missing-sections',
      message: 'The daemon has no stored packages, services with the digests sent; send them in full.',
      missing: ['packages', 'services'],
    });
    expect(store.hosts.get('i-live', 'agent')).toBeNull();
  });

  it('refuses a sent section that does not match its digest', () => {
    const digests = sectionDigests({ packages: { openssl: '1.1.1' } });
    expect(ingest(push({ packages: PACKAGES }, { digests }))).toMatchObject({
      accepted: false,
      reason: 'digest-mismatch',
      message: 'fingerprint.digests.packages does not match fingerprint.host.packages.',
    });
  });

  it('refuses a push stamped further into the future than the allowed clock skew, and takes one within it', () => {
    expect(ingest(push({ packages: PACKAGES }, { observedAt: at(11.5) }))).toMatchObject({
      accepted: false,
      reason: 'future',
      message: `observedAt ${at(11.5)} is in the future; check the host clock.`,
    });
    expect(ingest(push({ packages: PACKAGES }, { observedAt: at(10.5) })).accepted).toBe(true);
  });

  it('records a push stamped ahead of the server as observed when received, so later correct-clock pushes still land', () => {
    let now = NOW;
    const skewed = createFingerprintIngest({
      fleet: store.fleet,
      hosts: store.hosts,
      clock: () => new Date(now),
      maxClockSkewMs: 60_000,
    });
    expect(skewed(push({ packages: PACKAGES }, { observedAt: at(10.8) })).accepted).toBe(true);
    expect(store.hosts.get('i-live', 'agent')?.observedAt).toBe(NOW);
    now = at(10.5);
    const changed = { ...PACKAGES, openssl: '3.0.14' };
    expect(skewed(push({ packages: changed }, { observedAt: at(10.5) })).accepted).toBe(true);
    expect(store.hosts.get('i-live', 'agent')).toMatchObject({
      observedAt: at(10.5),
      host: { packages: changed },
    });
  });

  it('refuses host data for an instance no scan has listed, and for one that left the fleet', () => {
    expect(ingest(push({ packages: PACKAGES }, { instanceId: 'i-never' }))).toMatchObject({
      accepted: false,
      reason: 'unseen-instance',
      message: 'Instance i-never has not been seen by any scan yet; retry after the next scan.',
    });
    expect(ingest(push({ packages: PACKAGES }, { instanceId: 'i-gone' }))).toMatchObject({
      accepted: false,
      reason: 'departed-instance',
      message: 'Instance i-gone has left the fleet.',
    });
    expect(store.hosts.get('i-never', 'agent')).toBeNull();
    expect(store.hosts.get('i-gone', 'agent')).toBeNull();
  });
});
