// The deployment files agree with each other and with the code: paths, ports, user, probes, config.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import { renderKustomization, type KubeObject } from '../support/kustomize.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const K8S = join(ROOT, 'deploy/kubernetes');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

interface Container {
  securityContext: Record<string, unknown>;
  ports: { containerPort: number }[];
  livenessProbe: { httpGet: { path: string } };
  readinessProbe: { httpGet: { path: string } };
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts: { name: string; mountPath: string }[];
}

interface Manifest {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: unknown;
  data?: Record<string, string>;
}

const manifests: Manifest[] = readdirSync(K8S)
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .flatMap((f) => parseAllDocuments(readFileSync(join(K8S, f), 'utf8')).map((d) => d.toJS() as Manifest));
const byKind = (kind: string): Manifest[] => manifests.filter((m) => m.kind === kind);

const dockerfile = read('deploy/docker/Dockerfile');
const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
const packageJson = JSON.parse(read('package.json')) as { bin: Record<string, string> };

const dir = mkdtempSync(join(tmpdir(), 'dw-deploy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function k8sConfig(): ReturnType<typeof loadConfig> {
  const file = join(dir, 'driftwarden.yaml');
  writeFileSync(file, byKind('ConfigMap')[0]!.data!['driftwarden.yaml']!);
  return loadConfig({ file, env: {} });
}

describe('deploy/docker/Dockerfile', () => {
  it('starts the package binary as a numeric non-root user, serving on 0.0.0.0:9750 with the database in /data', () => {
    expect(runtimeStage).toContain(`ENTRYPOINT ["node", "${packageJson.bin.driftwarden}"]`);
    expect(runtimeStage).toContain('CMD ["serve"]');
    expect(runtimeStage).toMatch(/^USER 1000:1000$/m);
    expect(runtimeStage).toContain('VOLUME ["/data"]');
    expect(runtimeStage).toContain('EXPOSE 9750');
    expect(runtimeStage).toContain('DRIFTWARDEN_DATABASE_PATH=/data/driftwarden.db');
    expect(runtimeStage).toContain('DRIFTWARDEN_HTTP_HOST=0.0.0.0');
    expect(runtimeStage).toMatch(
      /HEALTHCHECK [^\n]*\\\n\s+CMD \["node", "-e", "fetch\('http:\/\/127\.0\.0\.1:'[^\n]*\/healthz'\)/,
    );
    // The runtime stage has no compiler: node_modules (with the built better-sqlite3) comes from the build stage.
    expect(runtimeStage).not.toMatch(/apt-get|npm (ci|install)/);
  });

  it('the build context (.dockerignore allowlist) holds what the build and the runtime read', () => {
    const allowed = read('.dockerignore')
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .map((l) => l.slice(1).replace(/\/$/, ''));
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(' '));
    expect(copied).toEqual(
      expect.arrayContaining(['package-lock.json', 'src', 'migrations', 'rules', 'assets']),
    );
    expect(copied.filter((c) => !allowed.includes(c))).toEqual([]);
  });
});

describe('deploy/kubernetes', () => {
  it('kustomization.yaml lists every manifest in the directory', () => {
    const listed = (parse(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8')) as { resources: string[] })
      .resources;
    const files = readdirSync(K8S).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...listed].sort()).toEqual(files.sort());
  });

  it('the ConfigMap holds a valid config: database on the volume, 0.0.0.0, shipped rules, dry-run', () => {
    const config = k8sConfig();
    expect(config.database.path).toBe('/data/driftwarden.db');
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.rules.dir).toBe('/app/rules');
    expect(config.remediation.mode).toBe('dry-run');
    expect(runtimeStage).toMatch(/^WORKDIR \/app$/m);
    expect(runtimeStage).toMatch(/^COPY rules \.\/rules$/m);
  });

  it('runs one hardened replica with probes on /healthz and /readyz and the claim mounted where the database is', () => {
    const config = k8sConfig();
    const sts = byKind('StatefulSet')[0]!.spec as {
      replicas: number;
      volumeClaimTemplates: { metadata: { name: string } }[];
      template: { spec: { securityContext: Record<string, unknown>; containers: Container[] } };
    };
    expect(sts.replicas).toBe(1);
    const pod = sts.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
    const [container] = pod.containers;
    expect(container!.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container!.ports[0]!.containerPort).toBe(config.http.port);
    expect(container!.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container!.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container!.resources.requests).toBeDefined();
    expect(container!.resources.limits).toBeDefined();
    const claim = sts.volumeClaimTemplates[0]!.metadata.name;
    const mount = container!.volumeMounts.find((m) => m.name === claim);
    expect(mount?.mountPath).toBe(dirname(config.database.path));
  });

  it('has an IRSA ServiceAccount, a NetworkPolicy for 9750 in and 443 + DNS out, and scrapes as job driftwarden', () => {
    expect(byKind('ServiceAccount')[0]!.metadata.annotations?.['eks.amazonaws.com/role-arn']).toMatch(
      /^arn:aws:iam::\d{12}:role\//,
    );
    const policy = byKind('NetworkPolicy')[0]!.spec as {
      ingress: { ports: { port: number }[] }[];
      egress: { ports: { port: number }[] }[];
    };
    expect(policy.ingress.flatMap((r) => r.ports.map((p) => p.port))).toEqual([9750]);
    expect(policy.egress.flatMap((r) => r.ports.map((p) => p.port)).sort()).toEqual([443, 53, 53]);
    const monitor = byKind('ServiceMonitor')[0]!.spec as { jobLabel: string };
    expect(monitor.jobLabel).toBe('app.kubernetes.io/name');
    expect(byKind('PrometheusRule')).toHaveLength(1);
  });
});

