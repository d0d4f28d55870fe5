// Locates the Debian-packaged binaries the end-to-end suite runs, failing with the package to install.
import { spawnSync } from 'node:child_process';

/** Absolute path of the first of `names` on the PATH; throws naming the Debian package otherwise. */
export function requireBinary(names: readonly string[], debianPackage: string): string {
  for (const name of names) {
    const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
    if (found) return found;
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
