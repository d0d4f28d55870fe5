// EBS snapshots taken of instance root volumes (evidence before a replacement terminates an instance).

export interface SimSnapshot {
  snapshotId: string;
  volumeId: string;
  region: string;
  ownerId: string;
  description: string;
  /** ISO time with milliseconds. */
  startTime: string;
  startedAtMs: number;
  volumeSize: number;
  tags: Map<string, string>;
}

export class SnapshotStore {
  readonly #snapshots: SimSnapshot[] = [];

  add(snapshot: SimSnapshot): SimSnapshot {
    this.#snapshots.push(snapshot);
    return snapshot;
  }

  get(snapshotId: string): SimSnapshot | undefined {
    return this.#snapshots.find((s) => s.snapshotId === snapshotId);
  }

  /** Snapshots of a region in creation order. */
  inRegion(region: string): SimSnapshot[] {
    return this.#snapshots.filter((s) => s.region === region);
  }
}
