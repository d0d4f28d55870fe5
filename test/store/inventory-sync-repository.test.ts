import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { T0, at, useTempDir } from './fixtures.js';

const US = { account: null, region: 'us-east-1' };
const ACCOUNT = { account: '123456789012', region: 'us-east-1' };

describe('InventorySyncRepository (SQLite, migration 0003)', () => {
  const tmp = useTempDir();
  let store: Store;
  beforeEach(() => {
    store = openStore(tmp.dbPath(), { now: () => new Date(T0) });
  });
  afterEach(() => store.close());

  it('has no cursor before the first sync, and keeps targets apart by account and region', () => {
    expect(store.inventorySync.cursor(US)).toBeNull();
    store.inventorySync.advanceCursor(US, at(5), at(6));
    expect(store.inventorySync.cursor(US)).toBe(at(5));
    expect(store.inventorySync.cursor(ACCOUNT)).toBeNull();
    expect(store.inventorySync.cursor({ account: null, region: 'eu-west-1' })).toBeNull();
  });

  it('never moves a cursor backwards, and normalises times to UTC', () => {
    store.inventorySync.advanceCursor(US, at(5), at(6));
    store.inventorySync.advanceCursor(US, at(2), at(7));
    expect(store.inventorySync.cursor(US)).toBe(at(5));
    store.inventorySync.advanceCursor(US, '2026-11-20T12:30:00+02:00', at(8));
    expect(store.inventorySync.cursor(US)).toBe('2026-11-20T10:30:00.000Z');
  });

  it('records item capture times and whether they were fetched, replacing older records', () => {
    store.inventorySync.recordItems(ACCOUNT, [
      { resourceId: 'i-1', captureTime: at(1), fetched: true },
      { resourceId: 'i-2', captureTime: at(1), fetched: false },
    ]);
    store.inventorySync.recordItems(ACCOUNT, [{ resourceId: 'i-2', captureTime: at(3), fetched: true }]);
    expect(store.inventorySync.items(ACCOUNT)).toEqual(
      new Map([
        ['i-1', { captureTime: at(1), fetched: true }],
        ['i-2', { captureTime: at(3), fetched: true }],
      ]),
    );
    expect(store.inventorySync.items(US).size).toBe(0);
  });

  it('survives a reopen (a restart stays incremental)', () => {
    store.inventorySync.advanceCursor(US, at(5), at(6));
    store.inventorySync.recordItems(US, [{ resourceId: 'i-1', captureTime: at(4), fetched: true }]);
    store.close();
    store = openStore(tmp.dbPath(), { now: () => new Date(T0) });
    expect(store.inventorySync.cursor(US)).toBe(at(5));
    expect(store.inventorySync.items(US).get('i-1')).toEqual({ captureTime: at(4), fetched: true });
  });
});

describe('HostRepository.confirm', () => {
  const tmp = useTempDir();
  let store: Store;
  beforeEach(() => {
    store = openStore(tmp.dbPath(), { now: () => new Date(T0) });
  });
  afterEach(() => store.close());

  it('moves only that source observation forward, keeping its host data', () => {
    const host = { packages: { openssl: '3.0.15' } };
    store.hosts.save({ instanceId: 'i-1', source: 'aws-config', observedAt: at(1), host }, at(1));
    store.hosts.save({ instanceId: 'i-2', source: 'agent', observedAt: at(1), host }, at(1));
    store.hosts.confirm(['i-1', 'i-2', 'i-unknown'], 'aws-config', at(10));
    expect(store.hosts.latest('i-1')).toEqual({
      instanceId: 'i-1',
      source: 'aws-config',
      observedAt: at(10),
      host,
    });
    expect(store.hosts.latest('i-2')?.observedAt).toBe(at(1));
    expect(store.hosts.latest('i-unknown')).toBeNull();
  });

  it('never moves an observation back in time', () => {
    const host = { packages: {} };
    store.hosts.save({ instanceId: 'i-1', source: 'aws-config', observedAt: at(10), host }, at(10));
    store.hosts.confirm(['i-1'], 'aws-config', at(5));
    expect(store.hosts.latest('i-1')?.observedAt).toBe(at(10));
  });
});
