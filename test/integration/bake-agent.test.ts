// bake → manifest import → agent push → scan: host drift seen from inside the instance, end to end through the CLI.
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { createLogger } from '../../src/logging/logger.js';
import { defaultSelection } from '../../src/host/selection.js';
import { runCli } from '../cli/run-cli.js';
import { INGEST_TOKEN, SCAN_TOKEN, startHarness, type Harness } from '../support/harness.js';
import { buildHostTree, copyTree, enableService, setPackageVersion } from '../support/host-tree.js';

const IMAGE = 'ami-0ba4e00000000b001';
const REGION = 'us-east-1';
// As root every file is readable; the unreadable-file cases run the CLI without the capabilities
// that override file modes (see RunCliOptions.honourFileModes).
const MODES_APPLY = { honourFileModes: true };

interface Finding {
  path: string;
  change: string;
  expected: unknown;
  actual: unknown;
}
interface InstanceView {
  findings: Finding[];
  history: Finding[];
  host: { source: string; observedAt: string; skipped?: { path: string; reason: string }[] } | null;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('bake and agent', () => {
  let h: Harness;
  let dir: string;
  let image: string;
  let instanceId: string;
  let otherInstanceId: string;
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, DRIFTWARDEN_LOG_LEVEL: 'info', NO_COLOR: '1' });
  const bake = (args: string[], extra: object = {}) => runCli(['bake', ...args], { env: env(), ...extra });
  const agent = (root: string, args: string[] = [], extra: object = {}) =>
    runCli(
      [
        'agent',
        '--once',
        '--server',
        h.url,
        '--root',
        root,
        '--imds-endpoint',
        `${h.sim.url}/_imds/${instanceId}`,
        ...args,
      ],
      { env: { ...env(), DRIFTWARDEN_AGENT_TOKEN: INGEST_TOKEN }, ...extra },
    );
  const view = async (id = instanceId): Promise<InstanceView> =>
    (await h.get<InstanceView>(`/api/v1/instances/${id}`)).body;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dw-bake-'));
    chmodSync(dir, 0o755);
    image = join(dir, 'image');
    buildHostTree(image);
    h = await startHarness({ regions: [REGION], instances: 8, env: { DRIFTWARDEN_HTTP_BODY_LIMIT: '16kb' } });
    await h.control.addImage({ region: REGION, channel: 'baked', imageId: IMAGE });
    instanceId = (await h.control.launch({ region: REGION, imageId: IMAGE })).instanceId;
    otherInstanceId = (await h.control.launch({ region: REGION, imageId: IMAGE })).instanceId;
    const baked = await bake([
      '--root',
      image,
      '--image-id',
      IMAGE,
      '--region',
      REGION,
      '-o',
      join(dir, 'm.json'),
    ]);
    expect(baked.code, baked.stderr).toBe(0);
    const imported = await h.post('/api/v1/manifests', JSON.parse(readFileSync(join(dir, 'm.json'), 'utf8')));
    expect(imported.status).toBe(201);
    await h.scan();
  });

  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('bakes the same tree twice into byte-identical manifests with packages, selected files and services', async () => {
    const again = await bake(['--root', image, '--image-id', IMAGE, '--region', REGION]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(readFileSync(join(dir, 'm.json'), 'utf8'));
    const manifest = JSON.parse(again.stdout) as {
      host: { packages: object; files: Record<string, object>; services: object };
    };
    expect(manifest.host.packages).toEqual({
      'libc6:amd64': '2.36-9+deb12u9',
      'libc6:i386': '2.36-9+deb12u9',
      nginx: '1.22.1-9',
      openssl: '3.0.15-1~deb12u1',
    });
    expect(manifest.host.services).toEqual({ ssh: 'enabled' });
    expect(manifest.host.files['/etc/ssh/sshd_config']).toEqual({
      sha256: sha256('PermitRootLogin no\nPasswordAuthentication no\n'),
      mode: '0600',
      owner: 'root',
    });
    // Links are recorded as themselves (a loop cannot trap the walk); per-boot files and logs are left out.
    expect(manifest.host.files['/etc/app/loop-a']).toEqual({
      sha256: sha256('loop-b'),
      mode: '0777',
      owner: 'root',
    });
    expect(Object.keys(manifest.host.files)).toEqual([
      '/etc/app/app.conf',
      '/etc/app/loop-a',
      '/etc/app/loop-b',
      '/etc/app/parent',
      '/etc/passwd',
      '/etc/ssh/sshd_config',
      '/lib/systemd/system/nginx.service',
      '/lib/systemd/system/ssh.service',
      '/usr/local/bin/tool',
    ]);
  });

  it('a partial manifest baked in a Packer build imports through packer-manifest.json custom_data', async () => {
    const packerDir = join(dir, 'packer');
    mkdirSync(packerDir);
    const baked = await bake([
      '--root',
      image,
      '--channel',
      'web',
      '-o',
      join(packerDir, 'driftwarden-host.json'),
    ]);
    expect(baked.code, baked.stderr).toBe(0);
    writeFileSync(
      join(packerDir, 'packer-manifest.json'),
      JSON.stringify({
        builds: [
          {
            name: 'web',
            builder_type: 'amazon-ebs',
            build_time: 1764150000,
            artifact_id: 'us-east-1:ami-0ba4e00000000b002',
            packer_run_uuid: '6f1c3f7e-8a8e-4d43-9d0e-3c1b1f0f4a55',
            custom_data: { channel: 'web', driftwarden_manifest: 'driftwarden-host.json' },
          },
        ],
        last_run_uuid: '6f1c3f7e-8a8e-4d43-9d0e-3c1b1f0f4a55',
      }),
    );
    const imported = await runCli(['manifest', 'import', join(packerDir, 'packer-manifest.json')], {
      env: h.cliEnv,
    });
    expect(imported.code, imported.stderr).toBe(0);
    const stored = await h.get<{ manifest: { image: object; host: { packages: object } } }>(
      '/api/v1/manifests/ami-0ba4e00000000b002',
    );
    expect(stored.body.manifest.image).toMatchObject({
      id: 'ami-0ba4e00000000b002',
      region: 'us-east-1',
      channel: 'web',
    });
    expect(stored.body.manifest.host.packages).toHaveProperty('openssl', '3.0.15-1~deb12u1');
  });

  it('an untouched copy pushed by the agent (instance id from IMDSv2) gives no findings', async () => {
    const copy = join(dir, 'clean');
    copyTree(image, copy);
    const pushed = await agent(copy);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stderr).toContain('fingerprint pushed');
    // A new process (each run of the systemd timer) sends digests only when nothing changed.
    const again = await agent(copy);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('"sent":[]');
    expect(again.stderr).not.toContain('asked for sections');
    await h.scan();
    const v = await view();
    expect(v.host?.source).toBe('agent');
    expect(v.findings).toEqual([]);
  });

  it('one package upgraded, one file edited, one chmod-ed, one service enabled: exactly those four findings', async () => {
    const copy = join(dir, 'drifted');
    copyTree(image, copy);
    setPackageVersion(copy, 'openssl', '3.0.16-1~deb12u1');
    writeFileSync(join(copy, 'etc/app/app.conf'), 'workers = 64\n');
    chmodSync(join(copy, 'usr/local/bin/tool'), 0o777);
    enableService(copy, 'nginx.service');
    const pushed = await agent(copy);
    expect(pushed.code, pushed.stderr).toBe(0);
    await h.scan();
    const found = (await view()).findings.map(({ path, change, expected, actual }) => ({
      path,
      change,
      expected,
      actual,
    }));
    expect(found).toEqual([
      {
        path: 'host.files["/etc/app/app.conf"].sha256',
        change: 'changed',
        expected: sha256('workers = 4\n'),
        actual: sha256('workers = 64\n'),
      },
      { path: 'host.files["/usr/local/bin/tool"].mode', change: 'changed', expected: '0755', actual: '0777' },
      {
        path: 'host.packages.openssl',
        change: 'changed',
        expected: '3.0.15-1~deb12u1',
        actual: '3.0.16-1~deb12u1',
      },
      { path: 'host.services.nginx', change: 'added', expected: null, actual: 'enabled' },
    ]);

    // Undoing the drift on the host resolves all four at the next push and scan.
    const again = await agent(join(dir, 'clean'));
    expect(again.code, again.stderr).toBe(0);
    await h.scan();
    const after = await view();
    expect(after.findings).toEqual([]);
    expect(after.history.map((f) => f.path)).toEqual(expect.arrayContaining(found.map((f) => f.path)));
  });

  it('sends unchanged sections as digests only, and the daemon asks for sections it does not have', async () => {
    const copy = join(dir, 'digests');
    copyTree(image, copy);
    const quiet = createLogger({ level: 'silent', destination: 2, pretty: false });
    const a = new Agent({
      server: h.url,
      token: INGEST_TOKEN,
      root: copy,
      selection: defaultSelection(),
      jobs: 2,
      instanceId: otherInstanceId,
      imdsEndpoint: 'http://127.0.0.1:9',
      retry: { attempts: 2, baseMs: 10, maxMs: 50, timeoutMs: 5000 },
      logger: quiet,
    });
    const first = await a.pushOnce();
    expect(first.sent).toEqual(['packages', 'files', 'services']);
    const second = await a.pushOnce();
    expect(second.sent).toEqual([]);
    expect(second.bytes).toBeLessThan(first.bytes / 3);
    writeFileSync(join(copy, 'etc/app/app.conf'), 'workers = 8\n');
    const third = await a.pushOnce();
    expect(third.sent).toEqual(['files']);
    await h.scan();
    expect((await view(otherInstanceId)).findings.map((f) => f.path)).toEqual([
      'host.files["/etc/app/app.conf"].sha256',
    ]);

    // Digests the daemon has never stored: 409 naming the sections to send in full; nothing stored.
    const lost = await h.post<{ missing: string[] }>(
      '/api/v1/fingerprints',
      { instanceId, observedAt: new Date().toISOString(), host: {}, digests: { packages: 'a'.repeat(64) } },
      INGEST_TOKEN,
    );
    expect(lost.status).toBe(409);
    expect(lost.body.missing).toEqual(['packages']);
    // A section that does not match its digest is refused.
    const forged = await h.post<{ detail: string }>(
      '/api/v1/fingerprints',
      {
        instanceId,
        observedAt: new Date().toISOString(),
        host: { packages: { openssl: '1' } },
        digests: { packages: 'b'.repeat(64) },
      },
      INGEST_TOKEN,
    );
    expect(forged.status).toBe(400);
    expect(forged.body.detail).toContain('digests.packages does not match');
  });

  describe('bad input', () => {
    it('bake refuses a bad --region or SOURCE_DATE_EPOCH before reading the tree, naming it', async () => {
      // A root that does not exist: the flag is reported, so nothing was read first.
      const root = join(dir, 'no-such-root');
      const region = await bake(['--root', root, '--image-id', IMAGE, '--region', 'mars-1']);
      expect(region.code).toBe(1);
      expect(region.stderr).toContain('image.region');
      expect(region.stderr).not.toContain('no-such-root');
      const epoch = await bake(['--root', root], { env: { ...env(), SOURCE_DATE_EPOCH: 'yesterday' } });
      expect(epoch.code).toBe(1);
      expect(epoch.stderr).toContain('SOURCE_DATE_EPOCH "yesterday" is not a number of seconds');
      expect(epoch.stderr).not.toContain('no-such-root');
    });

    it('a push for an instance no scan has seen is refused with a clear error', async () => {
      const pushed = await agent(join(dir, 'clean'), ['--instance-id', 'i-0000000000000dead']);
      expect(pushed.code).toBe(1);
      expect(pushed.stderr).toContain('HTTP 404');
      expect(pushed.stderr).toContain('i-0000000000000dead has not been seen by any scan');
    });

    it('a token without the ingest scope is refused (403) and nothing is stored', async () => {
      const before = (await view()).host?.observedAt;
      const pushed = await runCli(
        [
          'agent',
          '--once',
          '--server',
          h.url,
          '--root',
          join(dir, 'clean'),
          '--instance-id',
          instanceId,
          '--token',
          SCAN_TOKEN,
        ],
        { env: env() },
      );
      expect(pushed.code).toBe(1);
      expect(pushed.stderr).toContain('HTTP 403');
      expect((await view()).host?.observedAt).toBe(before);
    });

    it('a push over the body limit is refused (413) with a hint, and nothing is stored', async () => {
      const copy = join(dir, 'big');
      copyTree(image, copy);
      mkdirSync(join(copy, 'etc/many'));
      for (let i = 0; i < 200; i += 1) writeFileSync(join(copy, `etc/many/file-${i}.conf`), `${i}\n`);
      const before = (await view()).host?.observedAt;
      const pushed = await agent(copy);
      expect(pushed.code).toBe(1);
      expect(pushed.stderr).toContain('HTTP 413');
      expect(pushed.stderr).toContain('http.bodyLimit');
      expect((await view()).host?.observedAt).toBe(before);
    });

    it('a file name that is not UTF-8: bake refuses to write a manifest, the agent reports it as skipped', async () => {
      const copy = join(dir, 'latin1');
      copyTree(image, copy);
      writeFileSync(Buffer.from(`${join(copy, 'etc/app')}/caf\xe9.conf`, 'latin1'), 'x\n');
      const out = join(dir, 'latin1.json');
      const baked = await bake(['--root', copy, '-o', out]);
      expect(baked.code).toBe(1);
      expect(baked.stderr).toContain('/etc/app/caf\\xe9.conf: the name is not valid UTF-8');
      expect(baked.stderr).toContain('no manifest written');
      expect(existsSync(out)).toBe(false);

      const pushed = await agent(copy);
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(pushed.stderr).toContain('not valid UTF-8');
      await h.scan();
      const v = await view();
      expect(v.host?.skipped).toEqual([expect.objectContaining({ path: '/etc/app/caf\\xe9.conf' })]);
      expect(v.findings).toEqual([]);
    });

    it('an unreachable daemon is retried with backoff, then the push fails naming the cause', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const pushed = await runCli(
        ['agent', '--once', '--server', `http://127.0.0.1:${port}`, '--root', join(dir, 'clean')].concat([
          '--instance-id',
          instanceId,
          '--attempts',
          '3',
        ]),
        { env: { ...env(), DRIFTWARDEN_AGENT_TOKEN: INGEST_TOKEN } },
      );
      expect(pushed.code).toBe(1);
      expect(pushed.stderr.match(/request failed, retrying/g)).toHaveLength(2);
      expect(pushed.stderr).toContain('ECONNREFUSED');
      expect(pushed.stderr).toContain('after 3 attempts');
      // The failure names the request, so "daemon down" is not mistaken for "not on EC2".
      expect(pushed.stderr).toContain(`POST http://127.0.0.1:${port}/api/v1/fingerprints`);
    });

    it('an instance id IMDS does not know is a clear error', async () => {
      const pushed = await runCli(
        ['agent', '--once', '--server', h.url, '--root', join(dir, 'clean'), '--attempts', '1'].concat([
          '--imds-endpoint',
          `${h.sim.url}/_imds/i-0000000000000beef`,
        ]),
        { env: { ...env(), DRIFTWARDEN_AGENT_TOKEN: INGEST_TOKEN } },
      );
      expect(pushed.code).toBe(1);
      expect(pushed.stderr).toContain('IMDSv2 token request');
      expect(pushed.stderr).toContain('HTTP 404');
    });

    it('an output path that cannot be written and a --server that is not a URL are named at once', async () => {
      const baked = await bake(['--root', image, '-o', join(dir, 'no-such-dir', 'm.json')]);
      expect(baked.code).toBe(1);
      expect(baked.stderr).toContain(`cannot write --output ${join(dir, 'no-such-dir', 'm.json')}: ENOENT`);
      const pushed = await runCli(['agent', '--once', '--server', 'localhost:9750', '--root', image], {
        env: env(),
      });
      expect(pushed.code).toBe(1);
      expect(pushed.stderr).toContain("option '--server <url>' argument 'localhost:9750' is invalid");
      expect(pushed.stderr).not.toContain('retrying');
    });

    it('a --root that is a symbolic link loop is a clear error', async () => {
      symlinkSync(join(dir, 'self'), join(dir, 'self'));
      const baked = await bake(['--root', join(dir, 'self')]);
      expect(baked.code).toBe(1);
      expect(baked.stderr).toContain(`--root ${join(dir, 'self')}: a symbolic link loop`);
    });

    it('an unreadable file: bake lists it and fails unless --allow-skips; the agent reports it as skipped, not removed', async () => {
      const copy = join(dir, 'unreadable');
      copyTree(image, copy);
      chmodSync(join(copy, 'etc/app/app.conf'), 0o000);
      const baked = await bake(['--root', copy], MODES_APPLY);
      expect(baked.code).toBe(1);
      expect(baked.stderr).toContain('/etc/app/app.conf: permission denied (EACCES)');
      const allowed = await bake(['--root', copy, '--allow-skips'], MODES_APPLY);
      expect(allowed.code, allowed.stderr).toBe(0);
      expect(
        Object.keys((JSON.parse(allowed.stdout) as { host: { files: object } }).host.files),
      ).not.toContain('/etc/app/app.conf');

      const pushed = await agent(copy, [], MODES_APPLY);
      expect(pushed.code, pushed.stderr).toBe(0);
      await h.scan();
      const v = await view();
      expect(v.host?.skipped).toEqual([{ path: '/etc/app/app.conf', reason: 'permission denied (EACCES)' }]);
      expect(v.findings).toEqual([]);
    });
  });
});
