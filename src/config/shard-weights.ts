// The shard weights file: instances per target (account × region), read by every replica so all compute one assignment.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { compareStrings } from '../core/compare-strings.js';
import { errorMessage } from '../domain/errors.js';
import { formatJsonPath } from '../manifests/json-path.js';
import { findJsonSyntaxError } from '../manifests/json-syntax-error.js';
import { ACCOUNT_ID_PATTERN } from './aws-patterns.js';
import type { ShardWeight } from './config.js';
import { regionSchema } from './config-schema.js';

const weightsFileSchema = z.strictObject({
  targets: z.array(
    z.strictObject({
      account: z
        .string()
        .regex(ACCOUNT_ID_PATTERN, { error: 'expected a 12-digit AWS account id, or null' })
        .nullable(),
      region: regionSchema,
      instances: z.number().int().min(0),
    }),
  ),
});

/** Entries in account then region order (no account first), so the written file diffs cleanly. */
export function sortShardWeights(weights: readonly ShardWeight[]): ShardWeight[] {
  return [...weights].sort(
    (a, b) => compareStrings(a.account ?? '', b.account ?? '') || compareStrings(a.region, b.region),
  );
}

/** The file's text: one target per line, sorted. */
export function formatShardWeights(weights: readonly ShardWeight[]): string {
  const lines = sortShardWeights(weights).map(
    (w) => `    ${JSON.stringify({ account: w.account, region: w.region, instances: w.instances })}`,
  );
  return `{\n  "targets": [\n${lines.join(',\n')}\n  ]\n}\n`;
}

/**
 * Reads and checks a weights file; throws an Error whose message names the JSON path (or line and
 * column) of the first problem. A target listed twice is an error: which count applies would be a guess.
 */
export function readShardWeights(file: string): ShardWeight[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}`);
  }
  const syntax = findJsonSyntaxError(text);
  if (syntax) throw new Error(`${file}:${syntax.line}:${syntax.column}: ${syntax.message}`);
  const parsed = weightsFileSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: ${formatJsonPath(issue?.path ?? [])}: ${issue?.message ?? 'invalid'}`);
  }
  const seen = new Map<string, number>();
  parsed.data.targets.forEach((t, index) => {
    const key = `${t.account ?? ''}|${t.region}`;
    const first = seen.get(key);
    if (first !== undefined)
      throw new Error(
        `${file}: targets[${index}]: ${t.region} of ${t.account ?? 'the default account'} is also targets[${first}]`,
      );
    seen.set(key, index);
  });
  return sortShardWeights(parsed.data.targets);
}
