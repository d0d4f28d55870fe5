import { describe, expect, it } from 'vitest';
import { diffPair } from '../../src/core/diff.js';
import { pairInstances } from '../../src/core/pair.js';
import type { HostObservation } from '../../src/domain/types.js';
import { NOW, hostOf, instanceOf, manifestOf, resolved } from './builders.js';

const HOUR = 3_600_000;
const m = resolved(
  manifestOf({
    host: {
      packages: { openssl: '3.0.15', curl: '7.88' },
      files: { '/etc/app.conf': { sha256: 'a'.repeat(64) } },
    },
  }),
);
const agentAt = '2026-11-21T11:59:00Z';
const configAt = '2026-11-21T11:30:00Z';
const agent = (packages: Record<string, string>, extra: Partial<HostObservation> = {}): HostObservation =>
  hostOf(
    { packages, files: { '/etc/app.conf': { sha256: 'a'.repeat(64) } } },
    { observedAt: agentAt, ...extra },
  );
const config = (packages: Record<string, string>, extra: Partial<HostObservation> = {}): HostObservation =>
  hostOf({ packages }, { source: 'aws-config', observedAt: configAt, ...extra });

function diffWith(observations: HostObservation[], maxAge = { agent: HOUR, 'aws-config': HOUR }) {
  const [pair] = pairInstances([instanceOf()], [m], new Map([['i-0aaa', observations]]), {
    now: NOW,
    hostMaxAgeMs: maxAge,
  });
  if (!pair) throw new Error('no pair');
  return { pair, differences: diffPair(pair, [m]) };
}

describe('host sources', () => {
  it('shows what each source saw when they disagree about a path', () => {
    const { differences } = diffWith([
      config({ openssl: '3.0.15', curl: '7.88' }),
      agent({ openssl: '3.0.16', curl: '7.88' }),
    ]);
    expect(differences).toEqual([
      expect.objectContaining({
        path: 'host.packages.openssl',
        change: 'changed',
        expected: '3.0.15',
        actual: '3.0.16',
        sources: [
          { source: 'agent', observedAt: agentAt, actual: '3.0.16' },
          { source: 'aws-config', observedAt: configAt, actual: '3.0.15' },
        ],
      }),
    ]);
  });

  it('reports agreeing sources once, listing both', () => {
    const { differences } = diffWith([
      agent({ openssl: '3.0.16', curl: '7.88' }),
      config({ openssl: '3.0.16', curl: '7.88' }),
    ]);
    expect(differences.map((d) => [d.path, d.actual, d.sources?.map((s) => s.actual)])).toEqual([
      ['host.packages.openssl', '3.0.16', ['3.0.16', '3.0.16']],
    ]);
  });

  it('reports a path one source sees drifted even when another sees it as baked; one covering source lists none', () => {
    const { differences } = diffWith([
      agent(
        { openssl: '3.0.15', curl: '7.88' },
        {
          host: {
            packages: { openssl: '3.0.15', curl: '7.88' },
            files: { '/etc/app.conf': { sha256: 'b'.repeat(64) } },
          },
        },
      ),
      config({ curl: '7.88' }),
    ]);
    expect(differences).toEqual([
      expect.objectContaining({
        path: 'host.files["/etc/app.conf"].sha256',
        change: 'changed',
        actual: 'b'.repeat(64),
      }),
      expect.objectContaining({
        path: 'host.packages.openssl',
        change: 'removed',
        actual: null,
        sources: [
          { source: 'agent', observedAt: agentAt, actual: '3.0.15' },
          { source: 'aws-config', observedAt: configAt, actual: null },
        ],
      }),
    ]);
    expect(differences[0]?.sources).toBeUndefined();
  });

  it('a source past its freshness limit makes the comparison stale; fresh sources are still compared', () => {
    const { pair, differences } = diffWith(
      [agent({ openssl: '3.0.16', curl: '7.88' }), config({ openssl: '3.0.15', curl: '7.88' })],
      { agent: HOUR, 'aws-config': 10 * 60_000 },
    );
    expect(pair.hostStatus).toBe('stale');
    expect(pair.hosts.map((h) => h.source)).toEqual(['agent']);
    expect(differences.map((d) => [d.path, d.sources])).toEqual([['host.packages.openssl', undefined]]);
  });

  it('ignores observations of a source that is not enabled', () => {
    const { pair } = diffWith([config({ openssl: '3.0.15', curl: '7.88' })], { agent: HOUR } as never);
    expect(pair).toMatchObject({ hosts: [], hostStatus: 'missing' });
  });
});

describe('skipped paths', () => {
  const baked = resolved(
    manifestOf({
      host: {
        files: { '/etc/app/a.conf': { sha256: 'a'.repeat(64) }, '/etc/b.conf': { sha256: 'b'.repeat(64) } },
      },
    }),
  );
  const removed = (skipped: string[]) => {
    const [pair] = pairInstances(
      [instanceOf()],
      [baked],
      new Map([
        ['i-0aaa', [hostOf({ files: {} }, { skipped: skipped.map((path) => ({ path, reason: 'x' })) })]],
      ]),
      { now: NOW, hostMaxAgeMs: { agent: HOUR } },
    );
    return diffPair(pair as never, [baked]).map((d) => d.path);
  };

  it('a skipped file, or a skipped directory above it, is never reported as removed', () => {
    expect(removed([])).toEqual(['host.files["/etc/app/a.conf"]', 'host.files["/etc/b.conf"]']);
    expect(removed(['/etc/app/a.conf'])).toEqual(['host.files["/etc/b.conf"]']);
    expect(removed(['/etc/app'])).toEqual(['host.files["/etc/b.conf"]']);
    expect(removed(['/etc/ap'])).toEqual(['host.files["/etc/app/a.conf"]', 'host.files["/etc/b.conf"]']);
    // A truncated list ends with "/": nothing can be reported as removed.
    expect(removed(['/'])).toEqual([]);
  });
});
