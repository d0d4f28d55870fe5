// The boot-noise read model on a real SQLite file: present instances launched since a time, with their open host findings.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { T0, at, finding, scanInput, scanned, useTempDir } from './fixtures.js';

const RESOLV = 'host.files["/etc/resolv.conf"].sha256';

describe('FleetViews.freshInstances (SQLite)', () => {
  const tmp = useTempDir();
  let store: Store;
  beforeEach(() => {
    store = openStore(tmp.dbPath(), { now: () => new Date(T0) });
    const host = (id: string) =>
      finding(id, RESOLV, { rule: 'files', severity: 'warning', expected: 'a', actual: 'b' });
    store.fleet.persistScan(
      scanInput('s1', 40, [
        scanned('i-old', [host('i-old')], { observation: { launchTime: at(0) } }),
        scanned('i-new1', [host('i-new1'), finding('i-new1', 'launch.metadataOptions.httpTokens')], {
          observation: { launchTime: at(30) },
        }),
        scanned('i-new2', [], { observation: { launchTime: at(35) } }),
        scanned('i-nolaunch', [host('i-nolaunch')], { observation: { launchTime: null } }),
      ]),
    );
  });
  afterEach(() => store.close());

  it('returns instances launched since the time, newest first, with open host findings only', () => {
    expect(store.views.freshInstances(at(10), 100)).toEqual([
      { instanceId: 'i-new2', imageId: 'ami-1', launchTime: at(35), findings: [] },
      {
        instanceId: 'i-new1',
        imageId: 'ami-1',
        launchTime: at(30),
        findings: [{ path: RESOLV, change: 'changed', rule: 'files', actual: 'b', firstSeen: at(40) }],
      },
    ]);
  });

  it('reads at most the limit, the newest launches', () => {
    expect(store.views.freshInstances(at(0), 1).map((i) => i.instanceId)).toEqual(['i-new2']);
  });
});
