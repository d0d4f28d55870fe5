// AWS Config's recorded `AWS::SSM::ManagedInstanceInventory` items, derived from each instance's host state.
import { createHash } from 'node:crypto';
import type { SimInstance } from './world-types.js';

export const INVENTORY_RESOURCE_TYPE = 'AWS::SSM::ManagedInstanceInventory';

/** One recorded configuration item: Config keeps only the newest per resource for advanced queries. */
export interface InventoryItem {
  resourceId: string;
  region: string;
  accountId: string;
  captureTime: Date;
  /** Bumped on every new item, like Config's configurationStateId. */
  stateId: number;
  /** The `configuration` object, serialised as a JSON string on the wire. */
  configuration: Record<string, unknown>;
}

interface Recorded {
  digest: string;
  item: InventoryItem;
}

/** SSM inventory writes CaptureTime without milliseconds. */
function ssmTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Config's item for SSM inventory holds one key per inventory type; each has `SchemaVersion`,
 * `CaptureTime` and `Content`, an object whose values are the inventory entries (unlike SSM's own
 * GetInventory, where Content is a list). `AWS:InstanceInformation` is keyed by instance id,
 * `AWS:Application` here by package name; readers should use each entry's Name, not the key.
 */
function inventoryConfiguration(instance: SimInstance, captured: Date): Record<string, unknown> {
  const at = ssmTime(captured);
  const applications: Record<string, Record<string, string>> = {};
  for (const [name, version] of Object.entries(instance.host.packages).sort(([a], [b]) => (a < b ? -1 : 1))) {
    Object.defineProperty(applications, name, {
      value: {
        Name: name,
        Version: version,
        Architecture: 'amd64',
        Publisher: 'Debian',
        PackageId: `${name}_${version}_amd64.deb`,
        Summary: '',
        Release: '',
        URL: '',
        InstalledTime: instance.launchTime,
      },
      enumerable: true,
    });
  }
  return {
    'AWS:InstanceInformation': {
      SchemaVersion: '1.0',
      CaptureTime: at,
      Content: {
        [instance.instanceId]: {
          AgentType: 'amazon-ssm-agent',
          AgentVersion: '3.3.1142.0',
          ComputerName: `ip-${instance.privateIpAddress.replaceAll('.', '-')}.ec2.internal`,
          InstanceId: instance.instanceId,
          InstanceStatus: 'Active',
          IpAddress: instance.privateIpAddress,
          PlatformName: 'Debian GNU/Linux',
          PlatformType: 'Linux',
          PlatformVersion: '12',
          ResourceType: 'EC2Instance',
        },
      },
    },
    'AWS:Application': { SchemaVersion: '1.1', CaptureTime: at, Content: applications },
  };
}

function contentDigest(instance: SimInstance): string {
  const packages = Object.entries(instance.host.packages).sort(([a], [b]) => (a < b ? -1 : 1));
  return createHash('sha256').update(JSON.stringify(packages)).digest('hex');
}

/**
 * Records a new item whenever an instance's inventory content changes, the way SSM only reports
 * (and Config only records) changed inventory. Detection is lazy: `refresh` runs before every
 * Config request, so a drift injected between two requests gets the capture time of the next one.
 */
export class InventoryRecorder {
  readonly #recorded = new Map<string, Recorded>();
  #nextStateId = 1;
  #unprocessed = 0;
  /** Instances whose inventory was deleted (SSM deregistered): Config holds no item for them. */
  readonly #deregistered = new Set<string>();

  constructor(
    private readonly account: string,
    private readonly now: () => Date,
  ) {}

  /** Brings the recorded items of these instances up to date; gone instances drop out of queries. */
  refresh(instances: readonly SimInstance[]): void {
    for (const instance of instances) {
      if (instance.state === 'terminated' || instance.state === 'shutting-down') {
        this.#recorded.delete(instance.instanceId);
        continue;
      }
      if (this.#deregistered.has(instance.instanceId)) continue;
      const digest = contentDigest(instance);
      if (this.#recorded.get(instance.instanceId)?.digest === digest) continue;
      const captureTime = this.now();
      this.#recorded.set(instance.instanceId, {
        digest,
        item: {
          resourceId: instance.instanceId,
          region: instance.region,
          accountId: this.account,
          captureTime,
          stateId: this.#nextStateId++,
          configuration: inventoryConfiguration(instance, captureTime),
        },
      });
    }
  }

  /** Deletes an instance's inventory (as when SSM deregisters it): it drops out of every query. */
  deregister(instanceId: string): boolean {
    this.#deregistered.add(instanceId);
    return this.#recorded.delete(instanceId);
  }

  /** The next `count` keys asked for by BatchGetResourceConfig come back unprocessed (Config under load). */
  leaveUnprocessed(count: number): number {
    this.#unprocessed = count;
    return this.#unprocessed;
  }

  /** Spends one unprocessed key if any are left. */
  takeUnprocessed(): boolean {
    if (this.#unprocessed === 0) return false;
    this.#unprocessed--;
    return true;
  }

  /** Current (non-deleted) items of a region, sorted by resource id: the order pagination relies on. */
  items(region: string): InventoryItem[] {
    return [...this.#recorded.values()]
      .map((r) => r.item)
      .filter((item) => item.region === region)
      .sort((a, b) => (a.resourceId < b.resourceId ? -1 : 1));
  }

  item(region: string, resourceId: string): InventoryItem | undefined {
    const item = this.#recorded.get(resourceId)?.item;
    return item?.region === region ? item : undefined;
  }
}
