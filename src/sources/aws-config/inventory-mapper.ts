// Maps an SSM inventory configuration item (AWS Config) to the manifest's `host` format.
import type { HostSection } from '../../domain/types.js';

interface InventoryType {
  Content?: unknown;
}

/** Config stores Content as an object of entries; SSM's own API uses a list. Both are read. */
function entriesOf(type: InventoryType | undefined): Record<string, unknown>[] {
  const content = type?.Content;
  if (content === null || typeof content !== 'object') return [];
  return Object.values(content).filter(
    (e): e is Record<string, unknown> => e !== null && typeof e === 'object',
  );
}

/**
 * `AWS:Application` → `packages` (Name → Version, compared verbatim). One name with several
 * versions (multi-arch installs) gives the sorted versions joined by ", ", so it never matches a
 * single baked version by accident. Files and services are not mapped: SSM's `AWS:File` has no
 * sha256, mode or owner, and `AWS:Service` is Windows services only; leaving them out means the
 * manifest's `files`/`services` are not compared for this source, rather than reported as drift.
 * Without an `AWS:Application` type (inventory not collecting applications) packages are unknown,
 * so the section has no `packages` either. Returns null for a configuration that is not JSON.
 */
export function toHostSection(configuration: string | undefined): HostSection | null {
  if (configuration === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(configuration);
  } catch {
    return null;
  }
  if (parsed === null || typeof parsed !== 'object') return null;
  const applications = (parsed as Record<string, InventoryType | undefined>)['AWS:Application'];
  if (applications === undefined) return {};
  const versions = new Map<string, Set<string>>();
  for (const entry of entriesOf(applications)) {
    if (typeof entry.Name !== 'string' || entry.Name === '' || typeof entry.Version !== 'string') continue;
    const set = versions.get(entry.Name) ?? new Set<string>();
    set.add(entry.Version);
    versions.set(entry.Name, set);
  }
  const packages: Record<string, string> = {};
  for (const [name, set] of [...versions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    Object.defineProperty(packages, name, {
      value: [...set].sort().join(', '),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return { packages };
}
