// A selected path that could not be fingerprinted, and why; reported, never silently dropped.

export interface Skip {
  /** The absolute path (inside the root); bytes that are not UTF-8 are written as \xNN. */
  path: string;
  reason: string;
}

/** A push reports at most this many skipped paths (the daemon refuses more). */
export const MAX_SKIPPED = 1000;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a file name; null when it is not valid UTF-8 (manifest paths are JSON strings). */
export function decodeName(name: Buffer): string | null {
  try {
    return utf8.decode(name);
  } catch {
    return null;
  }
}

/** A readable rendering of bytes that are not UTF-8, for messages only. */
export function escapeName(name: Buffer): string {
  let out = '';
  for (const byte of name) {
    out +=
      byte >= 0x20 && byte < 0x7f && byte !== 0x5c
        ? String.fromCharCode(byte)
        : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}
