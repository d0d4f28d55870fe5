// `npm run bench`: a full scan cycle (SDK → pair → diff → classify → SQLite) against a baseline
// measured in the same run: bare SDK pagination of DescribeInstances over the same simulator.
// Then bake's fingerprinting against sha256sum (bench/bake.ts), and the agent's start-up time and
// peak RSS against node's own (bench/agent.ts), rows written by a steady-state scan and host-observation
// reads (bench/steady-state.ts, BENCH_STEADY_SIZE), the findings cap against no cap (bench/finding-cap.ts),
// and the daemon serving HTTP while it scans (bench/serve-under-load.ts).
// BENCH_SUITES=scan,steady,bake,agent,cap,serve picks.
import { rmSync } from 'node:fs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { importManifests } from '../src/app/manifest-service.js';
import { benchAgent } from './agent.js';
import { benchBake } from './bake.js';
import { benchFindingCap } from './finding-cap.js';
import { benchSteadyState } from './steady-state.js';
import { startBenchFleet } from './bench-fleet.js';
import { median } from './median.js';
import { listInstanceIds } from './sdk-floor.js';
import { benchServeUnderLoad } from './serve-under-load.js';
import { parseManifestObject } from '../src/manifests/parse-manifest.js';
import { manifestsForImages } from '../src/demo/demo-manifests.js';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.AWS_ACCESS_KEY_ID ??= 'bench';
process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function benchSize(size: number): Promise<void> {
  const { dir, sim, runtime } = await startBenchFleet(size, 'dw-bench-');
  const manifests = manifestsForImages(sim.fleet.images).flatMap((m) => parseManifestObject(m, 'bench'));
  importManifests(runtime.store.manifests, manifests, new Date());

  const client = new EC2Client({ region: 'us-east-1', endpoint: sim.url });
  const listAll = () => listInstanceIds(client);

  // Warm up both paths once (JIT, connections, first-scan inserts and user-data cache).
  await listAll();
  await runtime.runScan();
  const baseline: number[] = [];
  const scans: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    baseline.push(await time(listAll));
    scans.push(await time(() => runtime.runScan()));
  }
  const b = median(baseline);
  const s = median(scans);
  process.stdout.write(
    `${String(size).padStart(6)} instances | SDK listing (baseline) ${b.toFixed(0).padStart(6)} ms | ` +
      `full scan ${s.toFixed(0).padStart(6)} ms | scan/baseline ${(s / b).toFixed(2)}x | ` +
      `${((size / s) * 1000).toFixed(0)} instances/s\n`,
  );
  client.destroy();
  runtime.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
}

const SUITES = (process.env.BENCH_SUITES ?? 'scan,steady,bake,agent,cap,serve').split(',');
if (SUITES.includes('scan')) {
  process.stdout.write(
    `driftwarden bench: median of ${RUNS} runs, simulator on loopback, request budget lifted\n`,
  );
  for (const size of SIZES) await benchSize(size);
}
if (SUITES.includes('steady')) await benchSteadyState();
if (SUITES.includes('bake')) await benchBake();
if (SUITES.includes('agent')) await benchAgent();
if (SUITES.includes('cap')) await benchFindingCap();
if (SUITES.includes('serve')) await benchServeUnderLoad();
