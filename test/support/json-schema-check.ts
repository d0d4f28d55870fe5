// Checks a value against a JSON Schema (2020-12) of the OpenAPI document, for the keywords the generator emits; any other keyword is an error, never ignored.
import { z } from 'zod';

type Schema = Record<string, unknown>;

const schemaRecord = z.record(z.string(), z.unknown());
const schemaList = z.array(schemaRecord);

// Annotations only (2020-12 treats `format` as an annotation by default).
const ANNOTATIONS = new Set(['description', 'default', 'format']);
const CHECKED = new Set([
  '$ref',
  'type',
  'const',
  'enum',
  'anyOf',
  'oneOf',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'minItems',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
]);

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeMatches(expected: string, actual: string): boolean {
  return expected === actual || (expected === 'number' && actual === 'integer');
}

/**
 * The problems of `value` against `schema` (empty: it fits), each with its JSON path. `$ref`s are
 * resolved in `document` (`#/components/schemas/…`).
 */
export function jsonSchemaErrors(schema: Schema, value: unknown, document: Schema, path = '$'): string[] {
  const unknown = Object.keys(schema).filter((k) => !CHECKED.has(k) && !ANNOTATIONS.has(k));
  if (unknown.length > 0) return [`${path}: the checker does not know keyword(s) ${unknown.join(', ')}`];
  const errors: string[] = [];
  const fail = (message: string): void => void errors.push(`${path}: ${message}`);
  const nested = (child: unknown, at: unknown, where: string): string[] =>
    jsonSchemaErrors(schemaRecord.parse(child), at, document, where);

  if (typeof schema.$ref === 'string') {
    const target = schema.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((node, key) => schemaRecord.parse(node)[key], document);
    errors.push(...nested(target, value, path));
  }
  const actual = typeOf(value);
  if (typeof schema.type === 'string' && !typeMatches(schema.type, actual))
    fail(`expected ${schema.type}, got ${actual}`);
  if ('const' in schema && schema.const !== value) fail(`expected ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    fail(`${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (schema.anyOf !== undefined) {
    const branches = schemaList.parse(schema.anyOf).map((s) => jsonSchemaErrors(s, value, document, path));
    if (!branches.some((b) => b.length === 0)) fail(`fits no anyOf branch: ${branches.flat().join('; ')}`);
  }
  if (schema.oneOf !== undefined) {
    const branches = schemaList.parse(schema.oneOf).map((s) => jsonSchemaErrors(s, value, document, path));
    const fits = branches.filter((b) => b.length === 0).length;
    if (fits !== 1) fail(`fits ${fits} oneOf branches, not 1: ${branches.flat().join('; ')}`);
  }

  if (actual === 'object') {
    const object = schemaRecord.parse(value);
    const properties = schemaRecord.parse(schema.properties ?? {});
    for (const name of z.array(z.string()).parse(schema.required ?? []))
      if (!(name in object)) fail(`missing required ${name}`);
    for (const [name, child] of Object.entries(object)) {
      const where = `${path}.${name}`;
      if (name in properties) errors.push(...nested(properties[name], child, where));
      else if (schema.additionalProperties === false) fail(`${name} is not in the document`);
      else if (schema.additionalProperties !== undefined)
        errors.push(...nested(schema.additionalProperties, child, where));
      if (schema.propertyNames !== undefined)
        errors.push(...nested(schema.propertyNames, name, `${where} (name)`));
    }
  }
  if (actual === 'array' && Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems)
      fail(`fewer than ${schema.minItems} items`);
    if (schema.items !== undefined)
      value.forEach((item, index) => errors.push(...nested(schema.items, item, `${path}[${index}]`)));
  }
  if (typeof value === 'string') {
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value))
      fail(`does not match ${schema.pattern}`);
    const length = [...value].length;
    if (typeof schema.minLength === 'number' && length < schema.minLength)
      fail(`shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && length > schema.maxLength)
      fail(`longer than ${schema.maxLength}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) fail(`below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) fail(`above ${schema.maximum}`);
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum)
      fail(`not above ${schema.exclusiveMinimum}`);
  }
  return errors;
}
