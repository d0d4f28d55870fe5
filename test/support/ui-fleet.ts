// A simulated fleet in a known state for the web UI tests: every instance state (compliant,
// drifted, unknown image, and a region that stops answering: stale), launch, host and tag drift,
// accepted drift, one replacement awaiting approval, an attacker-controlled tag; shared by the
// HTTP and browser suites.
import type { SimInstance } from '@driftwarden/simulator';
import { INGEST_TOKEN, startHarness, type Harness } from './harness.js';
import { FAST_LIFECYCLE, jobs, remediationEnv, waitUntil, type JobView } from './remediation.js';

export const SCRIPT_TAG = '<script>window.__pwned = true</script>';
export const PATCHED_OPENSSL = '3.0.99-hotfix1';
export const ACCEPT_REASON = 'INC-9: role tag moves to <b>team</b> next bake';

export interface UiFleet {
  h: Harness;
  /** Instance type changed by hand: a replacement awaiting approval. */
  typeDrift: { instance: SimInstance; expected: unknown; actual: string };
  /** Its `role` tag set to a script element. */
  scriptTag: SimInstance;
  /** openssl upgraded by hand, reported by the agent. */
  hostDrift: { instance: SimInstance; expected: string; actual: string };
  /** Its `role` tag removed, and that drift accepted for a week. */
  acceptedDrift: { instance: SimInstance; reason: string; until: string };
  /** Launched from an image nobody baked. */
  unknownImage: string;
  /** The region whose DescribeInstances is refused from the last scan on: its instances are stale. */
  staleRegion: string;
  pending: JobView;
}

async function pushFingerprint(h: Harness, instanceId: string): Promise<void> {
  const instance = h.sim.fleet.allInstances().find((i) => i.instanceId === instanceId);
  const { status, body } = await h.post(
    '/api/v1/fingerprints',
    { instanceId, observedAt: new Date().toISOString(), host: instance?.host },
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
  const [typed, scripted, patched, tolerated] = candidates;
  if (!typed || !scripted || !patched || !tolerated) {
    throw new Error('the seeded fleet has too few running instances');
  }

  const imageOf = (instance: SimInstance) => h.sim.fleet.images.find((i) => i.imageId === instance.imageId);
  await h.control.drift(typed.instanceId, { instanceType: 'm5.24xlarge' });
  await h.control.drift(scripted.instanceId, { tags: { role: SCRIPT_TAG } });
  await h.control.drift(patched.instanceId, { host: { packages: { openssl: PATCHED_OPENSSL } } });
  await pushFingerprint(h, patched.instanceId);
  await h.control.drift(tolerated.instanceId, { tags: { role: null } });
  const accepted = await h.post<{ until: string }>('/api/v1/acceptances', {
    instanceId: tolerated.instanceId,
    until: '7d',
    reason: ACCEPT_REASON,
  });
  if (accepted.status !== 201) throw new Error(`acceptance failed: ${accepted.status}`);
  const unknown = await h.control.launch({
    region: 'us-east-1',
    imageId: 'ami-0badc0ffee0000001',
    tags: { 'managed-by': 'packer' },
  });
  await h.control.fault({ region: 'eu-west-1', operation: 'DescribeInstances', kind: 'unauthorized' });
  await h.scan();

  const pending = await waitUntil('a replacement awaiting approval', async () =>
    (await jobs(h)).find((j) => j.instanceId === typed.instanceId && j.state === 'awaiting-approval'),
  );
  return {
    h,
    typeDrift: { instance: typed, expected: imageOf(typed)?.spec.instanceTypes, actual: 'm5.24xlarge' },
    scriptTag: scripted,
    hostDrift: {
      instance: patched,
      expected: String(imageOf(patched)?.spec.host.packages.openssl),
      actual: PATCHED_OPENSSL,
    },
    acceptedDrift: { instance: tolerated, reason: ACCEPT_REASON, until: accepted.body.until },
    unknownImage: unknown.instanceId,
    staleRegion: 'eu-west-1',
    pending,
  };
}
