// Injected failures (throttling, 5xx, access denied, latency) matched per region and/or operation.
import type { FaultSpec } from './control-schemas.js';
import { Ec2ApiError } from './sim-errors.js';

export interface Fault extends FaultSpec {
  id: string;
  /** Requests this fault has affected so far. */
  hits: number;
}

/** What to do to one request: wait, then maybe fail. */
export interface FaultOutcome {
  delayMs: number;
  error: Ec2ApiError | null;
}

type ErrorKind = Exclude<FaultSpec['kind'], 'latency'>;

type Dialect = 'ec2' | 'autoscaling' | 'config';

function dialectOf(service: string): Dialect {
  // STS speaks awsQuery like Auto Scaling, with the same error codes.
  if (service === 'sts') return 'autoscaling';
  return service === 'autoscaling' || service === 'config' ? service : 'ec2';
}

/** Each service spells the same failure its own way; the SDK's retry logic keys on these codes. */
const ERRORS: Record<ErrorKind, Record<Dialect, () => Ec2ApiError>> = {
  throttle: {
    ec2: () => new Ec2ApiError('RequestLimitExceeded', 'Request limit exceeded.', 400),
    autoscaling: () => new Ec2ApiError('Throttling', 'Rate exceeded', 400),
    config: () => new Ec2ApiError('ThrottlingException', 'Rate exceeded', 400),
  },
  '5xx': {
    ec2: () => new Ec2ApiError('InternalError', 'An internal error has occurred', 500),
    autoscaling: () => new Ec2ApiError('InternalFailure', 'An internal error has occurred', 500),
    config: () => new Ec2ApiError('InternalFailure', 'An internal error has occurred', 500),
  },
  unauthorized: {
    ec2: () =>
      new Ec2ApiError('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403),
    autoscaling: () =>
      new Ec2ApiError('AccessDenied', 'User is not authorized to perform this operation.', 403),
    config: () =>
      new Ec2ApiError('AccessDeniedException', 'User is not authorized to perform this operation.', 400),
  },
};

export class FaultRegistry {
  #faults: Fault[] = [];
  #nextId = 1;

  add(spec: FaultSpec): Fault {
    const fault: Fault = { ...spec, id: `fault-${this.#nextId++}`, hits: 0 };
    this.#faults.push(fault);
    return fault;
  }

  list(): Fault[] {
    return this.#faults.map((fault) => ({ ...fault }));
  }

  remove(id: string): boolean {
    const before = this.#faults.length;
    this.#faults = this.#faults.filter((fault) => fault.id !== id);
    return this.#faults.length !== before;
  }

  clear(): void {
    this.#faults = [];
  }

  /**
   * Consumes matching faults for one request: every latency fault adds its delay, the first error
   * fault fails it. Only faults that actually applied spend their `count`.
   */
  apply(region: string | null, operation: string, service = 'ec2'): FaultOutcome {
    const dialect = dialectOf(service);
    let delayMs = 0;
    let error: Ec2ApiError | null = null;
    for (const fault of this.#faults) {
      if (fault.region !== undefined && fault.region !== region) continue;
      if (fault.operation !== undefined && fault.operation !== operation) continue;
      if (fault.kind === 'latency') delayMs += fault.latencyMs ?? 0;
      else if (error === null) error = ERRORS[fault.kind][dialect]();
      else continue;
      fault.hits += 1;
      if (fault.count !== undefined) fault.count -= 1;
    }
    this.#faults = this.#faults.filter((fault) => fault.count === undefined || fault.count > 0);
    return { delayMs, error };
  }
}
