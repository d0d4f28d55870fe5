// One EC2, Auto Scaling and Config client per account+region+role, sharing that key's request budget; roles via STS AssumeRole.
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { ConfigServiceClient } from '@aws-sdk/client-config-service';
import { EC2Client } from '@aws-sdk/client-ec2';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { instrumentClient, type AwsRequestRecorder } from './aws-middleware.js';
import { Ec2ScanProtocol } from './ec2-scan-protocol.js';
import { RequestBudget } from './request-budget.js';
import { assumeRoleCredentials } from './assume-role-credentials.js';

export interface AwsClientsOptions {
  endpoint: string | undefined;
  maxAttempts: number;
  maxRequestsPerSecond: number;
  record: AwsRequestRecorder;
  /** Injected into the AssumeRole credential cache (tests); defaults to the wall clock. */
  now?: () => number;
  /** Per attempt, for every client (default 30 s; tests shorten it). */
  requestTimeoutMs?: number;
  /**
   * Another thread's budget for this client key (see `AwsClients.budgetState`), so both threads
   * draw from one budget; undefined = a budget of this instance's own.
   */
  sharedBudget?: (keyId: string) => SharedArrayBuffer | undefined;
  /**
   * Credentials of a key with a `roleArn` from elsewhere (a listing thread asks the scan thread,
   * which assumes each role once); undefined = assumed here through STS.
   */
  roleCredentials?: (key: ClientKey) => AwsCredentialIdentityProvider | undefined;
  /**
   * These clients only scan: a successful DescribeInstances is read for the fields a scan uses
   * (Ec2ScanProtocol), several times faster than the SDK's parser. Never for replacements.
   */
  scanOnly?: boolean;
}

export interface ClientKey {
  account: string | null;
  region: string;
  roleArn?: string | null;
  externalId?: string | null;
}

interface ClientSet {
  ec2: EC2Client;
  asg: AutoScalingClient;
  config: ConfigServiceClient;
  budget: RequestBudget;
  /** Undefined: the SDK's default credential chain. */
  credentials: AwsCredentialIdentityProvider | undefined;
}

interface AssumedRole {
  sts: STSClient;
  credentials: AwsCredentialIdentityProvider;
}

/**
 * Every attempt gives up after these (and the SDK retries it): a black-holed endpoint must not hang
 * a scan, or the AssumeRole inside credential resolution, which no abort signal reaches.
 */
function requestTimeouts(requestTimeoutMs = 30_000): {
  connectionTimeout: number;
  requestTimeout: number;
  throwOnRequestTimeout: boolean;
} {
  // Without throwOnRequestTimeout the handler only logs a warning and keeps waiting.
  return {
    connectionTimeout: Math.min(5_000, requestTimeoutMs),
    requestTimeout: requestTimeoutMs,
    throwOnRequestTimeout: true,
  };
}

/** The identity clients, budgets and credentials are kept under: account, region and role. */
export function clientKeyId(key: ClientKey): string {
  return `${key.account ?? 'default'}/${key.region}/${key.roleArn ?? ''}`;
}

export class AwsClients {
  private readonly sets = new Map<string, ClientSet>();
  private readonly roles = new Map<string, AssumedRole>();

  constructor(private readonly options: AwsClientsOptions) {}

  ec2(key: ClientKey): EC2Client {
    return this.set(key).ec2;
  }

  autoScaling(key: ClientKey): AutoScalingClient {
    return this.set(key).asg;
  }

  /** AWS Config, for the SSM inventory source. */
  config(key: ClientKey): ConfigServiceClient {
    return this.set(key).config;
  }

  /** The credentials a key's clients sign with: its role's (cached, refreshed), or null for the default chain. */
  roleCredentials(key: ClientKey): Promise<AwsCredentialIdentity> | null {
    const credentials = this.set(key).credentials;
    return credentials ? credentials() : null;
  }

  /** The shared memory of this key's request budget, for a thread that calls the same key. */
  budgetState(key: ClientKey): SharedArrayBuffer {
    return this.set(key).budget.state;
  }

  destroy(): void {
    for (const { ec2, asg, config } of this.sets.values()) {
      ec2.destroy();
      asg.destroy();
      config.destroy();
    }
    for (const { sts } of this.roles.values()) sts.destroy();
    this.sets.clear();
    this.roles.clear();
  }

  private set(key: ClientKey): ClientSet {
    const id = clientKeyId(key);
    let set = this.sets.get(id);
    if (!set) {
      const { endpoint, maxAttempts, maxRequestsPerSecond, record } = this.options;
      const state = this.options.sharedBudget?.(id);
      const budget = new RequestBudget({ maxRequestsPerSecond, ...(state ? { state } : {}) });
      // No roleArn: the SDK's default credential chain, as before.
      const credentials = key.roleArn
        ? (this.options.roleCredentials?.(key) ??
          this.role(key.roleArn, key.externalId ?? null, key.region, budget))
        : undefined;
      const common = {
        region: key.region,
        endpoint,
        maxAttempts,
        requestHandler: requestTimeouts(this.options.requestTimeoutMs),
        ...(credentials ? { credentials } : {}),
      };
      const ec2 = new EC2Client(this.options.scanOnly ? { ...common, protocol: Ec2ScanProtocol } : common);
      const asg = new AutoScalingClient(common);
      const config = new ConfigServiceClient(common);
      instrumentClient(ec2, { service: 'ec2', budget, record });
      instrumentClient(asg, { service: 'autoscaling', budget, record });
      instrumentClient(config, { service: 'config', budget, record });
      set = { ec2, asg, config, budget, credentials };
      this.sets.set(id, set);
    }
    return set;
  }

  /**
   * One credential cache per role (and external id) for all of its regions: STS credentials work
   * in every region, so a role scanned in ten regions is assumed once, through STS in the first
   * region that needed it, under that region's budget.
   */
  private role(
    roleArn: string,
    externalId: string | null,
    region: string,
    budget: RequestBudget,
  ): AwsCredentialIdentityProvider {
    const id = `${roleArn}\u0000${externalId ?? ''}`;
    let role = this.roles.get(id);
    if (!role) {
      const { endpoint, maxAttempts, record, now } = this.options;
      const sts = new STSClient({
        region,
        endpoint,
        maxAttempts,
        requestHandler: requestTimeouts(this.options.requestTimeoutMs),
      });
      instrumentClient(sts, { service: 'sts', budget, record });
      role = {
        sts,
        credentials: assumeRoleCredentials({ sts, roleArn, externalId, ...(now ? { now } : {}) }),
      };
      this.roles.set(id, role);
    }
    return role.credentials;
  }
}

/**
 * The role an instance's replacement must use: that of the target it was scanned from (same
 * account and region, else same account). Jobs carry only account and region.
 */
export function roleForAccount(
  targets: readonly ClientKey[],
): (key: { account: string | null; region: string }) => Pick<ClientKey, 'roleArn' | 'externalId'> {
  return ({ account, region }) => {
    const target =
      targets.find((t) => t.account === account && t.region === region) ??
      targets.find((t) => t.account === account);
    return { roleArn: target?.roleArn ?? null, externalId: target?.externalId ?? null };
  };
}
