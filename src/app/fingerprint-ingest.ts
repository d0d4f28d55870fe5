// Accepting an agent's fingerprint push: clock skew, instance presence, and merging digest-only sections.
import type { HostObservation, HostSection } from '../domain/types.js';
import type { FleetRepository, HostRepository } from './ports.js';
import { SECTION_NAMES, sectionDigests, type SectionDigests, type SectionName } from './section-digests.js';

/** A push as the agent sends it, already validated at the boundary. */
export interface FingerprintPush {
  instanceId: string;
  observedAt: string;
  host: HostSection;
  /** Section digests; a section left out of `host` whose digest the daemon already has is reused. */
  digests?: SectionDigests;
  skipped?: { path: string; reason: string }[];
}

/** Why a push was refused; each adapter maps these to its own answer (HTTP status, exit code). */
export type FingerprintRejection =
  | { reason: 'future'; message: string }
  | { reason: 'unseen-instance'; message: string }
  | { reason: 'departed-instance'; message: string }
  | { reason: 'missing-sections'; message: string; missing: SectionName[] }
  | { reason: 'digest-mismatch'; message: string };

export type FingerprintIngestResult =
  { accepted: true; instanceId: string } | ({ accepted: false } & FingerprintRejection);

export interface FingerprintIngestOptions {
  fleet: Pick<FleetRepository, 'getInstance'>;
  hosts: Pick<HostRepository, 'get' | 'save'>;
  clock(): Date;
  /** Pushes stamped further than this into the future are refused (clock skew). Default 5 minutes. */
  maxClockSkewMs?: number;
}

const DEFAULT_MAX_CLOCK_SKEW_MS = 300_000;

/** Returns the push handler: it stores the completed observation or says why it refused it. */
export function createFingerprintIngest(
  options: FingerprintIngestOptions,
): (push: FingerprintPush) => FingerprintIngestResult {
  const maxSkew = options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
  return (push) => {
    const now = options.clock();
    if (Date.parse(push.observedAt) > now.getTime() + maxSkew) {
      return reject({
        reason: 'future',
        message: `observedAt ${push.observedAt} is in the future; check the host clock.`,
      });
    }
    // Only scanned instances get host data: a push cannot create an instance the scan never listed.
    const known = options.fleet.getInstance(push.instanceId);
    if (!known) {
      return reject({
        reason: 'unseen-instance',
        message: `Instance ${push.instanceId} has not been seen by any scan yet; retry after the next scan.`,
      });
    }
    if (!known.present) {
      return reject({
        reason: 'departed-instance',
        message: `Instance ${push.instanceId} has left the fleet.`,
      });
    }
    const completed = completeHost(push, options.hosts.get(push.instanceId, 'agent'));
    if ('reason' in completed) return reject(completed);
    // The store keeps the push with the newest observedAt. A stamp ahead of the server (within the
    // allowed skew) is recorded as the receive time: kept as sent, it would outrank every
    // correct-clock push with new content until the server's clock caught up with it.
    const observedAt = Math.min(Date.parse(push.observedAt), now.getTime());
    const observation: HostObservation = {
      instanceId: push.instanceId,
      source: 'agent',
      observedAt: new Date(observedAt).toISOString(),
      host: completed.host,
      digests: completed.digests,
      ...(push.skipped?.length ? { skipped: push.skipped } : {}),
    };
    options.hosts.save(observation, now.toISOString());
    return { accepted: true, instanceId: push.instanceId };
  };
}

function reject(rejection: FingerprintRejection): FingerprintIngestResult {
  return { accepted: false, ...rejection };
}

/**
 * A section sent as a digest only is taken from the stored push when the digests agree, else the
 * agent is told (`missing`) to send it in full; a sent section must match its digest (a truncated or
 * hand-edited push is refused). The digests of the result are stored: the next digest-only push is
 * checked against them.
 */
function completeHost(
  push: FingerprintPush,
  stored: HostObservation | null,
): { host: HostSection; digests: SectionDigests } | FingerprintRejection {
  const host: HostSection = { ...push.host };
  const reused: SectionDigests = {};
  const missing: SectionName[] = [];
  for (const name of SECTION_NAMES) {
    const digest = push.digests?.[name];
    if (digest === undefined || push.host[name] !== undefined) continue;
    if (stored?.digests?.[name] === digest && stored.host[name] !== undefined) {
      Object.assign(host, { [name]: stored.host[name] });
      reused[name] = digest;
    } else {
      missing.push(name);
    }
  }
  if (missing.length > 0) {
    return {
      reason: 'missing-sections',
      message: `The daemon has no stored ${missing.join(', ')} with the digests sent; send ${missing.length > 1 ? 'them' : 'it'} in full.`,
      missing,
    };
  }
  // Only sent sections are hashed: a reused one keeps the digest it was just matched on, so a
  // digest-only push (the usual one) costs no canonical JSON of a large files map.
  const digests: SectionDigests = { ...sectionDigests(push.host), ...reused };
  for (const name of SECTION_NAMES) {
    const sent = push.digests?.[name];
    if (sent !== undefined && push.host[name] !== undefined && digests[name] !== sent) {
      return {
        reason: 'digest-mismatch',
        message: `fingerprint.digests.${name} does not match fingerprint.host.${name}.`,
      };
    }
  }
  return { host, digests };
}
