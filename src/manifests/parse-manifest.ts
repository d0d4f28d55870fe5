// Reads a manifest document (native or Packer's manifest.json) from text, a parsed value or a file.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { dirname, resolve } from 'node:path';
import { ValidationError } from '../domain/errors.js';
import type { Manifest } from '../domain/types.js';
import { parseJsonText } from './json-text.js';
import { validateManifestInput, type LineLocator } from './manifest-issues.js';
import { manifestSchema } from './manifest-schema.js';
import { isPackerManifest, manifestsFromPacker, packerManifestSchema } from './packer-manifest.js';

export interface ParseManifestOptions {
  /** See PackerManifestOptions.readFile: without it, file references in a Packer manifest are errors. */
  readFile?: (path: string) => string;
  /** Directory relative references resolve against. */
  baseDir?: string;
  locate?: LineLocator;
}

/** The documents `parseManifestObject` reads, as a schema for describing them (the OpenAPI request body). */
export const manifestDocumentSchema = z.union([manifestSchema, packerManifestSchema]);

/** A JSON object with a `builds` array is a Packer manifest (one manifest per artifact); anything else must be native. */
export function parseManifestObject(
  value: unknown,
  origin: string,
  options: ParseManifestOptions = {},
): Manifest[] {
  if (isPackerManifest(value)) return manifestsFromPacker(value, { ...options, origin });
  return [validateManifestInput(manifestSchema, value, origin, 'manifest', options.locate)];
}

export function parseManifestText(
  text: string,
  origin: string,
  options: ParseManifestOptions = {},
): Manifest[] {
  const { value, locate } = parseJsonText(text, origin);
  return parseManifestObject(value, origin, { ...options, locate });
}

/** Reads a manifest file; a Packer manifest may refer to native manifests next to it. */
export function loadManifestFile(path: string): Manifest[] {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ValidationError(`cannot read manifest ${file}: ${reason}`, [], {
      location: file,
      cause: error,
    });
  }
  return parseManifestText(text, path, { readFile: (p) => readFileSync(p, 'utf8'), baseDir: dirname(file) });
}
