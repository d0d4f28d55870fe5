import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostObservation } from '../../src/domain/types.js';
import { openStore, type Store } from '../../src/store/index.js';
import { T0, at, useTempDir } from './fixtures.js';

function host(
  instanceId: string,
  source: HostObservation['source'],
  observedAt: string,
  openssl: string,
): HostObservation {
  return { instanceId, source, observedAt, host: { packages: { openssl } } };
}

describe('HostRepository (SQLite)', () => {
  const tmp = useTempDir();
  let store: Store;
  beforeEach(() => {
    store = openStore(tmp.dbPath(), { now: () => new Date(T0) });
  });
  afterEach(() => store.close());

  it('returns null for an instance that never pushed', () => {
    expect(store.hosts.latest('i-1')).toBeNull();
  });

  it('replaces an observation with a newer one from the same source', () => {
    store.hosts.save(host('i-1', 'agent', at(1), '3.0.1'), at(1));
    store.hosts.save(host('i-1', 'agent', at(2), '3.0.2'), at(2));
    expect(store.hosts.latest('i-1')).toEqual(host('i-1', 'agent', at(2), '3.0.2'));
  });

  it('never lets an older observation overwrite a newer one', () => {
    store.hosts.save(host('i-1', 'agent', at(5), 'new'), at(5));
    store.hosts.save(host('i-1', 'agent', at(1), 'old'), at(6));
    expect(store.hosts.latest('i-1')?.host.packages?.openssl).toBe('new');
  });

  it('compares observation times across time zones', () => {
    store.hosts.save(host('i-1', 'agent', '2026-11-20T10:30:00.000Z', 'utc'), at(40));
    // 11:00+02:00 is 09:00Z: older, even though the string sorts later.
    store.hosts.save(host('i-1', 'agent', '2026-11-20T11:00:00+02:00', 'cest'), at(41));
    expect(store.hosts.latest('i-1')?.host.packages?.openssl).toBe('utc');
  });

  it('returns the newest observation across sources', () => {
    store.hosts.save(host('i-1', 'agent', at(1), 'agent'), at(1));
    store.hosts.save(host('i-1', 'aws-config', at(3), 'config'), at(3));
    expect(store.hosts.latest('i-1')?.source).toBe('aws-config');
    store.hosts.save(host('i-1', 'agent', at(4), 'agent2'), at(4));
    expect(store.hosts.latest('i-1')?.host.packages?.openssl).toBe('agent2');
  });

  it('maps every instance to the newest observation of each source, newest first', () => {
    store.hosts.save(host('i-2', 'agent', at(1), 'a'), at(1));
    store.hosts.save(host('i-1', 'agent', at(2), 'b'), at(2));
    store.hosts.save(host('i-1', 'aws-config', at(1), 'c'), at(2));
    const all = store.hosts.latestOf(['agent', 'aws-config']);
    expect(all.instanceIds()).toEqual(['i-1', 'i-2']);
    expect(all.get('i-1')?.map((o) => [o.source, o.host.packages?.openssl])).toEqual([
      ['agent', 'b'],
      ['aws-config', 'c'],
    ]);
    expect(all.get('i-2')?.map((o) => o.host.packages?.openssl)).toEqual(['a']);
    expect(all.get('i-3')).toBeUndefined();
  });

  it('never reads the rows of a source that is not asked for', () => {
    store.hosts.save(host('i-1', 'agent', at(1), 'agent'), at(1));
    store.hosts.save(host('i-1', 'aws-config', at(2), 'config'), at(2));
    store.hosts.save(host('i-2', 'aws-config', at(2), 'config'), at(2));
    // Unreadable if it were ever read: parsing it would throw.
    store.db
      .prepare("UPDATE host_observations SET host = '{not json', digests = '{' WHERE source = 'aws-config'")
      .run();
    const agentOnly = store.hosts.latestOf(['agent']);
    expect(agentOnly.instanceIds()).toEqual(['i-1']);
    expect(agentOnly.get('i-1')?.map((o) => o.source)).toEqual(['agent']);
    expect(agentOnly.get('i-2')).toBeUndefined();
    // The same rows, once asked for, are read: the proof above is not vacuous.
    expect(() => store.hosts.latestOf(['aws-config']).get('i-2')).toThrow(SyntaxError);
  });

  it('parses an instance only when it is looked up', () => {
    store.hosts.save(host('i-1', 'agent', at(1), 'good'), at(1));
    store.hosts.save(host('i-2', 'agent', at(1), 'bad'), at(1));
    store.db.prepare("UPDATE host_observations SET host = '{not json' WHERE instance_id = 'i-2'").run();
    const lookup = store.hosts.latestOf(['agent']);
    expect(lookup.get('i-1')?.[0]?.host.packages?.openssl).toBe('good');
    expect(() => lookup.get('i-2')).toThrow(SyntaxError);
  });

  it('saves a batch of observations all together', () => {
    store.hosts.saveMany(
      [host('i-1', 'aws-config', at(1), 'a'), host('i-2', 'aws-config', at(1), 'b')],
      at(1),
    );
    expect(store.hosts.latestOf(['aws-config']).instanceIds()).toEqual(['i-1', 'i-2']);
  });

  it('saves nothing of a batch with one invalid observation', () => {
    store.hosts.save(host('i-1', 'aws-config', at(1), 'old'), at(1));
    expect(() =>
      store.hosts.saveMany(
        [host('i-1', 'aws-config', at(2), 'new'), host('i-2', 'aws-config', 'yesterday', 'bad')],
        at(2),
      ),
    ).toThrow(/observedAt/);
    expect(store.hosts.get('i-1', 'aws-config')?.host.packages?.openssl).toBe('old');
    expect(store.hosts.get('i-2', 'aws-config')).toBeNull();
  });

  it('rolls a batch back when the database refuses a row part-way', () => {
    // A trigger makes the second row fail inside the transaction, after the first was written.
    store.db.exec(
      `CREATE TRIGGER refuse_i2 BEFORE INSERT ON host_observations WHEN NEW.instance_id = 'i-2'
       BEGIN SELECT RAISE(ABORT, 'refused'); END`,
    );
    expect(() =>
      store.hosts.saveMany(
        [host('i-1', 'aws-config', at(1), 'a'), host('i-2', 'aws-config', at(1), 'b')],
        at(1),
      ),
    ).toThrow(/refused/);
    expect(store.hosts.get('i-1', 'aws-config')).toBeNull();
  });

  it('forgets a batch of observations of one source', () => {
    store.hosts.save(host('i-1', 'aws-config', at(1), 'a'), at(1));
    store.hosts.save(host('i-2', 'aws-config', at(1), 'b'), at(1));
    store.hosts.save(host('i-1', 'agent', at(1), 'c'), at(1));
    store.hosts.forgetMany(['i-1', 'i-2'], 'aws-config');
    expect(store.hosts.latestOf(['agent', 'aws-config']).instanceIds()).toEqual(['i-1']);
    expect(store.hosts.get('i-1', 'agent')?.host.packages?.openssl).toBe('c');
  });

  it('keeps section digests and skipped paths with the observation', () => {
    const observation = {
      ...host('i-3', 'agent', at(1), 'x'),
      digests: { packages: 'd'.repeat(64) },
      skipped: [{ path: '/etc/secret', reason: 'permission denied (EACCES)' }],
    };
    store.hosts.save(observation, at(1));
    expect(store.hosts.get('i-3', 'agent')).toEqual(observation);
    expect(store.hosts.get('i-3', 'aws-config')).toBeNull();
  });
});
