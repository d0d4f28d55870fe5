// The UI's template function escapes every interpolated value; its small formatters read well.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatAge, formatDurationShort, renderValue } from '../../src/http/ui/components.js';
import { escapeHtml, html } from '../../src/http/ui/html.js';

function unescape(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

describe('html templates', () => {
  it('never lets a string add markup, and unescaping gives the string back', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        const out = html`<td title="${value}">${value}</td>`.value;
        const inner = out.slice('<td title="'.length, out.length - '</td>'.length);
        const [attribute, text] = inner.split('">') as [string, string];
        expect(attribute).not.toMatch(/[<>"']/);
        expect(text).not.toMatch(/[<>"']/);
        expect(unescape(attribute)).toBe(value);
        expect(unescape(text)).toBe(value);
      }),
    );
  });

  it('keeps nested templates, joins lists and drops null, undefined and booleans', () => {
    const rows = ['<a>', 'b&c'].map((v) => html`<li>${v}</li>`);
    const list = html`<ul>
      ${rows}${null}${undefined}${false}${true}
    </ul>`.value;
    expect(list.replace(/\s/g, '')).toBe('<ul><li>&lt;a&gt;</li><li>b&amp;c</li></ul>');
    expect(html`${0}`.value).toBe('0');
    expect(escapeHtml(`"'`)).toBe('&quot;&#39;');
  });
});

describe('formatting', () => {
  it('shows an age in at most two units', () => {
    expect(formatAge(0)).toBe('0s');
    expect(formatAge(45_000)).toBe('45s');
    expect(formatAge(312_000)).toBe('5m 12s');
    expect(formatAge(3 * 3_600_000 + 5_000)).toBe('3h');
    expect(formatAge(2 * 86_400_000 + 3 * 3_600_000 + 59_000)).toBe('2d 3h');
    expect(formatDurationShort(48)).toBe('48ms');
    expect(formatDurationShort(61_000)).toBe('1m 1s');
  });

  it('shows values exactly: strings as they are, absent in words, the rest as JSON', () => {
    expect(renderValue('t3.large').value).toBe('<code>t3.large</code>');
    expect(renderValue('').value).toBe('<code>&quot;&quot;</code>');
    expect(renderValue(null).value).toContain('(absent)');
    expect(renderValue(['a', 'b']).value).toBe('<code>[&quot;a&quot;,&quot;b&quot;]</code>');
  });
});
