// Boot-noise suggestions from the stored fleet (fresh instances and their open host findings), and their opt-in application as acceptances.
import { AcceptanceIndex } from '../core/acceptance.js';
import {
  freshSince,
  suggestBootNoise,
  type BootNoiseSuggestion,
  type FreshInstance,
} from '../core/boot-noise.js';
import type { Acceptance, AcceptanceRepository, FleetViews, ManifestRepository } from './ports.js';

/**
 * At most this many fresh instances are read (the newest launches): enough evidence for any image,
 * and a bound on the work when a whole fleet was launched at once.
 */
export const FRESH_INSTANCE_LIMIT = 5000;

/** Who `signal.applyBootNoise` acceptances are created by, and how long they run. */
export const BOOT_NOISE_ACTOR = 'driftwarden:boot-noise';
export const BOOT_NOISE_ACCEPTANCE_MS = 7 * 86_400_000;

export interface BootNoiseSources {
  views: Pick<FleetViews, 'freshInstances'>;
  manifests: Pick<ManifestRepository, 'get'>;
}

function freshInstances(sources: BootNoiseSources, nowMs: number, freshWindowMs: number): FreshInstance[] {
  const channels = new Map<string, string | null>();
  const channelOf = (imageId: string): string | null => {
    if (!channels.has(imageId))
      channels.set(imageId, sources.manifests.get(imageId)?.manifest.image.channel ?? null);
    return channels.get(imageId) ?? null;
  };
  return sources.views
    .freshInstances(freshSince(nowMs, freshWindowMs), FRESH_INSTANCE_LIMIT)
    .map((i) => ({ ...i, channel: channelOf(i.imageId) }));
}

/** The suggestions for the instances launched within `freshWindowMs` before `nowMs`. */
export function listBootNoise(
  sources: BootNoiseSources,
  nowMs: number,
  freshWindowMs: number,
): BootNoiseSuggestion[] {
  return suggestBootNoise(freshInstances(sources, nowMs, freshWindowMs));
}

/** The reason an applied acceptance gives: the evidence, in one line. */
export function bootNoiseReason(s: BootNoiseSuggestion): string {
  return (
    `boot-time noise: ${s.path} ${s.change} on ${s.peers} of ${s.freshInstances} fresh instances ` +
    `of channel ${s.channel} since ${s.since}`
  );
}

/**
 * `signal.applyBootNoise`: each instance in a suggestion's evidence gets an acceptance of its finding's
 * rule, unless an active acceptance covers that already. Acceptances apply from the next scan.
 * Returns the ones created.
 */
export function applyBootNoise(
  sources: BootNoiseSources & { acceptances: Pick<AcceptanceRepository, 'active' | 'add'> },
  nowMs: number,
  freshWindowMs: number,
): Acceptance[] {
  const fresh = freshInstances(sources, nowMs, freshWindowMs);
  const suggestions = suggestBootNoise(fresh);
  if (suggestions.length === 0) return [];
  const at = new Date(nowMs).toISOString();
  const until = new Date(nowMs + BOOT_NOISE_ACCEPTANCE_MS).toISOString();
  const ruleOf = new Map<string, string>();
  for (const i of fresh)
    for (const f of i.findings) ruleOf.set(`${i.instanceId} ${f.path} ${f.change}`, f.rule);
  const active = new AcceptanceIndex<Acceptance>(sources.acceptances.active(at));
  const created: Acceptance[] = [];
  for (const s of suggestions) {
    for (const instanceId of s.instanceIds) {
      const rule = ruleOf.get(`${instanceId} ${s.path} ${s.change}`);
      if (rule === undefined || active.find({ instanceId, rule }) !== null) continue;
      const acceptance = sources.acceptances.add(
        { instanceId, rule, reason: bootNoiseReason(s), until, createdBy: BOOT_NOISE_ACTOR },
        at,
      );
      active.add(acceptance);
      created.push(acceptance);
    }
  }
  return created;
}
