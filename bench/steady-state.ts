// `BENCH_SUITES=steady`: rows written by a first and a steady-state scan of an unchanged fleet, and
// the time to read stored host observations per scan, against the previous read path in the same run.
import { rmSync } from 'node:fs';
import { importManifests } from '../src/app/manifest-service.js';
import { manifestsForImages } from '../src/demo/demo-manifests.js';
import type { HostObservation } from '../src/domain/types.js';
import { parseManifestObject } from '../src/manifests/parse-manifest.js';
import type { Database } from '../src/store/database.js';
import { toObservation, type HostRow } from '../src/store/host-repository.js';
import { startBenchFleet } from './bench-fleet.js';
import { median } from './median.js';

const SIZE = Number(process.env.BENCH_STEADY_SIZE ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PACKAGES_PER_HOST = 150;

function rowsWrittenBy(db: Database): () => number {
  const total = db.prepare<[], { n: number }>('SELECT total_changes() AS n');
  let last = total.get()?.n ?? 0;
  return () => {
    const now = total.get()?.n ?? 0;
    const written = now - last;
    last = now;
    return written;
  };
}

/**
 * The read path before this change (the former `latestAll()`): every row of every source, each
 * parsed into an observation, whether the scan uses it or not.
 */
function readAllParsed(db: Database): Map<string, HostObservation[]> {
  const latest = new Map<string, HostObservation[]>();
  const rows = db
    .prepare<[], HostRow>(
      `SELECT instance_id, source, observed_at, host, digests, skipped FROM host_observations
       ORDER BY instance_id, observed_at DESC, source`,
    )
    .all();
  for (const row of rows) {
    const list = latest.get(row.instance_id);
    if (list) list.push(toObservation(row));
    else latest.set(row.instance_id, [toObservation(row)]);
  }
  return latest;
}

function timed(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

export async function benchSteadyState(): Promise<void> {
  const { dir, sim, runtime } = await startBenchFleet(SIZE, 'dw-bench-steady-');
  // Without user data in the manifests: the EC2 source fetches at most 200 instances' user data per
  // scan, so with it the fleet's observations would keep changing for SIZE / 200 scans.
  const manifests = manifestsForImages(sim.fleet.images)
    .map((m) => ({ ...m, launch: { ...m.launch, userDataSha256: undefined } }))
    .flatMap((m) => parseManifestObject(JSON.parse(JSON.stringify(m)) as unknown, 'bench'));
  importManifests(runtime.store.manifests, manifests, new Date());
  const { db, hosts } = runtime.store;

  const written = rowsWrittenBy(db);
  await runtime.runScan();
  const firstRows = written();
  const steadyRows: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await runtime.runScan();
    steadyRows.push(written());
  }
  const steady = median(steadyRows);
  process.stdout.write(
    `steady state, ${SIZE} instances | rows written: first scan ${firstRows}, unchanged scan ${steady} ` +
      `(${((steady / firstRows) * 100).toFixed(2)} %, goal ≤ 1 %)\n`,
  );

  // One agent and one AWS Config observation per instance, each with a realistic package list.
  const packages = Object.fromEntries(
    Array.from({ length: PACKAGES_PER_HOST }, (_, i) => [`package-${i}`, `1.${i}.0-1`]),
  );
  const at = new Date().toISOString();
  const ids = sim.fleet.allInstances().map((i) => i.instanceId);
  for (const source of ['agent', 'aws-config'] as const)
    hosts.saveMany(
      ids.map((instanceId): HostObservation => ({ instanceId, source, observedAt: at, host: { packages } })),
      at,
    );
  const lookAll = (sources: readonly ('agent' | 'aws-config')[]) => () => {
    const lookup = hosts.latestOf(sources);
    for (const id of ids) lookup.get(id);
  };
  const before: number[] = [];
  const agentOnly: number[] = [];
  const both: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    before.push(timed(() => readAllParsed(db)));
    agentOnly.push(timed(lookAll(['agent'])));
    both.push(timed(lookAll(['agent', 'aws-config'])));
  }
  const b = median(before);
  const a = median(agentOnly);
  const ab = median(both);
  process.stdout.write(
    `host reads, ${SIZE} instances × 2 sources | every row parsed (before) ${b.toFixed(0)} ms | ` +
      `agent only enabled ${a.toFixed(0)} ms (${(a / b).toFixed(2)}x) | ` +
      `both enabled ${ab.toFixed(0)} ms (${(ab / b).toFixed(2)}x)\n`,
  );

  runtime.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
}
