import { describe, expect, it } from 'vitest';
import { toHostSection } from '../../src/sources/aws-config/inventory-mapper.js';

const item = (types: Record<string, unknown>) => JSON.stringify(types);

describe('SSM inventory configuration → host section', () => {
  it('maps AWS:Application entries to packages by Name and Version, not by the Content key', () => {
    const configuration = item({
      'AWS:InstanceInformation': { SchemaVersion: '1.0', Content: { 'i-1': { InstanceId: 'i-1' } } },
      'AWS:Application': {
        SchemaVersion: '1.1',
        CaptureTime: '2026-11-26T12:00:00Z',
        Content: {
          openssl: { Name: 'openssl', Version: '3.0.15-1~deb12u1', Architecture: 'amd64' },
          'key-not-the-name': { Name: 'nginx', Version: '1.22.1-9+deb12u1' },
        },
      },
    });
    expect(toHostSection(configuration)).toEqual({
      packages: { nginx: '1.22.1-9+deb12u1', openssl: '3.0.15-1~deb12u1' },
    });
  });

  it('also reads Content as a list (the shape of SSM GetInventory)', () => {
    const configuration = item({ 'AWS:Application': { Content: [{ Name: 'curl', Version: '7.88.1' }] } });
    expect(toHostSection(configuration)).toEqual({ packages: { curl: '7.88.1' } });
  });

  it('keys a package installed for several architectures by name:arch, as bake does', () => {
    const configuration = item({
      'AWS:Application': {
        Content: {
          a: { Name: 'libc6', Version: '2.36-9', Architecture: 'amd64' },
          b: { Name: 'libc6', Version: '2.36-8', Architecture: 'i386' },
        },
      },
    });
    expect(toHostSection(configuration)).toEqual({
      packages: { 'libc6:amd64': '2.36-9', 'libc6:i386': '2.36-8' },
    });
  });

  it('writes rpm versions as [epoch:]version-release and leaves out gpg-pubkey, as bake does', () => {
    const configuration = item({
      'AWS:Application': {
        Content: [
          { Name: 'openssl', Version: '3.0.8', Release: '1.amzn2023', Epoch: '1', Architecture: 'x86_64' },
          { Name: 'bash', Version: '5.2.15', Release: '1.amzn2023', Epoch: '0', Architecture: 'x86_64' },
          { Name: 'gpg-pubkey', Version: 'd832c631', Release: '5f4b', Architecture: '' },
        ],
      },
    });
    expect(toHostSection(configuration)).toEqual({
      packages: { bash: '5.2.15-1.amzn2023', openssl: '1:3.0.8-1.amzn2023' },
    });
  });

  it('leaves packages unknown (not empty) when inventory does not collect applications', () => {
    expect(toHostSection(item({ 'AWS:InstanceInformation': { Content: {} } }))).toEqual({});
    expect(toHostSection(item({ 'AWS:Application': { Content: {} } }))).toEqual({ packages: {} });
  });

  it('keeps a package named __proto__ as a plain key, and rejects a configuration that is not JSON', () => {
    const host = toHostSection(
      item({ 'AWS:Application': { Content: [{ Name: '__proto__', Version: '1' }] } }),
    );
    expect(Object.keys(host?.packages ?? {})).toEqual(['__proto__']);
    expect(toHostSection('not json')).toBeNull();
    expect(toHostSection(undefined)).toBeNull();
  });
});
