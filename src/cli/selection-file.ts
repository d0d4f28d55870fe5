// Reads the --select file of `bake` and `agent` (the default selection when there is none).
import { readFileSync } from 'node:fs';
import { ValidationError } from '../domain/errors.js';
import { defaultSelection, parseSelection, type Selection } from '../host/selection.js';

export function loadSelection(file: string | undefined): Selection {
  if (file === undefined) return defaultSelection();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ValidationError(
      `cannot read the selection file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  return parseSelection(text, file);
}
