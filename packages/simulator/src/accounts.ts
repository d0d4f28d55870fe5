// Simulated AWS accounts: one fleet per account, the IAM roles STS may assume, and the keys it issued.
import { randomBytes } from 'node:crypto';
import type { RoleSpec } from './control-schemas.js';
import { SimWorld, type SimWorldOptions } from './sim-world.js';
import { deriveSeed } from './prng.js';
import { SimulatorInputError } from './sim-errors.js';

const ROLE_ARN = /^arn:aws(?:-[a-z]+)*:iam::(\d{12}):role\/([\w+=,.@/-]{1,512})$/;

export interface SimRole {
  roleArn: string;
  /** The account that owns the role; credentials it issues act on this account's fleet. */
  account: string;
  /** When set, AssumeRole must present exactly this ExternalId. */
  externalId: string | null;
  /** Every AssumeRole is refused with AccessDenied (a trust policy that does not trust the caller). */
  deny: boolean;
  /** Caps the lifetime of issued credentials below DurationSeconds (a simulator knob for refresh tests). */
  maxSessionSeconds: number | null;
  /** Successful AssumeRole calls so far. */
  assumed: number;
}

/** Who a request acts as: the account its access key belongs to. */
export interface Caller {
  account: string;
  accessKeyId: string;
  /** The role whose AssumeRole issued the key; null for long-term (default-account) keys. */
  roleArn: string | null;
  /** True when the key was issued by AssumeRole and has expired. */
  expired: boolean;
}

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

interface IssuedKey {
  role: SimRole;
  expiresAtMs: number;
}

export function accountOfRoleArn(roleArn: string): string | undefined {
  return ROLE_ARN.exec(roleArn)?.[1];
}

/**
 * The seeded fleet belongs to the default account. Other accounts get their own SimWorld (their
 * own instances, groups, templates and snapshots) on first use; they see the default account's
 * images as a central bake pipeline's AMIs shared with member accounts.
 */
export class AccountRegistry {
  readonly #fleets = new Map<string, SimWorld>();
  readonly #roles = new Map<string, SimRole>();
  readonly #keys = new Map<string, IssuedKey>();

  constructor(
    readonly defaultFleet: SimWorld,
    private readonly options: SimWorldOptions = {},
  ) {
    this.#fleets.set(defaultFleet.account, defaultFleet);
  }

  get defaultAccount(): string {
    return this.defaultFleet.account;
  }

  /** The account's fleet, created empty on first use. */
  fleet(account: string): SimWorld {
    if (!/^\d{12}$/.test(account)) throw new SimulatorInputError('account', 'expected a 12-digit account id');
    let fleet = this.#fleets.get(account);
    if (!fleet) {
      const base = this.defaultFleet;
      fleet = new SimWorld(
        {
          account,
          seed: deriveSeed(base.seed, `account:${account}`),
          regions: [...base.regions],
          images: [...base.images],
          instances: [],
          ...base.network,
          instanceProfileIds: {},
        },
        this.options,
      );
      this.#fleets.set(account, fleet);
    }
    return fleet;
  }

  /** Every account with a fleet, the default first. */
  fleets(): SimWorld[] {
    return [...this.#fleets.values()];
  }

  /** The fleet holding an instance id (ids are unique across accounts, as in AWS). */
  fleetOfInstance(instanceId: string): SimWorld | undefined {
    return this.fleets().find((fleet) => fleet.instance(instanceId) !== undefined);
  }

  /** Creates or replaces a role; re-registering keeps its counter, so `deny` can be toggled. */
  putRole(spec: RoleSpec): SimRole {
    const fromArn = accountOfRoleArn(spec.roleArn);
    if (fromArn === undefined)
      throw new SimulatorInputError('roleArn', 'expected arn:aws:iam::<12 digits>:role/<name>');
    if (spec.account !== undefined && spec.account !== fromArn)
      throw new SimulatorInputError(
        'account',
        `account ${spec.account} is not the account of the role (${fromArn})`,
      );
    this.fleet(fromArn);
    const role: SimRole = {
      roleArn: spec.roleArn,
      account: fromArn,
      externalId: spec.externalId ?? null,
      deny: spec.deny ?? false,
      maxSessionSeconds: spec.maxSessionSeconds ?? null,
      assumed: this.#roles.get(spec.roleArn)?.assumed ?? 0,
    };
    this.#roles.set(spec.roleArn, role);
    return role;
  }

  role(roleArn: string): SimRole | undefined {
    return this.#roles.get(roleArn);
  }

  roles(): SimRole[] {
    return [...this.#roles.values()].sort((a, b) => a.roleArn.localeCompare(b.roleArn));
  }

  /** Temporary credentials for a role, remembered so requests signed with them act on its account. */
  issue(role: SimRole, expiresAtMs: number): IssuedCredentials {
    // Random, not seeded: keys never appear in a fleet's output, and must not repeat across runs.
    const accessKeyId = `ASIA${randomBytes(10).toString('hex').toUpperCase().slice(0, 16)}`;
    this.#keys.set(accessKeyId, { role, expiresAtMs });
    role.assumed += 1;
    return {
      accessKeyId,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(48).toString('base64'),
      expiration: new Date(expiresAtMs),
    };
  }

  /** Issued keys act on their role's account; any other key is the default account's. */
  caller(accessKeyId: string, nowMs: number): Caller {
    const issued = this.#keys.get(accessKeyId);
    if (!issued) return { account: this.defaultAccount, accessKeyId, roleArn: null, expired: false };
    return {
      account: issued.role.account,
      accessKeyId,
      roleArn: issued.role.roleArn,
      expired: nowMs >= issued.expiresAtMs,
    };
  }
}
