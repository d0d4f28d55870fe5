// Loads the simulator package on use: only `demo`, `simulate`, tests and the bench need it, and it is not shipped with the npm package.
import type * as Simulator from '@driftwarden/simulator';
import { ValidationError } from '../domain/errors.js';

export async function loadSimulator(): Promise<typeof Simulator> {
  try {
    return await import('@driftwarden/simulator');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new ValidationError(
      'the simulator (@driftwarden/simulator) is not installed: it comes with a clone of the repository (npm ci) and the container image',
      [],
      { cause: error },
    );
  }
}
