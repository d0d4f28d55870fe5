// Locates the Debian-packaged binaries the end-to-end suite runs, failing with the package to install.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Absolute path of the first of `names` on the PATH; throws naming the Debian package otherwise. */
export function requireBinary(names: readonly string[], debianPackage: string): string {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not in this directory
      }
    }
  }
  throw new Error(
    `${names.join(' / ')} not found on the PATH: install the Debian package \`${debianPackage}\` ` +
      `(apt-get install ${debianPackage}; see README, "Tests")`,
  );
}

export const promtoolBinary = (): string => requireBinary(['promtool'], 'prometheus');
export const prometheusBinary = (): string => requireBinary(['prometheus'], 'prometheus');
export const amtoolBinary = (): string => requireBinary(['amtool'], 'prometheus-alertmanager');
/** Debian installs Alertmanager as `prometheus-alertmanager`; upstream tarballs call it `alertmanager`. */
export const alertmanagerBinary = (): string =>
  requireBinary(['alertmanager', 'prometheus-alertmanager'], 'prometheus-alertmanager');
