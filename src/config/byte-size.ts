// Parses human byte sizes (`512kb`, `1mb`) the way express/body-parser reads them (1024-based).

const UNIT_BYTES = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 } as const;
const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i;

/** Returns whole bytes, or null when the text is not a size. A bare number is bytes. */
export function parseByteSize(text: string | number): number | null {
  if (typeof text === 'number') return Number.isInteger(text) && text >= 0 ? text : null;
  const match = SIZE.exec(text.trim());
  if (!match) return null;
  const unit = (match[2] ?? 'b').toLowerCase() as keyof typeof UNIT_BYTES;
  return Math.floor(Number(match[1]) * UNIT_BYTES[unit]);
}
