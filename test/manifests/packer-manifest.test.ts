import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.js';
import {
  loadManifestFile,
  parseManifestObject,
  parseManifestText,
} from '../../src/manifests/parse-manifest.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'driftwarden-packer-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const embedded = {
  schemaVersion: 1,
  image: { source: { gitCommit: 'abc123' } },
  launch: { instanceType: 't3.small', metadataOptions: { httpTokens: 'required' } },
  host: { packages: { openssl: '3.0.15' } },
};

function build(overrides: Record<string, unknown> = {}) {
  return {
    name: 'web',
    builder_type: 'amazon-ebs',
    build_time: 1_795_000_000,
    files: null,
    artifact_id: 'us-east-1:ami-0aaaaaaaaaaaaaaa1,eu-west-1:ami-0bbbbbbbbbbbbbbb2',
    packer_run_uuid: 'run-2',
    custom_data: { channel: 'web', driftwarden_manifest: JSON.stringify(embedded) },
    ...overrides,
  };
}

function errorOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('Packer manifests', () => {
  it('gives one manifest per region:AMI artifact, with ids, regions and builtAt from the build', () => {
    const manifests = parseManifestObject({ builds: [build()], last_run_uuid: 'run-2' }, 'packer.json');
    expect(manifests.map((m) => [m.image.region, m.image.id])).toEqual([
      ['us-east-1', 'ami-0aaaaaaaaaaaaaaa1'],
      ['eu-west-1', 'ami-0bbbbbbbbbbbbbbb2'],
    ]);
    expect(manifests[0]).toEqual({
      schemaVersion: 1,
      image: {
        id: 'ami-0aaaaaaaaaaaaaaa1',
        region: 'us-east-1',
        name: 'web',
        channel: 'web',
        builtAt: new Date(1_795_000_000 * 1000).toISOString().replace('.000Z', 'Z'),
        source: { gitCommit: 'abc123', packerRunUuid: 'run-2' },
      },
      launch: embedded.launch,
      host: embedded.host,
    });
    expect(manifests[1]?.image.builtAt).toBe('2026-11-18T11:06:40Z');
  });

  it('imports only the builds of the last run when last_run_uuid is present', () => {
    const old = build({ artifact_id: 'us-east-1:ami-0ccccccccccccccc3', packer_run_uuid: 'run-1' });
    const packer = { builds: [old, build()], last_run_uuid: 'run-2' };
    expect(parseManifestObject(packer, 'p').map((m) => m.image.id)).toEqual([
      'ami-0aaaaaaaaaaaaaaa1',
      'ami-0bbbbbbbbbbbbbbb2',
    ]);
    const { last_run_uuid: _, ...withoutLastRun } = packer;
    expect(parseManifestObject(withoutLastRun, 'p')).toHaveLength(3);
  });

  it('replaces the embedded image id and region with the artifact ones', () => {
    const withImage = {
      ...embedded,
      image: { id: 'ami-0ddddddddddddddd4', region: 'ap-south-1', channel: 'other' },
    };
    const manifests = parseManifestObject(
      { builds: [build({ custom_data: { driftwarden_manifest: JSON.stringify(withImage) } })] },
      'p',
    );
    expect(manifests.map((m) => `${m.image.region}:${m.image.id}:${m.image.channel}`)).toEqual([
      'us-east-1:ami-0aaaaaaaaaaaaaaa1:other',
      'eu-west-1:ami-0bbbbbbbbbbbbbbb2:other',
    ]);
  });

  it('reads a driftwarden_manifest path relative to the Packer manifest file', () => {
    mkdirSync(join(dir, 'manifests'));
    writeFileSync(join(dir, 'manifests', 'web.json'), JSON.stringify(embedded));
    const packerFile = join(dir, 'packer-manifest.json');
    writeFileSync(
      packerFile,
      JSON.stringify({
        builds: [build({ custom_data: { channel: 'web', driftwarden_manifest: 'manifests/web.json' } })],
        last_run_uuid: 'run-2',
      }),
    );
    const manifests = loadManifestFile(packerFile);
    expect(manifests).toHaveLength(2);
    expect(manifests[1]?.launch).toEqual(embedded.launch);
    expect(manifests[1]?.host).toEqual(embedded.host);
  });

  it('names the referenced file when the embedded manifest is invalid', () => {
    writeFileSync(join(dir, 'web.json'), '{\n  "launch": { "instanceTyp": "t3.small" }\n}\n');
    const packerFile = join(dir, 'packer-manifest.json');
    writeFileSync(
      packerFile,
      JSON.stringify({ builds: [build({ custom_data: { driftwarden_manifest: 'web.json' } })] }),
    );
    const error = errorOf(() => loadManifestFile(packerFile));
    expect(error.issues).toEqual([
      `${join(dir, 'web.json')}:2: launch.instanceTyp: unknown key (valid keys: instanceType, iamInstanceProfile, userDataSha256, securityGroups, metadataOptions, tags)`,
    ]);
  });

  it('refuses a file reference when no file can be read (HTTP uploads)', () => {
    const error = errorOf(() =>
      parseManifestObject(
        { builds: [build({ custom_data: { driftwarden_manifest: '/etc/passwd' } })] },
        'request body',
      ),
    );
    expect(error.issues).toEqual([
      expect.stringMatching(
        /^request body: builds\[0\]\.custom_data\.driftwarden_manifest: refers to the file/,
      ),
    ]);
  });

  it('names a missing referenced file', () => {
    const packerFile = join(dir, 'packer-manifest.json');
    writeFileSync(
      packerFile,
      JSON.stringify({ builds: [build({ custom_data: { driftwarden_manifest: 'nope.json' } })] }),
    );
    const error = errorOf(() => loadManifestFile(packerFile));
    expect(error.issues[0]).toContain(`cannot read ${join(dir, 'nope.json')}: ENOENT`);
  });

  it('rejects non-AMI artifact ids, naming the build', () => {
    const text = JSON.stringify(
      { builds: [build({ builder_type: 'docker', artifact_id: 'sha256:0123abcd' })] },
      null,
      2,
    );
    const error = errorOf(() => parseManifestText(text, 'packer.json'));
    expect(error.issues).toEqual([
      expect.stringMatching(
        /^packer\.json:8: builds\[0\]\.artifact_id: "sha256:0123abcd" is not an AMI artifact/,
      ),
    ]);
  });

  it('reports an inline manifest with broken JSON with its line and column', () => {
    const error = errorOf(() =>
      parseManifestObject(
        { builds: [build({ custom_data: { driftwarden_manifest: '{"launch": }' } })] },
        'packer.json',
      ),
    );
    expect(error.issues).toEqual([
      'packer.json: builds[0].custom_data.driftwarden_manifest:1:12: unexpected "}", expected a value',
    ]);
  });

  it('accepts a build without custom_data as an image-only manifest', () => {
    const manifests = parseManifestObject(
      {
        builds: [
          build({
            custom_data: null,
            artifact_id: 'us-east-1:ami-0aaaaaaaaaaaaaaa1',
            packer_run_uuid: undefined,
          }),
        ],
      },
      'p',
    );
    expect(manifests).toEqual([
      {
        schemaVersion: 1,
        image: {
          id: 'ami-0aaaaaaaaaaaaaaa1',
          region: 'us-east-1',
          name: 'web',
          builtAt: '2026-11-18T11:06:40Z',
        },
      },
    ]);
  });

  it('lists the first 100 of 40,000 invalid package versions in an inline manifest, then how many more', () => {
    const packages = Object.fromEntries(Array.from({ length: 40_000 }, (_, i) => [`pkg-${i}`, '']));
    const inline = JSON.stringify({ ...embedded, host: { packages } }, null, 2);
    const error = errorOf(() =>
      parseManifestObject(
        { builds: [build({ custom_data: { driftwarden_manifest: inline } })] },
        'packer.json',
      ),
    );
    expect(error.issues).toHaveLength(101);
    expect(error.issues[0]).toBe(
      'packer.json: builds[0].custom_data.driftwarden_manifest:16: host.packages.pkg-0: must not be empty',
    );
    expect(error.issues[99]).toMatch(/:115: host\.packages\.pkg-99: must not be empty$/);
    expect(error.issues[100]).toBe('… and 39900 more problems');
    expect(error.message.length).toBeLessThan(20_000);
  });
});
