// Copying and patching host fingerprints (packages, files, services); a null patch value removes the key.
import type { HostFile, HostFingerprint } from './world-types.js';

export interface HostPatch {
  packages?: Record<string, string | null> | undefined;
  files?: Record<string, Partial<HostFile> | null> | undefined;
  services?: Record<string, string | null> | undefined;
}

/** defineProperty, not assignment: keys come from user input and "__proto__" must stay a plain key. */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function cloneHost(host: HostFingerprint): HostFingerprint {
  const files: Record<string, HostFile> = {};
  for (const [path, file] of Object.entries(host.files)) setOwn(files, path, { ...file });
  return { packages: { ...host.packages }, files, services: { ...host.services } };
}

function patchMap(target: Record<string, string>, patch: Record<string, string | null> | undefined): void {
  for (const [key, value] of Object.entries(patch ?? {})) {
    if (value === null) delete target[key];
    else setOwn(target, key, value);
  }
}

/** Applies a patch in place; a file patch merges into the existing entry (new files default to 0644 root). */
export function patchHost(host: HostFingerprint, patch: HostPatch): void {
  patchMap(host.packages, patch.packages);
  patchMap(host.services, patch.services);
  for (const [path, filePatch] of Object.entries(patch.files ?? {})) {
    if (filePatch === null) {
      delete host.files[path];
      continue;
    }
    const current = Object.hasOwn(host.files, path) ? host.files[path] : undefined;
    const merged: HostFile = {
      sha256: filePatch.sha256 ?? current?.sha256 ?? '',
      mode: filePatch.mode ?? current?.mode ?? '0644',
      owner: filePatch.owner ?? current?.owner ?? 'root',
    };
    setOwn(host.files, path, merged);
  }
}