describe('deploy/kubernetes/sharded (kustomize overlay)', () => {
  interface EnvVar {
    name: string;
    value?: string;
    valueFrom?: { fieldRef?: { fieldPath: string } };
  }
  interface PodTemplate {
    metadata: { labels: Record<string, string> };
    spec: {
      affinity?: {
        podAntiAffinity?: {
          preferredDuringSchedulingIgnoredDuringExecution?: {
            podAffinityTerm: { topologyKey: string; labelSelector: { matchLabels: Record<string, string> } };
          }[];
        };
      };
      containers: (Container & { name: string; image: string; env: EnvVar[] })[];
    };
  }
  const rendered = renderKustomization(join(K8S, 'sharded'));
  const one = (kind: string, name = 'driftwarden'): KubeObject => {
    const found = rendered.filter((o) => o.kind === kind && o.metadata.name === name);
    expect(found, `${kind} ${name}`).toHaveLength(1);
    return found[0]!;
  };
  const sts = one('StatefulSet').spec as {
    replicas: number;
    serviceName: string;
    podManagementPolicy: string;
    selector: { matchLabels: Record<string, string> };
    template: PodTemplate;
    volumeClaimTemplates: { metadata: { name: string }; spec: { accessModes: string[] } }[];
  };
  const pod = sts.template;
  const container = pod.spec.containers.find((c) => c.name === 'driftwarden')!;
  const env = (name: string): EnvVar | undefined => container.env.find((e) => e.name === name);
  const matches = (selector: Record<string, string>): boolean =>
    Object.keys(selector).length > 0 &&
    Object.entries(selector).every(([k, v]) => pod.metadata.labels[k] === v);

  it('renders the base and the overlay, every object in the driftwarden namespace', () => {
    expect(
      renderKustomization(K8S)
        .map((o) => `${o.kind}/${o.metadata.name}`)
        .sort(),
    ).toEqual(manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort());
    for (const object of rendered)
      if (object.kind !== 'Namespace') expect(object.metadata.namespace, object.kind).toBe('driftwarden');
    expect(container.image).toBe('ghcr.io/driftwarden/driftwarden:0.1.0');
  });

  it('runs 3 replicas in parallel, shards.count equal to the replicas, each with its own volume', () => {
    expect(sts.replicas).toBe(3);
    expect(sts.podManagementPolicy).toBe('Parallel');
    expect(env('DRIFTWARDEN_SHARDS_COUNT')?.value).toBe(String(sts.replicas));
    expect(sts.volumeClaimTemplates.map((t) => [t.metadata.name, t.spec.accessModes])).toEqual([
      ['data', ['ReadWriteOnce']],
    ]);
    expect(container.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
    // The base container is patched, not replaced: probes and hardening stay.
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true });
    expect(env('DRIFTWARDEN_CONFIG')?.value).toBe('/etc/driftwarden/driftwarden.yaml');
  });

  it('takes the shard index from the pod name: the ConfigMap with the pod environment of driftwarden-2 is shard 2 of 3', () => {
    expect(env('DRIFTWARDEN_SHARDS_INDEX')?.value).toBe('hostname');
    expect(env('HOSTNAME')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
    const file = join(dir, 'sharded.yaml');
    writeFileSync(file, (one('ConfigMap').data as Record<string, string>)['driftwarden.yaml']!);
    const podEnv: Record<string, string> = { HOSTNAME: 'driftwarden-2' };
    for (const e of container.env) if (e.value !== undefined) podEnv[e.name] = e.value;
    const config = loadConfig({ file, env: podEnv });
    expect(config.shards).toMatchObject({ count: 3, index: 2, indexFrom: 'hostname' });
    expect(config.shards.peers).toEqual([
      { kind: 'dns', host: `${sts.serviceName}.driftwarden.svc`, port: config.http.port },
    ]);
  });

  it('governs the pods with a headless Service that also lists not-ready pods, which the peers and the scrape use', () => {
    const headless = one('Service', sts.serviceName).spec as {
      clusterIP: string;
      publishNotReadyAddresses: boolean;
      selector: Record<string, string>;
      ports: { port: number }[];
    };
    expect(headless.clusterIP).toBe('None');
    expect(headless.publishNotReadyAddresses).toBe(true);
    expect(matches(headless.selector)).toBe(true);
    const monitor = one('ServiceMonitor').spec as { selector: { matchLabels: Record<string, string> } };
    const labels = one('Service', sts.serviceName).metadata.labels!;
    expect(Object.entries(monitor.selector.matchLabels).every(([k, v]) => labels[k] === v)).toBe(true);
    expect(one('PrometheusRule').kind).toBe('PrometheusRule');
  });

  it('keeps at most one shard down by a disruption, spreads shards over nodes, and lets shards reach each other on 9750', () => {
    const pdb = one('PodDisruptionBudget').spec as {
      maxUnavailable: number;
      unhealthyPodEvictionPolicy: string;
      selector: { matchLabels: Record<string, string> };
    };
    expect(pdb.maxUnavailable).toBe(1);
    // A shard that is not ready (e.g. one without a target) does not block drains.
    expect(pdb.unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
    expect(matches(pdb.selector.matchLabels)).toBe(true);
    expect(matches(sts.selector.matchLabels)).toBe(true);
    const [spread] =
      pod.spec.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    expect(spread?.podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
    expect(matches(spread!.podAffinityTerm.labelSelector.matchLabels)).toBe(true);
    const peers = one('NetworkPolicy', 'driftwarden-peers').spec as {
      podSelector: { matchLabels: Record<string, string> };
      ingress: {
        from: { podSelector: { matchLabels: Record<string, string> } }[];
        ports: { port: number }[];
      }[];
      egress: { to: { podSelector: { matchLabels: Record<string, string> } }[]; ports: { port: number }[] }[];
    };
    expect(matches(peers.podSelector.matchLabels)).toBe(true);
    for (const rule of [
      ...peers.ingress.map((r) => ({ ...r, peers: r.from })),
      ...peers.egress.map((r) => ({ ...r, peers: r.to })),
    ]) {
      expect(rule.ports.map((p) => p.port)).toEqual([9750]);
      expect(rule.peers.every((p) => matches(p.podSelector.matchLabels))).toBe(true);
    }
  });
});

describe('deploy/systemd/driftwarden.service', () => {
  const unit = read('deploy/systemd/driftwarden.service');
  it('keeps the database in its StateDirectory and reloads rules with SIGHUP', () => {
    expect(unit).toMatch(/^StateDirectory=driftwarden$/m);
    expect(unit).toMatch(/^Environment=DRIFTWARDEN_DATABASE_PATH=\/var\/lib\/driftwarden\/driftwarden\.db$/m);
    expect(unit).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    for (const line of ['ProtectSystem=strict', 'DynamicUser=yes', 'NoNewPrivileges=yes', 'PrivateTmp=yes'])
      expect(unit).toContain(`\n${line}\n`);
  });
});

describe('deploy/systemd/driftwarden@.service', () => {
  const directives = (text: string): string[] =>
    text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
  const template = read('deploy/systemd/driftwarden@.service');
  const single = read('deploy/systemd/driftwarden.service');

  it('runs shard %i with its own database and state directory, otherwise exactly as driftwarden.service', () => {
    const added = [
      'EnvironmentFile=-/etc/driftwarden/shard-%i.env',
      'Environment=DRIFTWARDEN_SHARDS_INDEX=%i',
    ];
    const perShard = (line: string): string =>
      line
        .replace(/^Description=driftwarden:/, 'Description=driftwarden shard %i:')
        .replace('/var/lib/driftwarden/', '/var/lib/driftwarden-%i/')
        .replace(/^StateDirectory=driftwarden$/, 'StateDirectory=driftwarden-%i');
    for (const line of added) expect(template).toContain(`\n${line}\n`);
    expect(directives(template).filter((line) => !added.includes(line))).toEqual(
      directives(single).map(perShard),
    );
    expect(template).toMatch(/^StateDirectory=driftwarden-%i$/m);
    expect(template).toMatch(
      /^Environment=DRIFTWARDEN_DATABASE_PATH=\/var\/lib\/driftwarden-%i\/driftwarden\.db$/m,
    );
  });
});
