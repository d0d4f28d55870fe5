// `BENCH_SUITES=cap`: one instance whose agent reports BENCH_CAP_FILES unknown files, scanned and read
// with the default findings cap against the same instance with the cap lifted (the baseline), in one run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '@driftwarden/simulator';
import { instanceSectionViews } from '../src/app/instance-findings.js';
import { importManifests } from '../src/app/manifest-service.js';
import { loadConfig } from '../src/config/index.js';
import { manifestsForImages } from '../src/demo/demo-manifests.js';
import { createLogger } from '../src/logging/logger.js';
import { createRuntime } from '../src/main.js';
import { parseManifestObject } from '../src/manifests/parse-manifest.js';
import { packagePath } from '../src/package-root.js';
import { median } from './median.js';

// At most 100,000 (the largest cap), so the baseline stores every one.
const FILES = Math.min(Number(process.env.BENCH_CAP_FILES ?? 20_000), 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface Measured {
  scanMs: number;
  rows: number;
  readMs: number;
  readBytes: number;
}

async function measure(maxFindingsPerSection: number, bounded: boolean): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'dw-bench-cap-'));
  const sim = await startSimulator({ instances: 4, seed: 42, regions: ['us-east-1'] });
  const runtime = createRuntime({
    config: loadConfig({
      file: null,
      cwd: dir,
      env: {
        DRIFTWARDEN_DATABASE_PATH: join(dir, 'bench.db'),
        DRIFTWARDEN_AWS_ENDPOINT: sim.url,
        DRIFTWARDEN_TARGETS: '[{regions: [us-east-1]}]',
        DRIFTWARDEN_RULES_DIR: packagePath('rules'),
        DRIFTWARDEN_SCAN_MAX_FINDINGS_PER_SECTION: String(maxFindingsPerSection),
      },
    }),
    logger: createLogger({ level: 'silent', destination: 2, pretty: false }),
  });
  try {
    const manifests = manifestsForImages(sim.fleet.images).flatMap((m) => parseManifestObject(m, 'bench'));
    importManifests(runtime.store.manifests, manifests, new Date());
    const instance = sim.fleet
      .allInstances()
      .find((i) => i.channel !== null && Object.keys(i.host.files).length > 0);
    if (!instance) throw new Error('no instance with baked files in the simulated fleet');
    await runtime.runScan();
    const files: Record<string, { mode: string }> = { ...instance.host.files };
    for (let i = 0; i < FILES; i += 1)
      files[`/var/tmp/dump/f${String(i).padStart(6, '0')}`] = { mode: '0644' };
    const now = new Date().toISOString();
    runtime.store.hosts.save(
      { instanceId: instance.instanceId, source: 'agent', observedAt: now, host: { files } },
      now,
    );
    const scans: number[] = [];
    for (let i = 0; i < RUNS; i += 1) {
      const start = performance.now();
      await runtime.runScan();
      scans.push(performance.now() - start);
    }
    const fleet = runtime.store.fleet;
    const rows = fleet.listFindings({ instanceId: instance.instanceId }).length;
    const reads: number[] = [];
    let readBytes = 0;
    for (let i = 0; i < RUNS; i += 1) {
      const start = performance.now();
      // What `GET /api/v1/instances/{id}` reads: bounded views, or (baseline) every open finding.
      const view = bounded
        ? instanceSectionViews(fleet, instance.instanceId).flatMap((s) => s.items)
        : fleet.listFindings({ instanceId: instance.instanceId });
      readBytes = JSON.stringify(view).length;
      reads.push(performance.now() - start);
    }
    return { scanMs: median(scans), rows, readMs: median(reads), readBytes };
  } finally {
    runtime.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchFindingCap(): Promise<void> {
  const baseline = await measure(100_000, false);
  const capped = await measure(200, true);
  const ratio = (a: number, b: number): string => `${(a / b).toFixed(3)}x`;
  process.stdout.write(
    `findings cap: 1 instance, ${FILES} unknown files, median of ${RUNS}\n` +
      `  cap lifted (baseline): scan ${baseline.scanMs.toFixed(0)} ms, ${baseline.rows} rows, ` +
      `instance read ${baseline.readMs.toFixed(1)} ms / ${baseline.readBytes} bytes\n` +
      `  cap 200:               scan ${capped.scanMs.toFixed(0)} ms (${ratio(capped.scanMs, baseline.scanMs)}), ` +
      `${capped.rows} rows (${ratio(capped.rows, baseline.rows)}), instance read ${capped.readMs.toFixed(1)} ms ` +
      `(${ratio(capped.readMs, baseline.readMs)}) / ${capped.readBytes} bytes (${ratio(capped.readBytes, baseline.readBytes)})\n`,
  );
}
