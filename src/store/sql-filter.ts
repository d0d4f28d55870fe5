// WHERE conditions with their named parameters: `column = @name` for each value a query gives.

export interface SqlFilter {
  where: string[];
  params: Record<string, unknown>;
}

/**
 * One `column = @name` per entry whose value is defined, in entry order, after `always`; an
 * undefined value (a filter the caller did not set) adds nothing.
 */
export function equalsFilter(
  conditions: Record<string, readonly [column: string, value: unknown]>,
  always: readonly string[] = [],
): SqlFilter {
  const where = [...always];
  const params: Record<string, unknown> = {};
  for (const [name, [column, value]] of Object.entries(conditions)) {
    if (value === undefined) continue;
    where.push(`${column} = @${name}`);
    params[name] = value;
  }
  return { where, params };
}
