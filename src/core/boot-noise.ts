// Boot-time noise: host differences that fresh instances of one image show alike, proposed as ignore rules.
import { canonicalJson } from './canonical-json.js';
import { compareStrings } from './compare-strings.js';
import type { Change } from '../domain/types.js';

/** A difference is evidence only when at least this many fresh peers of one image show it. */
export const BOOT_NOISE_MIN_PEERS = 2;

/** An open finding of a fresh instance, as far as boot-noise needs it. */
export interface FreshFinding {
  path: string;
  change: Change;
  /** The rule it was classified with (what an acceptance of it names). */
  rule: string;
  actual: unknown;
  firstSeen: string;
}

/** A present instance launched within the fresh window, with its open findings. */
export interface FreshInstance {
  instanceId: string;
  imageId: string;
  /** The channel of the instance's manifest; null when it has none (or no manifest). */
  channel: string | null;
  launchTime: string;
  findings: readonly FreshFinding[];
}

/** One proposed ignore entry and the evidence for it. */
export interface BootNoiseSuggestion {
  channel: string;
  /** The difference path, written as a glob that matches exactly that path. */
  path: string;
  change: Change;
  /** What the fresh peers show at the path (one value: peers that differ otherwise are not counted). */
  actual: unknown;
  /** Fresh peers that show it, over every image of the channel. */
  peers: number;
  /** Fresh instances of those images, showing it or not. */
  freshInstances: number;
  /** The images the evidence comes from, sorted. */
  imageIds: string[];
  /** The instances that show it, sorted. */
  instanceIds: string[];
  /** When a fresh peer first showed it. */
  since: string;
}

/** Only host state can be rewritten at boot; launch settings and image status are the launch's own. */
const HOST_CHANGES: ReadonlySet<Change> = new Set<Change>(['added', 'removed', 'changed']);
const isHostPath = (path: string): boolean => /^host\.(packages|files|services)[.[]/.test(path);

interface Evidence {
  channel: string;
  imageId: string;
  path: string;
  change: Change;
  actual: unknown;
  instanceIds: Set<string>;
  since: string;
}

/**
 * Proposes one ignore entry per channel, path and change that more than half, and at least
 * BOOT_NOISE_MIN_PEERS, of an image's fresh instances already show with the same actual value. A
 * difference every new instance shows within minutes of launch is what its boot did (cloud-init,
 * a first-boot script), not what a person did; a hand-made change on a few of them does not reach
 * half. `instances` must hold only instances launched within the fresh window (the caller knows the
 * clock); instances without a channel give no suggestion, since the rule could not be scoped.
 */
export function suggestBootNoise(instances: readonly FreshInstance[]): BootNoiseSuggestion[] {
  const freshPerImage = new Map<string, number>();
  const evidence = new Map<string, Evidence>();
  for (const instance of instances) {
    if (instance.channel === null) continue;
    freshPerImage.set(instance.imageId, (freshPerImage.get(instance.imageId) ?? 0) + 1);
    for (const f of instance.findings) {
      if (!HOST_CHANGES.has(f.change) || !isHostPath(f.path)) continue;
      const key = canonicalJson([instance.imageId, f.path, f.change, f.actual]);
      const entry = evidence.get(key) ?? {
        channel: instance.channel,
        imageId: instance.imageId,
        path: f.path,
        change: f.change,
        actual: f.actual,
        instanceIds: new Set<string>(),
        since: f.firstSeen,
      };
      entry.instanceIds.add(instance.instanceId);
      if (f.firstSeen < entry.since) entry.since = f.firstSeen;
      evidence.set(key, entry);
    }
  }
  const suggestions = new Map<string, BootNoiseSuggestion>();
  for (const e of evidence.values()) {
    const fresh = freshPerImage.get(e.imageId) ?? 0;
    if (e.instanceIds.size < BOOT_NOISE_MIN_PEERS || e.instanceIds.size * 2 <= fresh) continue;
    const key = canonicalJson([e.channel, e.path, e.change, e.actual]);
    const merged = suggestions.get(key);
    if (merged === undefined) {
      suggestions.set(key, {
        channel: e.channel,
        path: e.path,
        change: e.change,
        actual: e.actual,
        peers: e.instanceIds.size,
        freshInstances: fresh,
        imageIds: [e.imageId],
        instanceIds: [...e.instanceIds].sort(compareStrings),
        since: e.since,
      });
    } else {
      merged.peers += e.instanceIds.size;
      merged.freshInstances += fresh;
      merged.imageIds = [...merged.imageIds, e.imageId].sort(compareStrings);
      merged.instanceIds = [...merged.instanceIds, ...e.instanceIds].sort(compareStrings);
      if (e.since < merged.since) merged.since = e.since;
    }
  }
  return [...suggestions.values()].sort(
    (a, b) =>
      compareStrings(a.channel, b.channel) ||
      compareStrings(a.path, b.path) ||
      compareStrings(a.change, b.change) ||
      compareStrings(canonicalJson(a.actual), canonicalJson(b.actual)),
  );
}

/** Fresh-window arithmetic in one place: the launch time from which an instance still counts as fresh. */
export function freshSince(nowMs: number, freshWindowMs: number): string {
  return new Date(nowMs - freshWindowMs).toISOString();
}

/** One line of text for a YAML comment: JSON, cut short, since the evidence is for a person to read. */
function commentValue(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}

/**
 * The suggestions as a rule file (`ignore:` entries, the evidence as comments above each) that
 * `rules check` accepts. Scalars are written as JSON strings, which YAML reads as they are.
 */
export function bootNoiseRulesYaml(suggestions: readonly BootNoiseSuggestion[], freshWindow: string): string {
  const lines = [
    '# Boot-time noise suggested by `driftwarden rules suggest`: differences that instances launched',
    `# within the last ${freshWindow} (signal.freshWindow) already showed alike. Review each entry`,
    '# before adding it to rules.dir: it ignores every such change at the path, not only this value.',
  ];
  if (suggestions.length === 0) return `${[...lines, 'ignore: []'].join('\n')}\n`;
  lines.push('ignore:');
  for (const s of suggestions) {
    lines.push(
      `  # ${s.peers} of ${s.freshInstances} fresh instances of ${s.imageIds.join(', ')} since ${s.since}; actual: ${commentValue(s.actual)}`,
      `  - path: ${JSON.stringify(s.path)}`,
      `    change: ${s.change}`,
      `    where: { channel: [${JSON.stringify(s.channel)}] }`,
    );
  }
  return `${lines.join('\n')}\n`;
}
