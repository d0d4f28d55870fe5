// The compose demo's stand-in for people and agents (like `driftwarden demo`, but over HTTP): imports
// the manifests of the simulator's images into driftwarden, injects drift into the simulator now and then (undoing
// some, so findings also resolve), and pushes each instance's host fingerprint like an agent would.
// Plain Node 20+, no dependencies: runs in the driftwarden image with this file mounted, and takes the
// manifest format from the image's own build (dist/src/demo/demo-manifests.js, as `driftwarden demo` does).
//
// Environment: SIMULATOR_URL (http://simulator:9751), DRIFTWARDEN_URL (http://driftwarden:9750),
// DRIFTWARDEN_TOKEN (a token with scope admin, or manifests + ingest), DRIFT_EVERY (seconds, 15),
// PUSH_EVERY (seconds, 15), SEED (1).

const simulator = (process.env.SIMULATOR_URL ?? 'http://simulator:9751').replace(/\/+$/, '');
const driftwarden = (process.env.DRIFTWARDEN_URL ?? 'http://driftwarden:9750').replace(/\/+$/, '');
const token = process.env.DRIFTWARDEN_TOKEN ?? '';
const driftEveryMs = Number(process.env.DRIFT_EVERY ?? 15) * 1000;
const pushEveryMs = Number(process.env.PUSH_EVERY ?? 15) * 1000;
let step = Number(process.env.SEED ?? 1);

const log = (msg, fields = {}) =>
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg, ...fields })}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const { manifestsForImages } = await import(
  process.env.DRIFTWARDEN_DEMO_MANIFESTS ?? '/app/dist/src/demo/demo-manifests.js'
);

async function call(base, method, path, body, headers = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, ok: response.ok, json: text === '' ? null : JSON.parse(text) };
}
const sim = (method, path, body) => call(simulator, method, `/_sim/${path}`, body);
const api = (method, path, body) =>
  call(driftwarden, method, `/api/v1/${path}`, body, { authorization: `Bearer ${token}` });

async function waitFor(url) {
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    log('waiting', { url });
    await sleep(2000);
  }
}

// The same drifts as `driftwarden demo` (src/demo/demo-drift.ts).
const KINDS = [
  { name: 'instance type changed', change: () => ({ instanceType: 'm5.4xlarge' }) },
  { name: 'IMDSv1 re-enabled', change: () => ({ httpTokens: 'optional' }) },
  { name: 'required tag removed', change: () => ({ tags: { role: null } }) },
  {
    name: 'security group attached by hand',
    // A group another image in the region launches with, which this instance's manifest does not list.
    change: (detail) => {
      const other = manifests
        .filter((m) => m.image.region === detail.region)
        .flatMap((m) => m.launch?.securityGroups ?? [])
        .find((g) => !detail.securityGroups.some((s) => s.groupId === g));
      return { addSecurityGroups: other ? [other] : [] };
    },
  },
  { name: 'package upgraded by hand', change: () => ({ host: { packages: { openssl: '3.0.99-hotfix1' } } }) },
  {
    name: 'sshd_config edited',
    change: () => ({
      host: { files: { '/etc/ssh/sshd_config': { sha256: 'e'.repeat(64), mode: '0644', owner: 'root' } } },
    }),
  },
];
const drifted = [];
let manifests = [];

async function injectOne() {
  step++;
  if (step % 4 === 0 && drifted.length > 0) {
    const id = drifted.shift();
    await sim('POST', `instances/${id}/reset`);
    log('drift undone', { instanceId: id });
    return;
  }
  const fleet = (await sim('GET', 'fleet')).json;
  const candidates = fleet.instances.filter(
    (i) => i.state === 'running' && i.channel !== null && !drifted.includes(i.instanceId),
  );
  const target = candidates[(step * 7919) % Math.max(1, candidates.length)];
  if (!target) return;
  const kind = KINDS[step % KINDS.length];
  const detail = (await sim('GET', `instances/${target.instanceId}`)).json;
  const reply = await sim('POST', `instances/${target.instanceId}/drift`, kind.change(detail));
  if (!reply.ok) throw new Error(`drift refused: ${reply.status} ${JSON.stringify(reply.json)}`);
  drifted.push(target.instanceId);
  log('drift injected', { instanceId: target.instanceId, drift: kind.name });
}

async function pushFingerprints() {
  const observedAt = new Date().toISOString();
  const fleet = (await sim('GET', 'fleet')).json;
  for (const instance of fleet.instances.filter((i) => i.state === 'running')) {
    const detail = (await sim('GET', `instances/${instance.instanceId}`)).json;
    const reply = await api('POST', 'fingerprints', {
      instanceId: instance.instanceId,
      observedAt,
      host: detail.host,
    });
    // 404 = not scanned yet; the next round pushes again, like a real agent.
    if (!reply.ok && reply.status !== 404)
      log('fingerprint push refused', { instanceId: instance.instanceId, status: reply.status });
  }
}

async function importManifests() {
  manifests = manifestsForImages((await sim('GET', 'images')).json);
  let created = 0;
  for (const manifest of manifests) {
    const reply = await api('POST', 'manifests', manifest);
    if (!reply.ok) throw new Error(`manifest import refused: ${reply.status} ${JSON.stringify(reply.json)}`);
    if (reply.status === 201) created++;
  }
  log('manifests imported', { manifests: manifests.length, created });
}

function every(ms, name, fn) {
  const run = () =>
    fn()
      .catch((error) => log(`${name} failed`, { err: String(error?.message ?? error) }))
      .finally(() => setTimeout(run, ms));
  setTimeout(run, ms);
}

// As PID 1 in a container, a signal without a handler is ignored: `docker stop` would wait 10 s.
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => process.exit(0));
if (token === '') throw new Error('DRIFTWARDEN_TOKEN is not set');
await waitFor(`${simulator}/_sim/fleet`);
await waitFor(`${driftwarden}/healthz`);
await importManifests();
await injectOne();
every(driftEveryMs, 'drift', injectOne);
every(pushEveryMs, 'fingerprint push', pushFingerprints);
