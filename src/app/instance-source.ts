// The port a fleet source implements: list one target's instances as slim observations.
import type { InstanceObservation, Target } from '../domain/types.js';

export interface CollectProgress {
  pages: number;
  instances: number;
}

export interface CollectContext {
  now: () => Date;
  signal?: AbortSignal;
  /** Whether the manifest for this image declares `userDataSha256` (so user data must be fetched). */
  needsUserData(region: string, imageId: string): boolean;
  onProgress?(progress: CollectProgress): void;
}

export interface CollectedTarget {
  /** The target's account identity (its configured account; null for default credentials). */
  account: string | null;
  instances: InstanceObservation[];
}

export interface InstanceSource {
  readonly name: string;
  collect(target: Target, context: CollectContext): Promise<CollectedTarget>;
}
