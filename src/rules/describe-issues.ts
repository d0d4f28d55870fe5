// Turns zod issues into `file:line: key: message` lines, one per unknown key so each points at its own line.
import type { z } from 'zod';
import { formatKeyPath, type YamlSource } from '../config/yaml-source.js';

export interface LocatedIssue {
  line: number;
  message: string;
}

export function describeIssues(
  error: z.ZodError,
  source: Pick<YamlSource, 'file' | 'lineOf'>,
): LocatedIssue[] {
  return error.issues.flatMap((issue): LocatedIssue[] => {
    const path = issue.path;
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) =>
        located(source, [...path, key], `unknown key ${JSON.stringify(key)} (${issue.message})`),
      );
    }
    return [located(source, path, issue.message)];
  });
}

export function located(
  source: Pick<YamlSource, 'file' | 'lineOf'>,
  path: readonly PropertyKey[],
  message: string,
): LocatedIssue {
  const line = source.lineOf(path);
  return { line, message: `${source.file}:${line}: ${formatKeyPath(path)}: ${message}` };
}
