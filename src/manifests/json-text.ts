// Parses JSON text, naming origin, line and column on a syntax error and locating paths for later errors.
import { parseYamlSource, type YamlSource } from '../config/yaml-source.js';
import { ValidationError, errorMessage } from '../domain/errors.js';
import { findJsonSyntaxError, refuseDuplicateJsonKeys } from './json-syntax-error.js';
import type { LineLocator } from './manifest-issues.js';

export interface JsonText {
  value: unknown;
  /** Line of a path in the text, for schema errors found later. */
  locate: LineLocator;
}

export function parseJsonText(text: string, origin: string): JsonText {
  // Editors on some platforms save a byte-order mark; it is not content.
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let value: unknown;
  try {
    value = JSON.parse(body) as unknown;
  } catch (error) {
    const problem = findJsonSyntaxError(body);
    const issue = problem
      ? `${origin}:${problem.line}:${problem.column}: ${problem.message}`
      : `${origin}: ${errorMessage(error)}`;
    throw new ValidationError(`${origin}: invalid JSON`, [issue], { location: origin, cause: error });
  }
  refuseDuplicateJsonKeys(body, origin);
  // JSON is YAML, and the YAML parser keeps positions; only paid for when an error needs a line.
  let source: YamlSource | null | undefined;
  const locate: LineLocator = (path) => {
    if (source === undefined) {
      try {
        source = parseYamlSource(body, origin);
      } catch {
        source = null;
      }
    }
    return source === null ? null : source.lineOf(path);
  };
  return { value, locate };
}
