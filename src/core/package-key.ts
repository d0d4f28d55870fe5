// One key per installed package, shared by bake, the agent and the AWS Config mapper, so their package maps compare.

/** One installed package as a package database or SSM inventory lists it; `arch` is '' when unknown. */
export interface InstalledPackage {
  name: string;
  arch: string;
  version: string;
}

/**
 * The package's key in `host.packages`: the name, or `name:arch` when the name is installed for
 * several architectures (dpkg `Multi-Arch: same`, rpm multilib such as glibc x86_64 + i686).
 * `archCount` is how many distinct architectures the host has the name in.
 */
export function packageKey(name: string, arch: string, archCount: number): string {
  return archCount > 1 && arch !== '' ? `${name}:${arch}` : name;
}

/**
 * Keys a host's packages with `packageKey`. A name listed twice for one architecture (rpm install-only
 * packages such as several kernels) keeps the last entry, as the package database lists them.
 */
export function keyPackages(entries: readonly InstalledPackage[]): Map<string, string> {
  const arches = new Map<string, Set<string>>();
  for (const e of entries) arches.set(e.name, (arches.get(e.name) ?? new Set<string>()).add(e.arch));
  const packages = new Map<string, string>();
  for (const e of entries) packages.set(packageKey(e.name, e.arch, arches.get(e.name)?.size ?? 0), e.version);
  return packages;
}

/** `name` → the versions of its `name:arch` keys, for names keyed by architecture. */
function archKeyed(packages: Record<string, string>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [key, version] of Object.entries(packages)) {
    const colon = key.indexOf(':');
    if (colon <= 0) continue;
    const name = key.slice(0, colon);
    out.set(name, (out.get(name) ?? new Set<string>()).add(version));
  }
  return out;
}

/** A copy of `packages` with the `name:arch` keys of `name` replaced by `name` → `version`. */
function fold(packages: Record<string, string>, name: string, version: string): Record<string, string> {
  // fromEntries, not assignment: a package named __proto__ must stay a plain key.
  return Object.fromEntries([
    ...Object.entries(packages).filter(([key]) => !key.startsWith(`${name}:`)),
    [name, version],
  ]);
}

/**
 * Reads rpm manifests baked before packages were keyed by architecture (and pushes from agents that
 * old): they list a multilib package once, by name. When one side has only `name` and the other only
 * `name:arch` keys that all carry one version, the arch-keyed side is read as `name` → that version,
 * so the two sides agree instead of reporting the package removed and each architecture added.
 * Different versions per architecture are left as they are: the old key cannot say which it meant.
 */
export function alignPackageKeys(
  expected: Record<string, string>,
  actual: Record<string, string>,
): { expected: Record<string, string>; actual: Record<string, string> } {
  const foldAgainst = (
    side: Record<string, string>,
    other: Record<string, string>,
  ): Record<string, string> => {
    const otherArchKeyed = archKeyed(other);
    let out = side;
    for (const [name, versions] of archKeyed(side)) {
      const [version] = versions;
      if (versions.size !== 1 || version === undefined || Object.hasOwn(side, name)) continue;
      if (Object.hasOwn(other, name) && !otherArchKeyed.has(name)) out = fold(out, name, version);
    }
    return out;
  };
  return { expected: foldAgainst(expected, actual), actual: foldAgainst(actual, expected) };
}
