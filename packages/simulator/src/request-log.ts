// Every AWS-protocol request the simulator served, so tests can assert what the daemon called.

export interface RequestLogEntry {
  seq: number;
  at: string;
  region: string | null;
  service: string;
  action: string;
  /** The flattened form body (`Filter.1.Name` → value), Action and Version included. */
  params: Record<string, string>;
  status: number;
  errorCode?: string;
  /** The account the request acted as (from its access key); absent for unsigned requests. */
  account?: string;
  /** True for calls that change state (CreateTags, Modify*, Run*, Terminate*, …). */
  mutating: boolean;
}

const MUTATING =
  /^(Create|Delete|Modify|Run|Terminate|Start|Stop|Reboot|Attach|Detach|Associate|Disassociate|Replace|Reset|Register|Deregister|Import|Copy|Cancel|Request|Allocate|Release|Authorize|Revoke|Enable|Disable|Update|Put|Set|Assign|Unassign)/;

export function isMutatingAction(action: string): boolean {
  return MUTATING.test(action);
}

/** Bounded so a long demo does not grow without limit; `seq` keeps counting across trims. */
export class RequestLog {
  #entries: RequestLogEntry[] = [];
  #nextSeq = 1;

  constructor(private readonly capacity = 100_000) {}

  record(entry: Omit<RequestLogEntry, 'seq' | 'mutating'>): RequestLogEntry {
    const full: RequestLogEntry = {
      seq: this.#nextSeq++,
      ...entry,
      mutating: isMutatingAction(entry.action),
    };
    this.#entries.push(full);
    if (this.#entries.length > this.capacity) this.#entries.splice(0, this.#entries.length - this.capacity);
    return full;
  }

  /** Entries with seq greater than `since` (all when omitted). */
  entries(since = 0): RequestLogEntry[] {
    return this.#entries.filter((entry) => entry.seq > since);
  }

  clear(): void {
    this.#entries = [];
  }
}
