import { describe, expect, it } from 'vitest';
import { bootNoiseRulesYaml, suggestBootNoise, type FreshInstance } from '../../src/core/boot-noise.js';
import { parse } from 'yaml';

const resolv = {
  path: 'host.files["/etc/resolv.conf"].sha256',
  change: 'changed' as const,
  rule: 'files',
  actual: 'a'.repeat(64),
};

function fresh(
  n: number,
  imageId: string,
  channel: string | null,
  findings: (i: number) => FreshInstance['findings'],
): FreshInstance[] {
  return Array.from({ length: n }, (_, i) => ({
    instanceId: `i-${imageId.slice(4)}${String(i).padStart(2, '0')}`,
    imageId,
    channel,
    launchTime: '2026-12-03T10:00:00.000Z',
    findings: findings(i),
  }));
}

const at = (minute: number) => `2026-12-03T10:${String(minute).padStart(2, '0')}:00.000Z`;

describe('boot-noise suggestions', () => {
  it('suggests a difference more than half of an image’s fresh instances show alike, since the earliest', () => {
    const fleet = fresh(5, 'ami-0aaa', 'web', (i) => (i < 3 ? [{ ...resolv, firstSeen: at(5 - i) }] : []));
    expect(suggestBootNoise(fleet)).toEqual([
      {
        channel: 'web',
        path: resolv.path,
        change: resolv.change,
        actual: resolv.actual,
        peers: 3,
        freshInstances: 5,
        imageIds: ['ami-0aaa'],
        instanceIds: ['i-0aaa00', 'i-0aaa01', 'i-0aaa02'],
        since: at(3),
      },
    ]);
  });

  it('needs at least two peers and more than half of the fresh instances', () => {
    expect(suggestBootNoise(fresh(1, 'ami-0aaa', 'web', () => [{ ...resolv, firstSeen: at(1) }]))).toEqual(
      [],
    );
    const half = fresh(4, 'ami-0aaa', 'web', (i) => (i < 2 ? [{ ...resolv, firstSeen: at(1) }] : []));
    expect(suggestBootNoise(half)).toEqual([]);
  });

  it('counts only peers with the same actual value, and only host paths', () => {
    const fleet = fresh(4, 'ami-0aaa', 'web', (i) => [
      { ...resolv, actual: `${i}`.repeat(64), firstSeen: at(1) },
      {
        path: 'launch.instanceType',
        change: 'changed',
        rule: 'instance-type',
        actual: 'm5.large',
        firstSeen: at(1),
      },
      {
        path: 'image.id',
        change: 'superseded-image',
        rule: 'superseded-image',
        actual: 'ami-0aaa',
        firstSeen: at(1),
      },
    ]);
    expect(suggestBootNoise(fleet)).toEqual([]);
  });

  it('gives no suggestion for instances whose manifest has no channel', () => {
    expect(suggestBootNoise(fresh(3, 'ami-0aaa', null, () => [{ ...resolv, firstSeen: at(1) }]))).toEqual([]);
  });

  it('merges the images of one channel into one suggestion, whatever the input order', () => {
    const fleet = [
      ...fresh(2, 'ami-0aaa', 'web', () => [{ ...resolv, firstSeen: at(4) }]),
      ...fresh(3, 'ami-0bbb', 'web', () => [{ ...resolv, firstSeen: at(2) }]),
    ];
    const suggestions = suggestBootNoise(fleet);
    expect(suggestions).toEqual(suggestBootNoise([...fleet].reverse()));
    expect(suggestions).toMatchObject([
      { channel: 'web', peers: 5, freshInstances: 5, imageIds: ['ami-0aaa', 'ami-0bbb'], since: at(2) },
    ]);
  });

  it('renders ignore entries scoped to the channel, with the evidence as comments', () => {
    const suggestions = suggestBootNoise(
      fresh(2, 'ami-0aaa', 'web', () => [{ ...resolv, firstSeen: at(1) }]),
    );
    const yaml = bootNoiseRulesYaml(suggestions, '30m');
    expect(yaml).toContain(
      `# 2 of 2 fresh instances of ami-0aaa since ${at(1)}; actual: "${'a'.repeat(64)}"`,
    );
    expect(parse(yaml)).toEqual({
      ignore: [{ path: resolv.path, change: 'changed', where: { channel: ['web'] } }],
    });
    expect(parse(bootNoiseRulesYaml([], '30m'))).toEqual({ ignore: [] });
  });
});
