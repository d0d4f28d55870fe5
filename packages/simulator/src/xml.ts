// Minimal XML writing: escaped text elements and raw containers, nothing more.

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\r': '&#xD;',
};

/** Escapes markup characters; \r too, because XML parsers normalise a raw CR away. */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"'\r]/g, (ch) => ESCAPES[ch] ?? ch);
}

export type XmlScalar = string | number | boolean | null | undefined;

/** `<name>value</name>`, or nothing when the value is absent (absent ≠ empty in EC2 responses). */
export function textElement(name: string, value: XmlScalar): string {
  if (value === null || value === undefined) return '';
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** A container whose children are already XML. */
export function element(name: string, children: string): string {
  return children === '' ? `<${name}/>` : `<${name}>${children}</${name}>`;
}

/** EC2 wraps every list in `<xxxSet>` with one `<item>` per member. */
export function itemSet(name: string, items: readonly string[]): string {
  return element(name, items.map((item) => element('item', item)).join(''));
}
