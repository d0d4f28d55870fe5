// AWS-shaped resource ids (ami-, i-, sg-, …) drawn from a seeded source.
import type { Prng } from './prng.js';

/** `prefix-` + 17 lowercase hex characters, the modern EC2 id format. */
export function resourceId(prng: Prng, prefix: string): string {
  return `${prefix}-${prng.hex(17)}`;
}

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** IAM unique ids look like AIPA + 17 upper-case characters. */
export function instanceProfileId(prng: Prng): string {
  let out = 'AIPA';
  for (let i = 0; i < 17; i++) out += UPPER_ALNUM[prng.int(0, UPPER_ALNUM.length - 1)];
  return out;
}

/** A v4-shaped UUID, deterministic for the prng. */
export function uuid(prng: Prng): string {
  const h = prng.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A resource id the world has not used yet (ids are random, so a clash is possible but rare). */
export function freshId(prng: Prng, prefix: string, taken: (id: string) => boolean): string {
  for (;;) {
    const id = resourceId(prng, prefix);
    if (!taken(id)) return id;
  }
}
