// The contract test's JSON Schema checker: it finds what does not fit, and refuses keywords it does not check rather than passing them.
import { describe, expect, it } from 'vitest';
import { jsonSchemaErrors } from '../support/json-schema-check.js';

const document = {
  components: {
    schemas: {
      Item: {
        type: 'object',
        properties: {
          id: { type: 'integer', minimum: 1 },
          tag: { anyOf: [{ type: 'string' }, { type: 'null' }] },
        },
        required: ['id', 'tag'],
        additionalProperties: false,
      },
    },
  },
};
const page = {
  type: 'object',
  properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Item' } } },
};

describe('jsonSchemaErrors', () => {
  it('accepts a value that fits, through $ref and anyOf', () => {
    expect(
      jsonSchemaErrors(
        page,
        {
          items: [
            { id: 1, tag: null },
            { id: 2, tag: 'a' },
          ],
        },
        document,
      ),
    ).toEqual([]);
  });

  it('names each problem with its path: an unlisted field, a missing one, a wrong type, a bound', () => {
    expect(
      jsonSchemaErrors(
        page,
        {
          items: [
            { id: 0, extra: true },
            { id: 'x', tag: 3 },
          ],
        },
        document,
      ),
    ).toEqual([
      '$.items[0]: missing required tag',
      '$.items[0].id: below 1',
      '$.items[0]: extra is not in the document',
      '$.items[1].id: expected integer, got string',
      '$.items[1].tag: fits no anyOf branch: $.items[1].tag: expected string, got integer; $.items[1].tag: expected null, got integer',
    ]);
  });

  it('refuses a keyword it does not check instead of passing the value', () => {
    expect(jsonSchemaErrors({ type: 'string', contentEncoding: 'base64' }, 'x', document)).toEqual([
      '$: the checker does not know keyword(s) contentEncoding',
    ]);
  });
});
