import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../src/domain/errors.js';
import { openStore, type Store } from '../../src/store/index.js';
import { T0, at, useTempDir } from './fixtures.js';

describe('AcceptanceRepository (SQLite)', () => {
  const tmp = useTempDir();
  let store: Store;
  let now: Date;
  beforeEach(() => {
    now = new Date(at(30));
    store = openStore(tmp.dbPath(), { now: () => now });
  });
  afterEach(() => store.close());

  const base = { instanceId: null, rule: null, reason: 'vendor fix due', createdBy: 'admin' };

  it('stores an acceptance with normalised times and reads it back', () => {
    const added = store.acceptances.add(
      { ...base, instanceId: 'i-0123456789abcdef0', until: '2026-11-21T12:00:00+02:00' },
      T0,
    );
    expect(added).toEqual({
      id: added.id,
      instanceId: 'i-0123456789abcdef0',
      rule: null,
      reason: 'vendor fix due',
      until: '2026-11-21T10:00:00.000Z',
      createdBy: 'admin',
      createdAt: T0,
      revokedAt: null,
      revokedBy: null,
    });
    expect(store.acceptances.get(added.id)).toEqual(added);
    expect(store.acceptances.get(added.id + 100)).toBeNull();
  });

  it('refuses an acceptance that names neither an instance nor a rule', () => {
    expect(() => store.acceptances.add({ ...base, until: at(60) }, T0)).toThrow(ValidationError);
    // The table refuses it on its own too, whoever writes to it.
    expect(() =>
      store.db
        .prepare(
          `INSERT INTO acceptances (reason, until, created_by, created_at) VALUES ('r', '${at(60)}', 'x', '${T0}')`,
        )
        .run(),
    ).toThrow(/CHECK constraint/);
  });

  it('lists as active only what is neither revoked nor expired at the given time, sorted by id', () => {
    const a = store.acceptances.add({ ...base, rule: 'tag-drift', until: at(60) }, T0);
    const b = store.acceptances.add({ ...base, instanceId: 'i-00000001', until: at(120) }, T0);
    const c = store.acceptances.add({ ...base, instanceId: 'i-00000002', until: at(120) }, T0);
    store.acceptances.revoke(c.id, 'oncall', at(10));

    expect(store.acceptances.active(at(59)).map((x) => x.id)).toEqual([a.id, b.id]);
    // `until` itself is no longer covered.
    expect(store.acceptances.active(at(60)).map((x) => x.id)).toEqual([b.id]);
    expect(store.acceptances.active(at(121))).toEqual([]);
  });

  it('lists newest first: active ones by default (at the store clock), all with includeInactive', () => {
    const expired = store.acceptances.add({ ...base, rule: 'r1', until: at(20) }, T0);
    const active = store.acceptances.add({ ...base, rule: 'r2', until: at(60) }, T0);
    const revoked = store.acceptances.add({ ...base, instanceId: 'i-00000001', until: at(60) }, T0);
    store.acceptances.revoke(revoked.id, 'oncall', at(25));
    const newer = store.acceptances.add({ ...base, instanceId: 'i-00000001', until: at(90) }, at(26));

    expect(store.acceptances.list().map((x) => x.id)).toEqual([newer.id, active.id]);
    expect(store.acceptances.list({ at: at(10) }).map((x) => x.id)).toEqual([
      newer.id,
      active.id,
      expired.id,
    ]);
    expect(store.acceptances.list({ includeInactive: true }).map((x) => x.id)).toEqual([
      newer.id,
      revoked.id,
      active.id,
      expired.id,
    ]);
    expect(
      store.acceptances.list({ instanceId: 'i-00000001', includeInactive: true }).map((x) => x.id),
    ).toEqual([newer.id, revoked.id]);
    expect(store.acceptances.list({ instanceId: 'i-00000001' }).map((x) => x.id)).toEqual([newer.id]);
  });

  it('keeps the first revocation when revoked twice', () => {
    const a = store.acceptances.add({ ...base, rule: 'tag-drift', until: at(60) }, T0);
    const first = store.acceptances.revoke(a.id, 'alice', at(5));
    expect(first).toMatchObject({ revokedAt: at(5), revokedBy: 'alice' });
    expect(store.acceptances.revoke(a.id, 'bob', at(6))).toEqual(first);
  });

  it('says which acceptance is unknown when revoking it', () => {
    expect(() => store.acceptances.revoke(42, 'alice', T0)).toThrow(NotFoundError);
    expect(() => store.acceptances.revoke(42, 'alice', T0)).toThrow('no acceptance 42');
  });

  it('survives closing and reopening the database file', () => {
    const a = store.acceptances.add({ ...base, rule: 'tag-drift', until: at(60) }, T0);
    store.close();
    store = openStore(tmp.dbPath(), { now: () => now });
    expect(store.acceptances.get(a.id)).toEqual(a);
  });
});
