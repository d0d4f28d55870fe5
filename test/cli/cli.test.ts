// The `driftwarden` CLI as a user runs it: real processes, exit codes, stdout for results, stderr for problems.
// Commands that need no AWS: manifests, rules, configuration errors, migrations, help.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagePath } from '../../src/package-root.js';
import { runCli, type CliResult } from './run-cli.js';

let dir: string;
let baseEnv: NodeJS.ProcessEnv;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dw-cli-'));
  baseEnv = {
    PATH: process.env.PATH,
    DRIFTWARDEN_DATABASE_PATH: join(dir, 'driftwarden.db'),
    DRIFTWARDEN_TARGETS: JSON.stringify([{ regions: ['us-east-1'] }]),
    DRIFTWARDEN_RULES_DIR: packagePath('rules'),
    DRIFTWARDEN_LOG_LEVEL: 'silent',
  };
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCli(args, { env: { ...baseEnv, ...env } });
}

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('manifest import | list | show | revoke', () => {
  // A database file of its own, filled only by these tests.
  let env: NodeJS.ProcessEnv;
  const IMAGE = 'ami-0c11c11c11c11c111';
  const PACKER_US = 'ami-0aaaaaaaaaaaaaaa1';
  const PACKER_EU = 'ami-0bbbbbbbbbbbbbbb2';
  const native = (instanceType: string) =>
    JSON.stringify(
      {
        schemaVersion: 1,
        image: { id: IMAGE, region: 'us-east-1', name: 'api-1', channel: 'api' },
        launch: { instanceType, metadataOptions: { httpTokens: 'required' } },
      },
      null,
      2,
    );
  const listed = async (): Promise<{ id: string; status: string }[]> => {
    const result = await cli(['manifest', 'list', '--json'], env);
    expect(result.code).toBe(0);
    const { items } = JSON.parse(result.stdout) as {
      items: { manifest: { image: { id: string } }; status: string }[];
    };
    return items.map((m) => ({ id: m.manifest.image.id, status: m.status }));
  };

  beforeAll(() => {
    env = { DRIFTWARDEN_DATABASE_PATH: join(dir, 'manifests.db') };
  });

  it('imports a native manifest (created), then the same again (unchanged)', async () => {
    const path = file('api.json', native('t3.small'));
    const first = await cli(['manifest', 'import', path], env);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toBe(`created   us-east-1 ${IMAGE}\n`);
    const again = await cli(['manifest', 'import', path], env);
    expect(again).toMatchObject({ code: 0, stdout: `unchanged us-east-1 ${IMAGE}\n` });
  });

  it('imports a Packer manifest.json with two regions as two manifests', async () => {
    const packer = file(
      'packer-manifest.json',
      JSON.stringify({
        builds: [
          {
            name: 'web',
            builder_type: 'amazon-ebs',
            build_time: 1795600000,
            artifact_id: `us-east-1:${PACKER_US},eu-west-1:${PACKER_EU}`,
            packer_run_uuid: 'run-1',
            custom_data: {
              channel: 'web',
              driftwarden_manifest: JSON.stringify({ launch: { instanceType: ['t3.small', 't3.medium'] } }),
            },
          },
        ],
        last_run_uuid: 'run-1',
      }),
    );
    const result = await cli(['manifest', 'import', packer], env);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean).sort()).toEqual(
      [`created   eu-west-1 ${PACKER_EU}`, `created   us-east-1 ${PACKER_US}`].sort(),
    );
    const shown = await cli(['manifest', 'show', PACKER_EU], env);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      status: 'active',
      manifest: {
        image: { id: PACKER_EU, region: 'eu-west-1', channel: 'web', name: 'web' },
        launch: { instanceType: ['t3.small', 't3.medium'] },
      },
    });
  });

  it('refuses a conflicting import with exit 1 naming the image, and imports nothing of the batch', async () => {
    const before = await listed();
    const fresh = file(
      'fresh.json',
      JSON.stringify({ schemaVersion: 1, image: { id: 'ami-0d22d22d22d22d222', region: 'us-east-1' } }),
    );
    const conflicting = file('api-changed.json', native('m5.large'));
    const result = await cli(['manifest', 'import', fresh, conflicting], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(IMAGE);
    expect(result.stderr).toMatch(/different body/);
    expect(await listed()).toEqual(before);
    const stored = JSON.parse((await cli(['manifest', 'show', IMAGE], env)).stdout) as {
      manifest: { launch: { instanceType: string } };
    };
    expect(stored.manifest.launch.instanceType).toBe('t3.small');
  });

  it('refuses a file with invalid JSON, naming the file, line and column', async () => {
    const bad = file(
      'broken.json',
      '{\n  "schemaVersion": 1,\n  "image": { "id": "ami-0123456789abcdef0", }\n}\n',
    );
    const result = await cli(['manifest', 'import', bad], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${bad}:3:45:`);
    expect(result.stderr).toContain('expected a property name in double quotes');
  });

  it('refuses a manifest with a schema error, naming the file, line and JSON path', async () => {
    const bad = file(
      'wrong-type.json',
      '{\n  "schemaVersion": 1,\n  "image": { "id": "ami-0e33e33e33e33e333", "region": "us-east-1" },\n  "launch": { "instanceType": 5 }\n}\n',
    );
    const result = await cli(['manifest', 'import', bad], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${bad}:4: launch.instanceType:`);
  });

  it('refuses a missing file with exit 1 naming it', async () => {
    const missing = join(dir, 'no-such-manifest.json');
    const result = await cli(['manifest', 'import', missing], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(missing);
    expect(result.stderr).toContain('ENOENT');
  });

  it('lists manifests as JSON and as a table', async () => {
    const [items, table] = await Promise.all([listed(), cli(['manifest', 'list'], env)]);
    expect(items.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: PACKER_US, status: 'active' },
      { id: PACKER_EU, status: 'active' },
      { id: IMAGE, status: 'active' },
    ]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^IMAGE\s+REGION\s+CHANNEL\s+NAME\s+BUILT\s+STATUS\n/);
    expect(table.stdout).toContain(IMAGE);
  });

  it('exits 1 for `manifest show` of an unknown image', async () => {
    const result = await cli(['manifest', 'show', 'ami-0ffffffffffffffff'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('no manifest for image ami-0ffffffffffffffff');
  });

  it('revokes an image with a reason; list then shows it revoked', async () => {
    const result = await cli(['manifest', 'revoke', PACKER_US, '--reason', 'CVE-2026-0003'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^revoked ${PACKER_US} at \\S+: CVE-2026-0003\\n$`));
    const [items, table] = await Promise.all([listed(), cli(['manifest', 'list'], env)]);
    expect(items).toContainEqual({ id: PACKER_US, status: 'revoked' });
    expect(table.stdout).toMatch(new RegExp(`${PACKER_US} .* revoked\\n`));
  });

  it('refuses `manifest revoke` without --reason and of an unknown image', async () => {
    const [noReason, unknown] = await Promise.all([
      cli(['manifest', 'revoke', IMAGE], env),
      cli(['manifest', 'revoke', 'ami-0ffffffffffffffff', '--reason', 'x'], env),
    ]);
    expect(noReason.code).toBe(1);
    expect(noReason.stderr).toContain('--reason');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('ami-0ffffffffffffffff');
    expect(await listed()).toContainEqual({ id: IMAGE, status: 'active' });
  });
});

describe.concurrent('rules check', () => {
  const badRules = () => {
    const rulesDir = mkdtempSync(join(dir, 'rules-'));
    writeFileSync(
      join(rulesDir, '10-bad.yaml'),
      'rules:\n  - id: too-loud\n    match: { path: launch.instanceType }\n    severity: catastrophic\n    action: report\n',
    );
    return rulesDir;
  };

  it('exits 0 on the shipped rules (the configured rules.dir)', async () => {
    const result = await cli(['rules', 'check']);
    expect(result.code).toBe(0);
    const shipped = readdirSync(packagePath('rules')).filter((f) => f.endsWith('.yaml')).length;
    expect(result.stdout).toMatch(new RegExp(`^ok: \\d+ rules, \\d+ ignore entries in ${shipped} files\n$`));
  });

  it('exits 1 on an invalid rule, naming file:line and the key', async () => {
    const rulesDir = badRules();
    const result = await cli(['rules', 'check', rulesDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${join(rulesDir, '10-bad.yaml')}:4: rules[0].severity:`);
    expect(result.stderr).toContain('1 error(s)');
  });

  it('lists the first 100 errors and counts the rest', async () => {
    const rulesDir = mkdtempSync(join(dir, 'rules-'));
    const bad = Array.from({ length: 200 }, (_, n) => `  - { id: r${n}, severity: nope }\n`).join('');
    writeFileSync(join(rulesDir, '10-bad.yaml'), `rules:\n${bad}`);
    const result = await cli(['rules', 'check', rulesDir]);
    expect(result.code).toBe(1);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(102);
    expect(lines[100]).toBe('… and 500 more problems');
    expect(lines[101]).toBe(`600 error(s) in ${rulesDir}`);
  });

  it('loads the configuration given with -c also when a directory is named, and stops on its errors', async () => {
    const config = file('rules-check-bad.yaml', 'http:\n  port: 99999\n');
    const result = await cli(['-c', config, 'rules', 'check', packagePath('rules')]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${config}:2: http.port:`);
  });

  it('reports the same as JSON with --json', async () => {
    const rulesDir = badRules();
    const result = await cli(['rules', 'check', rulesDir, '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      ok: false,
      dir: rulesDir,
      files: [join(rulesDir, '10-bad.yaml')],
      rules: 0,
      ignore: 0,
      issues: [expect.stringContaining(`${join(rulesDir, '10-bad.yaml')}:4: rules[0].severity:`)],
    });
    const good = await cli(['rules', 'check', '--json']);
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ ok: true, issues: [] });
  });
});

describe.concurrent('configuration errors', () => {
  it('names the file, the line and the key of an invalid value', async () => {
    const config = file('bad-port.yaml', '# driftwarden\nhttp:\n  port: 99999\n');
    const result = await cli(['--config', config, 'scan', '--once']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${config}:3: http.port:`);
  });

  it('names a config file that does not exist', async () => {
    const missing = join(dir, 'nope.yaml');
    const result = await cli(['--config', missing, 'scan', '--once']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(missing);
  });

  it('names the environment variable that holds an invalid value', async () => {
    const result = await cli(['scan', '--once'], { DRIFTWARDEN_HTTP_PORT: 'abc' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('env DRIFTWARDEN_HTTP_PORT: http.port:');
  });
});

describe('migrate', () => {
  it('applies 0001 to a fresh database, then says it is up to date', async () => {
    const env = { DRIFTWARDEN_DATABASE_PATH: join(dir, 'fresh.db') };
    const first = await cli(['migrate'], env);
    expect(first.code).toBe(0);
    const applied = /^applied 0001_initial(?:, \d{4}_[\w-]+)*; schema version (\d+)\n$/.exec(first.stdout);
    expect(applied, first.stdout).not.toBeNull();
    const again = await cli(['migrate'], env);
    expect(again).toMatchObject({ code: 0, stdout: `up to date at schema version ${applied?.[1]}\n` });
  });
});

describe.concurrent('help and usage', () => {
  it('--help exits 0 and documents the scan exit codes', async () => {
    const result = await cli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: driftwarden');
    expect(result.stdout).toContain('exit 0 clean, 2 drift found, 1 error');
  });

  it('scan --help exits 0 and documents the exit codes', async () => {
    const result = await cli(['scan', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: driftwarden scan');
    expect(result.stdout.replace(/\s+/g, ' ')).toContain('exit 0 clean, 2 drift found, 1 error');
  });

  it('an unknown command exits 1 and says so', async () => {
    const result = await cli(['frobnicate']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("unknown command 'frobnicate'");
  });
});
