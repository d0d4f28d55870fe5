// `driftwarden simulate`, run: the AWS simulator alone until SIGTERM/SIGINT, optionally with its images' manifests on disk.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SimImage } from '@driftwarden/simulator';
import { manifestsForImages } from '../../demo/demo-manifests.js';
import { loadSimulator } from '../../demo/load-simulator.js';

export interface SimulateOptions {
  host: string;
  port: number;
  instances: number;
  seed: number;
  regions: string[];
  writeManifests?: string;
}

/** One file per image, named after it, so `manifest import DIR/*.json` imports them all. */
function writeManifests(dir: string, images: readonly SimImage[]): void {
  mkdirSync(dir, { recursive: true });
  for (const manifest of manifestsForImages(images)) {
    writeFileSync(join(dir, `${manifest.image.id}.json`), `${JSON.stringify(manifest, null, 2)}\n`);
  }
}

export async function runSimulate(options: SimulateOptions): Promise<void> {
  const { startSimulator } = await loadSimulator();
  const sim = await startSimulator(options);
  if (options.writeManifests !== undefined) writeManifests(options.writeManifests, sim.fleet.images);
  process.stdout.write(
    `simulator listening on ${sim.url}\n` +
      `  ${sim.fleet.allInstances().length} instances in ${options.regions.join(', ')} (seed ${options.seed})\n` +
      `  images: ${sim.url}/_sim/images   fleet: ${sim.url}/_sim/fleet\n` +
      `  point driftwarden at it: DRIFTWARDEN_AWS_ENDPOINT=${sim.url} AWS_ACCESS_KEY_ID=sim AWS_SECRET_ACCESS_KEY=sim\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => void sim.close().then(resolve);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
