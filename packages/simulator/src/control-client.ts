// A small fetch client for the simulator's /_sim/ control API, for tests and the demo.
import type {
  AddImageSpec,
  BulkLaunchSpec,
  ConfigSpec,
  DriftChange,
  FailureSpec,
  FaultSpec,
  LaunchSpec,
  LifecycleSpec,
  RoleSpec,
} from './control-schemas.js';
import type { SimRole } from './accounts.js';
import type { Fault } from './faults.js';
import type { SimImage } from './world-types.js';
import type { FleetSummary, GroupView, InstanceDetail } from './world-views.js';
import type { FailureState } from './launch-failures.js';
import type { LifecycleSettings } from './lifecycle.js';
import type { RequestLogEntry } from './request-log.js';

/** A non-2xx control reply; `body.error` names what was wrong. */
export class SimulatorControlError extends Error {
  override name = 'SimulatorControlError';
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    const detail =
      body && typeof body === 'object' && 'error' in body ? String(body.error) : JSON.stringify(body);
    super(`simulator control API ${status}: ${detail}`);
  }
}

function accountQuery(account: string | undefined): string {
  return account === undefined ? '' : `?account=${encodeURIComponent(account)}`;
}

export class SimulatorControl {
  readonly #base: string;

  constructor(url: string) {
    this.#base = url.replace(/\/+$/, '');
  }

  fleet(): Promise<FleetSummary> {
    return this.#call('GET', 'fleet');
  }

  /** Every image with what it baked (its spec), for callers that describe images in their own format. */
  images(): Promise<SimImage[]> {
    return this.#call('GET', 'images');
  }

  instance(id: string): Promise<InstanceDetail> {
    return this.#call('GET', `instances/${encodeURIComponent(id)}`);
  }

  drift(id: string, change: DriftChange): Promise<InstanceDetail> {
    return this.#call('POST', `instances/${encodeURIComponent(id)}/drift`, change);
  }

  reset(id: string): Promise<InstanceDetail> {
    return this.#call('POST', `instances/${encodeURIComponent(id)}/reset`);
  }

  /** `account` launches into another account's fleet (default: the simulator's default account). */
  launch(spec: LaunchSpec, account?: string): Promise<InstanceDetail> {
    return this.#call('POST', `instances${accountQuery(account)}`, spec);
  }

  launchBulk(spec: BulkLaunchSpec, account?: string): Promise<{ count: number; instanceIds: string[] }> {
    return this.#call('POST', `instances/bulk${accountQuery(account)}`, spec);
  }

  /** Registers (or replaces) an IAM role STS AssumeRole may assume; `deny: true` makes it AccessDenied. */
  role(spec: RoleSpec): Promise<SimRole> {
    return this.#call('POST', 'roles', spec);
  }

  async roles(): Promise<SimRole[]> {
    return (await this.#call<{ roles: SimRole[] }>('GET', 'roles')).roles;
  }

  accounts(): Promise<{
    defaultAccount: string;
    accounts: { account: string; instances: number; roles: string[] }[];
  }> {
    return this.#call('GET', 'accounts');
  }

  terminate(id: string): Promise<InstanceDetail> {
    return this.#call('DELETE', `instances/${encodeURIComponent(id)}`);
  }

  addImage(spec: AddImageSpec): Promise<SimImage> {
    return this.#call('POST', 'images', spec);
  }

  fault(spec: FaultSpec): Promise<Fault> {
    return this.#call('POST', 'faults', spec);
  }

  async clearFaults(): Promise<void> {
    await this.#call('DELETE', 'faults');
  }

  async groups(region?: string): Promise<GroupView[]> {
    const query = region === undefined ? '' : `?region=${encodeURIComponent(region)}`;
    const reply = await this.#call<{ groups: GroupView[] }>('GET', `groups${query}`);
    return reply.groups;
  }

  group(name: string, region?: string): Promise<GroupView> {
    const query = region === undefined ? '' : `?region=${encodeURIComponent(region)}`;
    return this.#call('GET', `groups/${encodeURIComponent(name)}${query}`);
  }

  /** `{kind:'launchFails', count}` or `{kind:'neverHealthy', group?, imageId?}`; returns all active failures. */
  failure(spec: FailureSpec): Promise<FailureState> {
    return this.#call('POST', 'failures', spec);
  }

  async clearFailures(): Promise<void> {
    await this.#call('DELETE', 'failures');
  }

  /** Changes how long pending, status checks and shutting-down take; returns the settings now in force. */
  lifecycle(spec: LifecycleSpec = {}): Promise<LifecycleSettings> {
    return this.#call('POST', 'lifecycle', spec);
  }

  /** AWS Config: deletes an instance's SSM inventory item (it drops out of every query). */
  deleteInventory(instanceId: string): Promise<{ deleted: boolean }> {
    return this.#call('DELETE', `config/inventory/${encodeURIComponent(instanceId)}`);
  }

  /** AWS Config: `{unprocessedKeys: N}` makes the next N BatchGetResourceConfig keys come back unprocessed. */
  config(spec: ConfigSpec): Promise<ConfigSpec> {
    return this.#call('POST', 'config', spec);
  }

  async requests(since?: number): Promise<RequestLogEntry[]> {
    const query = since === undefined ? '' : `?since=${since}`;
    const reply = await this.#call<{ requests: RequestLogEntry[] }>('GET', `requests${query}`);
    return reply.requests;
  }

  async clearRequests(): Promise<void> {
    await this.#call('DELETE', 'requests');
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    const response = await fetch(`${this.#base}/_sim/${path}`, init);
    const text = await response.text();
    const json: unknown = text === '' ? null : JSON.parse(text);
    if (!response.ok) throw new SimulatorControlError(response.status, json);
    return json as T;
  }
}
