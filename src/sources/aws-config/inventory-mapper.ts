// Maps an SSM inventory configuration item (AWS Config) to the manifest's `host` format.
import { compareStrings } from '../../core/compare-strings.js';
import { type InstalledPackage, keyPackages } from '../../core/package-key.js';
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

/** `[Epoch:]Version[-Release]`, as `bake` writes rpm versions; Debian entries carry the full version and no Release. */
function versionOf(entry: Record<string, unknown>): string | null {
  if (typeof entry.Version !== 'string' || entry.Version === '') return null;
  const epoch =
    typeof entry.Epoch === 'string' && entry.Epoch !== '' && entry.Epoch !== '0' ? `${entry.Epoch}:` : '';
  const release = typeof entry.Release === 'string' && entry.Release !== '' ? `-${entry.Release}` : '';
  return `${epoch}${entry.Version}${release}`;
}

/**
 * `AWS:Application` → `packages`, keyed by `packageKey` as `bake` and the agent key them so the
 * sources are comparable: the name, or `name:arch` when the name is installed for several
 * architectures (dpkg multi-arch, rpm multilib);
 * `gpg-pubkey` entries (rpm signing keys) are left out. Files and services are not mapped: SSM's
 * `AWS:File` has no sha256, mode or owner, and `AWS:Service` is Windows services only; leaving them
 * out means the manifest's `files`/`services` are not compared for this source, rather than
 * reported as drift. Without an `AWS:Application` type (inventory not collecting applications)
 * packages are unknown, so the section has no `packages` either. Returns null for a configuration
 * that is not JSON.
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
  const entries: InstalledPackage[] = [];
  for (const entry of entriesOf(applications)) {
    const version = versionOf(entry);
    if (
      typeof entry.Name !== 'string' ||
      entry.Name === '' ||
      entry.Name === 'gpg-pubkey' ||
      version === null
    )
      continue;
    entries.push({
      name: entry.Name,
      arch: typeof entry.Architecture === 'string' ? entry.Architecture : '',
      version,
    });
  }
  const packages = keyPackages(entries);
  const sorted: Record<string, string> = {};
  for (const [name, version] of [...packages].sort(([a], [b]) => compareStrings(a, b))) {
    // defineProperty: a package named __proto__ must stay a plain key.
    Object.defineProperty(sorted, name, {
      value: version,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return { packages: sorted };
}
