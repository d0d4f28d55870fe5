import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.js';
import type { Manifest } from '../../src/domain/types.js';
import { parseManifestObject, parseManifestText } from '../../src/manifests/parse-manifest.js';

const SHA = 'a'.repeat(64);

const valid: Manifest = {
  schemaVersion: 1,
  image: {
    id: 'ami-0123456789abcdef0',
    region: 'us-east-1',
    name: 'web-2026-11-20',
    channel: 'web',
    builtAt: '2026-11-20T10:00:00Z',
    source: { packerRunUuid: 'run-1', gitCommit: 'abc123' },
  },
  launch: {
    instanceType: ['t3.small', 't3.medium'],
    iamInstanceProfile: 'arn:aws:iam::123456789012:instance-profile/web',
    securityGroups: ['sg-0aa11bb22cc33dd44'],
    metadataOptions: { httpTokens: 'required', httpEndpoint: ['enabled'] },
    userDataSha256: SHA,
    tags: { role: 'web' },
  },
  host: {
    packages: { openssl: '3.0.15-1~deb12u1' },
    files: { '/etc/ssh/sshd_config': { sha256: SHA, mode: '0600', owner: 'root' } },
    services: { ssh: 'enabled' },
  },
};

function parseError(text: string, origin = 'web.json'): ValidationError {
  try {
    parseManifestText(text, origin);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected parseManifestText to fail');
}

const REMOVE = Symbol('remove');

/** The valid manifest as pretty JSON text, with values at some paths replaced (or removed). */
function withChange(...changes: [path: string[], value: unknown][]): string {
  const copy = structuredClone(valid) as unknown as Record<string, unknown>;
  for (const [path, value] of changes) {
    const parent = path.slice(0, -1).reduce((node, key) => node[key] as Record<string, unknown>, copy);
    const last = path[path.length - 1] ?? '';
    if (value === REMOVE) delete parent[last];
    else parent[last] = value;
  }
  return JSON.stringify(copy, null, 2);
}

describe('parseManifestText (native)', () => {
  it('accepts a complete native manifest unchanged', () => {
    expect(parseManifestText(JSON.stringify(valid), 'web.json')).toEqual([valid]);
  });

  it('accepts a manifest with only the image section', () => {
    const minimal = { schemaVersion: 1, image: { id: 'ami-0123abcd', region: 'eu-west-1' } };
    expect(parseManifestObject(minimal, 'minimal')).toEqual([minimal]);
  });

  it('names origin, line and column of a JSON syntax error', () => {
    const error = parseError(
      '{\n  "schemaVersion": 1,\n  "image": { "id": "ami-0123abcd" "region": "us-east-1" }\n}',
      'bad.json',
    );
    expect(error.issues).toEqual(["bad.json:3:35: unexpected \"\\\"\", expected ',' or '}'"]);
    expect(error.message).toContain('bad.json:3:35');
  });

  it('refuses a key repeated in one object, naming the key and both lines', () => {
    const error = parseError(
      '{\n  "schemaVersion": 1,\n  "image": {\n    "id": "ami-0123abcd",\n    "region": "us-east-1",\n    "region": "eu-west-1"\n  }\n}',
      'dup.json',
    );
    expect(error.message).toMatch(/^dup\.json: invalid JSON/);
    expect(error.issues).toEqual(['dup.json:6:5: duplicate key "region" (first on line 5)']);
  });

  it('accepts the same key in different objects', () => {
    const text = JSON.stringify({ ...valid, host: { packages: { id: '1' }, services: { id: 'enabled' } } });
    expect(parseManifestText(text, 'ok.json')[0]?.host?.services).toEqual({ id: 'enabled' });
  });

  it('reports truncated JSON at its end', () => {
    const error = parseError('{"schemaVersion": 1,\n', 'cut.json');
    expect(error.issues[0]).toMatch(/^cut\.json:2:1: unexpected end of input/);
  });

  it('names image.id when it is missing', () => {
    const error = parseError(withChange([['image', 'id'], REMOVE]));
    expect(error.issues).toEqual([expect.stringMatching(/^web\.json:3: image\.id: required/)]);
  });

  it('names the path of a value of the wrong type', () => {
    const error = parseError(withChange([['launch', 'instanceType'], 5]));
    expect(error.issues).toEqual([
      expect.stringMatching(
        /^web\.json:\d+: launch\.instanceType: expected string or array, received number$/,
      ),
    ]);
  });

  it('names the list index of a bad member', () => {
    const error = parseError(
      withChange([
        ['launch', 'securityGroups'],
        ['sg-0aa11bb22cc33dd44', 'default'],
      ]),
    );
    expect(error.issues).toEqual([
      expect.stringMatching(/launch\.securityGroups\[1\]: expected a security group id/),
    ]);
  });

  it('rejects duplicate security groups, since they are a set', () => {
    const error = parseError(
      withChange([
        ['launch', 'securityGroups'],
        ['sg-0aa11bb22cc33dd44', 'sg-0aa11bb22cc33dd44'],
      ]),
    );
    expect(error.issues).toEqual([
      expect.stringMatching(
        /launch\.securityGroups\[1\]: duplicate "sg-0aa11bb22cc33dd44" \(also at \[0\]\)/,
      ),
    ]);
  });

  it('rejects unknown keys so a typo cannot disable a comparison', () => {
    const error = parseError(withChange([['launch', 'securityGroup'], ['sg-0aa11bb22cc33dd44']]));
    expect(error.issues).toEqual([
      expect.stringMatching(/launch\.securityGroup: unknown key \(valid keys: instanceType, /),
    ]);
  });

  it('quotes file paths in error paths and requires a file attribute', () => {
    const error = parseError(
      withChange([['host', 'files'], { '/etc/motd': {}, 'relative/file': { mode: '644' } }]),
    );
    expect(error.issues).toEqual([
      expect.stringMatching(/host\.files\["\/etc\/motd"\]: declare at least one of sha256, mode, owner/),
      expect.stringMatching(/host\.files\["relative\/file"\]: invalid key: expected an absolute path/),
    ]);
  });

  it('checks formats of ids, digests, modes and dates', () => {
    const error = parseError(
      withChange(
        [['image', 'id'], 'ami-XYZ'],
        [['image', 'builtAt'], 'yesterday'],
        [['launch', 'userDataSha256'], 'abc'],
        [['host', 'files', '/etc/ssh/sshd_config', 'mode'], '999'],
        [['schemaVersion'], 2],
      ),
    );
    const text = error.issues.join('\n');
    expect(text).toContain('schemaVersion: expected schemaVersion 1');
    expect(text).toContain('image.id: expected an AMI id');
    expect(text).toContain('image.builtAt: expected an ISO 8601 date-time');
    expect(text).toContain('launch.userDataSha256: ');
    expect(text).toContain('host.files["/etc/ssh/sshd_config"].mode: expected an octal mode');
  });

  it('works without line numbers for an already parsed value', () => {
    try {
      parseManifestObject({ schemaVersion: 1, image: { region: 'us-east-1' } }, 'request body');
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).issues).toEqual([
        'request body: image.id: required (expected string)',
      ]);
    }
  });
  it('lists the first 100 of 30,000 invalid packages with their lines, then how many more', () => {
    const packages = Object.fromEntries(Array.from({ length: 30_000 }, (_, i) => [`pkg-${i}`, '']));
    const error = parseError(JSON.stringify({ ...valid, host: { packages } }, null, 1));
    expect(error.issues).toHaveLength(101);
    expect(error.issues[0]).toMatch(/^web\.json:\d+: host\.packages\.pkg-0: must not be empty$/);
    expect(error.issues[100]).toBe('… and 29900 more problems');
  });
});

describe('parseManifestText (union messages)', () => {
  it('reports the complaint of the alternative whose type matched', () => {
    const text = JSON.stringify({
      schemaVersion: 1,
      image: { id: 'ami-0123abcd', region: 'us-east-1' },
      launch: { instanceType: '', iamInstanceProfile: ['a', 7], metadataOptions: { httpTokens: 'maybe' } },
    });
    const issues = (() => {
      try {
        parseManifestText(text, 'u.json');
      } catch (error) {
        return (error as ValidationError).issues;
      }
      return [];
    })();
    expect(issues).toEqual([
      'u.json:1: launch.instanceType: must not be empty',
      expect.stringMatching(
        /^u\.json:1: launch\.iamInstanceProfile\[1\]: .*expected string, received number$/,
      ),
      expect.stringMatching(/^u\.json:1: launch\.metadataOptions\.httpTokens: .*"required"\|"optional"/),
    ]);
  });
});
