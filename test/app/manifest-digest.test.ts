import { describe, expect, it } from 'vitest';
import { manifestDigest } from '../../src/app/manifest-digest.js';
import { parseManifestText } from '../../src/manifests/parse-manifest.js';

describe('manifestDigest', () => {
  it('is equal for documents that differ only in key order and whitespace', () => {
    const a = parseManifestText(
      '{"schemaVersion":1,"image":{"id":"ami-0123abcd","region":"us-east-1"},"launch":{"tags":{"a":"1","b":"2"},"instanceType":"t3.small"}}',
      'a',
    );
    const b = parseManifestText(
      '{\n "launch": {"instanceType": "t3.small", "tags": {"b": "2", "a": "1"}},\n "image": {"region": "us-east-1", "id": "ami-0123abcd"},\n "schemaVersion": 1\n}',
      'b',
    );
    expect(a[0] && manifestDigest(a[0])).toMatch(/^[0-9a-f]{64}$/);
    expect(manifestDigest(a[0]!)).toBe(manifestDigest(b[0]!));
  });

  it('differs when any value differs', () => {
    const base = { schemaVersion: 1 as const, image: { id: 'ami-0123abcd', region: 'us-east-1' } };
    expect(manifestDigest(base)).not.toBe(manifestDigest({ ...base, launch: { instanceType: 't3.small' } }));
    expect(manifestDigest(base)).not.toBe(
      manifestDigest({ ...base, image: { ...base.image, region: 'us-east-2' } }),
    );
  });
});
