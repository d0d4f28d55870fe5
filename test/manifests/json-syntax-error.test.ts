import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findDuplicateJsonKey, findJsonSyntaxError } from '../../src/manifests/json-syntax-error.js';

describe('findJsonSyntaxError', () => {
  it('finds nothing wrong in any serialised JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, pretty) => {
        expect(findJsonSyntaxError(JSON.stringify(value, null, pretty ? 2 : undefined))).toBeNull();
      }),
    );
  });

  it('agrees with JSON.parse on whether arbitrary text is JSON', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        let parses = true;
        try {
          JSON.parse(text);
        } catch {
          parses = false;
        }
        expect(findJsonSyntaxError(text) === null).toBe(parses);
      }),
    );
  });

  it('points at the offending character', () => {
    expect(findJsonSyntaxError('{"a": 1,\n "b": tru}')).toEqual({
      line: 2,
      column: 7,
      message: 'unexpected "t", expected a value',
    });
    expect(findJsonSyntaxError('[1, 2')).toEqual({
      line: 1,
      column: 6,
      message: "unexpected end of input, expected ',' or ']'",
    });
    expect(findJsonSyntaxError('{"a": "x\ny"}')).toMatchObject({
      line: 1,
      column: 9,
      message: 'control character in string (escape it)',
    });
  });
});

describe('findDuplicateJsonKey', () => {
  it('finds no repeated key in any serialised JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(findDuplicateJsonKey(JSON.stringify(value, null, 1))).toBeNull();
      }),
    );
  });

  it('points at the second occurrence, also when the key is spelled with escapes', () => {
    expect(findDuplicateJsonKey('{"a": {"k": 1,\n "\\u006b": 2}}')).toEqual({
      line: 2,
      column: 2,
      message: 'duplicate key "k" (first on line 1)',
    });
  });

  it('leaves syntax errors to findJsonSyntaxError', () => {
    expect(findDuplicateJsonKey('{"a": , "a": 1}')).toBeNull();
  });
});
