// docker-compose.yml is a valid Compose file (Debian package `docker-compose`) wiring the stack together.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function dockerCompose(...args: string[]): string {
  const found = spawnSync('sh', ['-c', 'command -v docker-compose'], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error('docker-compose not found: install the Debian package `docker-compose`');
  const run = spawnSync(found, ['-f', 'docker-compose.yml', ...args], { cwd: ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`docker-compose ${args.join(' ')} failed:\n${run.stderr}`);
  return run.stdout;
}

interface ComposeService {
  image?: string;
  build?: { dockerfile?: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
}

describe('docker-compose.yml', () => {
  it('passes docker-compose config -q', () => {
    expect(() => dockerCompose('config', '-q')).not.toThrow();
  });

  it('points driftwarden at the simulator, in dry-run, over the regions the simulator serves', () => {
    const { services } = parse(dockerCompose('config')) as { services: Record<string, ComposeService> };
    expect(Object.keys(services).sort()).toEqual([
      'alertmanager',
      'drift',
      'driftwarden',
      'grafana',
      'prometheus',
      'simulator',
    ]);
    const daemon = services.driftwarden!;
    expect(daemon.build?.dockerfile).toBe('deploy/docker/Dockerfile');
    expect(daemon.environment?.DRIFTWARDEN_AWS_ENDPOINT).toBe('http://simulator:9751');
    expect(daemon.environment?.DRIFTWARDEN_REMEDIATION_MODE).toBe('dry-run');
    const simulator = services.simulator!;
    expect(simulator.command).toEqual(
      expect.arrayContaining(['simulate', '--host', '0.0.0.0', '--port', '9751']),
    );
    const regions = simulator.command![simulator.command!.indexOf('--regions') + 1]!.split(',');
    const targets = parse(daemon.environment!.DRIFTWARDEN_TARGETS!) as { regions: string[] }[];
    expect(targets.flatMap((t) => t.regions).sort()).toEqual(regions.sort());
    expect(services.drift!.environment?.DRIFTWARDEN_TOKEN).toBe(daemon.environment?.DRIFTWARDEN_DEMO_TOKEN);
    expect(services.prometheus!.volumes).toEqual(
      expect.arrayContaining([
        `${ROOT}/deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro`,
        `${ROOT}/deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro`,
      ]),
    );
  });
});

describe('deploy/prometheus/prometheus.yml', () => {
  it('is valid for promtool, scrapes driftwarden:9750 every 15 s as job driftwarden, alerts to alertmanager:9093 and links alerts to the published port', () => {
    const found = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).stdout.trim();
    if (!found) throw new Error('promtool not found: install the Debian package `prometheus`');
    // Syntax only: the rule file comes from deploy/prometheus/alerts.yml, mounted by docker-compose.
    const check = spawnSync(found, ['check', 'config', '--syntax-only', 'deploy/prometheus/prometheus.yml'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    const config = parse(readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
      global: { external_labels?: Record<string, string> };
      rule_files: string[];
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
      scrape_configs: {
        job_name: string;
        scrape_interval: string;
        static_configs: { targets: string[] }[];
      }[];
    };
    expect(config.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
    // The alerts' ui_url: the daemon as a browser on the host reaches it (docker-compose.yml publishes 9750).
    expect(config.global.external_labels?.driftwarden_url).toBe('http://localhost:9750');
    expect(config.alerting.alertmanagers[0]!.static_configs[0]!.targets).toEqual(['alertmanager:9093']);
    expect(config.scrape_configs).toEqual([
      expect.objectContaining({
        job_name: 'driftwarden',
        scrape_interval: '15s',
        static_configs: [{ targets: ['driftwarden:9750'] }],
      }),
    ]);
  });
});
