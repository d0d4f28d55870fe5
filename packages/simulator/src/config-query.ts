// Just enough of AWS Config's advanced-query SQL for SelectResourceConfig: SELECT fields WHERE a AND b.
import { Ec2ApiError } from './sim-errors.js';

export const SELECTABLE_FIELDS = [
  'resourceId',
  'resourceType',
  'configurationItemCaptureTime',
  'accountId',
  'awsRegion',
  'arn',
] as const;
export type SelectableField = (typeof SELECTABLE_FIELDS)[number];

export type Comparison = '=' | '>' | '>=' | '<' | '<=';

export interface Condition {
  field: 'resourceType' | 'resourceId' | 'configurationItemCaptureTime';
  op: Comparison;
  value: string;
}

export interface SelectQuery {
  fields: SelectableField[];
  conditions: Condition[];
}

function invalid(message: string): Ec2ApiError {
  return new Ec2ApiError('InvalidExpressionException', message);
}

const CONDITION = /^(\w+)\s*(>=|<=|=|>|<)\s*'((?:[^']|'')*)'$/;
const CONDITION_FIELDS = new Set<string>(['resourceType', 'resourceId', 'configurationItemCaptureTime']);

/** Parses `SELECT a, b WHERE x = 'v' AND t > '…'`; anything else is InvalidExpressionException, as AWS says. */
export function parseSelectExpression(expression: string): SelectQuery {
  const match = /^\s*SELECT\s+(.+?)(?:\s+WHERE\s+(.+?))?\s*$/is.exec(expression);
  if (!match?.[1]) throw invalid(`Invalid expression: ${expression}`);
  const fields = match[1].split(',').map((f) => f.trim());
  for (const field of fields) {
    if (!(SELECTABLE_FIELDS as readonly string[]).includes(field))
      throw invalid(
        `Invalid field in SELECT clause: ${field} (the simulator selects ${SELECTABLE_FIELDS.join(', ')})`,
      );
  }
  const conditions: Condition[] = [];
  for (const part of match[2] ? match[2].split(/\s+AND\s+/i) : []) {
    const cond = CONDITION.exec(part.trim());
    if (!cond?.[1] || !cond[2] || cond[3] === undefined || !CONDITION_FIELDS.has(cond[1]))
      throw invalid(`Unsupported condition in WHERE clause: ${part.trim()}`);
    const value = cond[3].replaceAll("''", "'");
    if (cond[1] === 'configurationItemCaptureTime' && Number.isNaN(Date.parse(value)))
      throw invalid(`Invalid timestamp in WHERE clause: ${value}`);
    if (cond[1] !== 'configurationItemCaptureTime' && cond[2] !== '=')
      throw invalid(`Only = is supported for ${cond[1]}`);
    conditions.push({ field: cond[1] as Condition['field'], op: cond[2] as Comparison, value });
  }
  return { fields: fields as SelectableField[], conditions };
}

export function compare(actual: number, op: Comparison, expected: number): boolean {
  switch (op) {
    case '=':
      return actual === expected;
    case '>':
      return actual > expected;
    case '>=':
      return actual >= expected;
    case '<':
      return actual < expected;
    case '<=':
      return actual <= expected;
  }
}
