// The demo's two scripted events: AWS throttles for a moment, and a build is revoked in favour of a fixed one.
import type { Logger } from 'pino';
import type { SimInstance, Simulator } from '@driftwarden/simulator';
import { compareStrings } from '../core/compare-strings.js';
import { postJson, type DemoApi } from './demo-api.js';
import { manifestForImage } from './demo-manifests.js';

/**
 * DescribeInstances calls the burst throttles: enough to show on the throttling panels, few enough
 * that the SDK's retries absorb them and the scans still succeed, a little later.
 */
export const THROTTLED_CALLS = 6;

const ASG_TAG = 'aws:autoscaling:groupName';

/** Makes the simulator throttle the next DescribeInstances calls in `region`, as AWS does under load. */
export function injectThrottling(sim: Simulator, region: string, logger: Logger): void {
  sim.faults.add({ region, operation: 'DescribeInstances', kind: 'throttle', count: THROTTLED_CALLS });
  logger.info({ region, calls: THROTTLED_CALLS }, 'demo: AWS throttles the next DescribeInstances calls');
}

export interface Revocation {
  /** The revoked build. */
  revoked: string;
  /** The fixed build of the same channel and region, which replacements launch. */
  fixedBy: string;
  /** The instances running the revoked build when it was revoked. */
  instances: string[];
}

/**
 * A fixed build of the channel is baked and published, then the build its instances run is revoked,
 * both through the API as a pipeline and an operator would. A standalone instance's build is chosen
 * when there is one (its replacement is a plain launch, then terminate), never the build of an
 * instance in `exclude`. Null when no running instance qualifies.
 */
export async function revokeForFixedBuild(options: {
  sim: Simulator;
  api: DemoApi;
  logger: Logger;
  exclude: readonly string[];
}): Promise<Revocation | null> {
  const { sim, api, logger } = options;
  const running = sim.fleet
    .allInstances()
    .filter((i) => i.state === 'running' && i.channel !== null)
    .sort((a, b) => compareStrings(a.instanceId, b.instanceId));
  const excludedImages = new Set(
    running.filter((i) => options.exclude.includes(i.instanceId)).map((i) => i.imageId),
  );
  const eligible = running.filter((i) => !excludedImages.has(i.imageId));
  const chosen: SimInstance | undefined = eligible.find((i) => !i.tags.has(ASG_TAG)) ?? eligible[0];
  const old = chosen === undefined ? undefined : sim.fleet.image(chosen.imageId);
  if (old === undefined) return null;

  const fixed = sim.fleet.addImage({ region: old.region, channel: old.channel });
  await expectOk(
    postJson(api, '/manifests', manifestForImage(fixed)),
    `import the manifest of ${fixed.imageId}`,
  );
  await expectOk(
    postJson(api, `/manifests/${encodeURIComponent(old.imageId)}/revoke`, {
      reason: `demo: a vulnerable build; ${fixed.imageId} fixes it`,
    }),
    `revoke ${old.imageId}`,
  );
  const instances = running.filter((i) => i.imageId === old.imageId).map((i) => i.instanceId);
  logger.info(
    { revoked: old.imageId, fixedBy: fixed.imageId, instances: instances.length },
    'demo: image revoked; its instances get revoked-image findings (critical, action replace)',
  );
  return { revoked: old.imageId, fixedBy: fixed.imageId, instances };
}

async function expectOk(response: Promise<Response>, what: string): Promise<void> {
  const answer = await response;
  if (!answer.ok) throw new Error(`demo: could not ${what}: HTTP ${answer.status} ${await answer.text()}`);
}
