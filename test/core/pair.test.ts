import { describe, expect, it } from 'vitest';
import { pairInstances } from '../../src/core/pair.js';
import type { HostObservation } from '../../src/domain/types.js';
import { NOW, hostOf, instanceOf, manifestOf, resolved } from './builders.js';

const HOUR = 3_600_000;
const withHost = resolved(manifestOf({ host: { packages: { openssl: '3' } } }));
const withoutHost = resolved(manifestOf({ image: { id: 'ami-0nohost' } }));
const options = { now: NOW, hostMaxAgeMs: { agent: HOUR } };

describe('pairInstances', () => {
  it('pairs an instance with the manifest of its region and image id', () => {
    const elsewhere = resolved(manifestOf({ image: { region: 'eu-west-1' } }));
    const [pair] = pairInstances([instanceOf()], [elsewhere, withHost], new Map(), options);
    expect(pair?.manifest).toBe(withHost);
  });

  it('leaves the manifest null when the image is unknown in that region', () => {
    const elsewhere = resolved(manifestOf({ image: { region: 'eu-west-1' } }));
    const [pair] = pairInstances([instanceOf()], [elsewhere], new Map(), options);
    expect(pair).toMatchObject({ manifest: null, hostStatus: 'not-declared' });
  });

  it('marks host data not-declared when the manifest has no host section', () => {
    const instance = instanceOf({ imageId: 'ami-0nohost' });
    const hosts = new Map([['i-0aaa', [hostOf({})]]]);
    expect(pairInstances([instance], [withoutHost], hosts, options)[0]?.hostStatus).toBe('not-declared');
  });

  it('marks host data missing when declared but never observed', () => {
    expect(pairInstances([instanceOf()], [withHost], new Map(), options)[0]).toMatchObject({
      hosts: [],
      hostStatus: 'missing',
    });
  });

  it('marks host data fresh within the maximum age, stale beyond it', () => {
    const at = (iso: string): Map<string, HostObservation[]> =>
      new Map([['i-0aaa', [hostOf({}, { observedAt: iso })]]]);
    const status = (iso: string) =>
      pairInstances([instanceOf()], [withHost], at(iso), options)[0]?.hostStatus;
    expect(status('2026-11-21T11:00:00Z')).toBe('fresh');
    expect(status('2026-11-21T10:59:59Z')).toBe('stale');
    expect(status('not a date')).toBe('stale');
  });

  it('judges an observation by the maximum age of its source', () => {
    const fromConfig = (observedAt: string): Map<string, HostObservation[]> =>
      new Map([['i-0aaa', [hostOf({}, { observedAt, source: 'aws-config' })]]]);
    const bySource = { ...options, hostMaxAgeMs: { agent: HOUR, 'aws-config': 2 * HOUR } };
    const status = (iso: string) =>
      pairInstances([instanceOf()], [withHost], fromConfig(iso), bySource)[0]?.hostStatus;
    expect(status('2026-11-21T10:30:00Z')).toBe('fresh');
    expect(status('2026-11-21T09:59:59Z')).toBe('stale');
  });

  it('sorts pairs by instance id', () => {
    const ids = ['i-0c', 'i-0a', 'i-0b'].map((instanceId) => instanceOf({ instanceId }));
    const pairs = pairInstances(ids, [withHost], new Map(), options);
    expect(pairs.map((p) => p.instance.instanceId)).toEqual(['i-0a', 'i-0b', 'i-0c']);
  });
});
