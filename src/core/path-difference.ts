// A difference before it is attached to an instance: path still as segments, so builders never hand-format paths.
import type { Change, SourceView } from '../domain/types.js';

export interface PathDifference {
  path: readonly string[];
  change: Change;
  expected: unknown;
  actual: unknown;
  sources?: SourceView[];
}
