// Section digests: sha256 over the canonical JSON of each host section, equal on every machine for equal content.
import { canonicalJson } from '../core/canonical-json.js';
import type { HostSection } from '../domain/types.js';
import { sha256Hex } from './sha256.js';

export type SectionName = keyof HostSection & ('packages' | 'files' | 'services');
export const SECTION_NAMES: readonly SectionName[] = ['packages', 'files', 'services'];
export type SectionDigests = Partial<Record<SectionName, string>>;

export function sectionDigests(host: HostSection): SectionDigests {
  const digests: SectionDigests = {};
  for (const name of SECTION_NAMES) {
    const section = host[name];
    if (section !== undefined) digests[name] = sha256Hex(canonicalJson(section));
  }
  return digests;
}
