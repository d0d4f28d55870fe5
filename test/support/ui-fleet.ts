// A simulated fleet in a known state for the web UI tests: launch, host and tag drift, one
// replacement awaiting approval, an attacker-controlled tag; shared by the HTTP and browser suites.
import type { SimInstance } from '../../src/simulator/index.js';
import { INGEST_TOKEN, startHarness, type Harness } from './harness.js';
import { FAST_LIFECYCLE, jobs, remediationEnv, waitUntil, type JobView } from './remediation.js';

export const SCRIPT_TAG = '<script>window.__pwned = true</script>';
export const PATCHED_OPENSSL = '3.0.99-hotfix1';

export interface UiFleet {
  h: Harness;
  /** Instance type changed by hand: a replacement awaiting approval. */
  typeDrift: { instance: SimInstance; expected: unknown; actual: string };
  /** Its `role` tag set to a script element. */
  scriptTag: SimInstance;
  /** openssl upgraded by hand, reported by the agent. */
  hostDrift: { instance: SimInstance; expected: string; actual: string };
  pending: JobView;
}

async function pushFingerprint(h: Harness, instance: SimInstance): Promise<void> {
  const { status, body } = await h.post(
    '/api/v1/fingerprints',
    { instanceId: instance.instanceId, observedAt: new Date().toISOString(), host: instance.host },
    INGEST_TOKEN,
  );
  if (status !== 202) throw new Error(`fingerprint push failed: ${status} ${JSON.stringify(body)}`);
}

export async function startUiFleet(): Promise<UiFleet> {
  const h = await startHarness({
    instances: 40,
    seed: 23,
    regions: ['us-east-1', 'eu-west-1'],
    lifecycle: FAST_LIFECYCLE,
    env: remediationEnv(),
  });
  await h.scan();
  const candidates = h.sim.fleet
    .allInstances()
    .filter((i) => i.state === 'running' && i.channel !== null && i.region === 'us-east-1');
  const [typed, scripted, patched] = candidates;
  if (!typed || !scripted || !patched) throw new Error('the seeded fleet has too few running instances');

  const image = h.sim.fleet.images.find((i) => i.imageId === typed.imageId);
  await h.control.drift(typed.instanceId, { instanceType: 'm5.24xlarge' });
  await h.control.drift(scripted.instanceId, { tags: { role: SCRIPT_TAG } });
  await h.control.drift(patched.instanceId, { host: { packages: { openssl: PATCHED_OPENSSL } } });
  const expectedOpenssl = h.sim.fleet.images.find((i) => i.imageId === patched.imageId)?.spec.host.packages
    .openssl;
  await pushFingerprint(
    h,
    h.sim.fleet.allInstances().find((i) => i.instanceId === patched.instanceId)!,
  );
  await h.scan();

  const pending = await waitUntil('a replacement awaiting approval', async () =>
    (await jobs(h)).find((j) => j.instanceId === typed.instanceId && j.state === 'awaiting-approval'),
  );
  return {
    h,
    typeDrift: { instance: typed, expected: image?.spec.instanceTypes, actual: 'm5.24xlarge' },
    scriptTag: scripted,
    hostDrift: { instance: patched, expected: String(expectedOpenssl), actual: PATCHED_OPENSSL },
    pending,
  };
}
