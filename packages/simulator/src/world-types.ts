// Data shapes of the simulated fleet: images with their baked spec, and instances as EC2 sees them.

export type InstanceStateName =
  'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

/** EC2's numeric state codes, sent alongside the name like the real API. */
export const INSTANCE_STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export interface HostFile {
  sha256: string;
  mode: string;
  owner: string;
}

/** What an on-host agent would report: each map is the complete set it knows about. */
export interface HostFingerprint {
  packages: Record<string, string>;
  files: Record<string, HostFile>;
  services: Record<string, string>;
}

/** What the pipeline baked into an image: the launch settings and host state instances should keep. */
export interface BakedSpec {
  instanceTypes: string[];
  iamInstanceProfileArn: string;
  securityGroupIds: string[];
  httpTokens: 'required' | 'optional';
  userData: string;
  userDataSha256: string;
  requiredTags: Record<string, string>;
  host: HostFingerprint;
}

export interface SimImage {
  imageId: string;
  region: string;
  ownerId: string;
  name: string;
  channel: string;
  builtAt: string;
  state: 'available' | 'pending' | 'deregistered';
  source: { packerRunUuid: string; gitCommit: string };
  tags: Record<string, string>;
  spec: BakedSpec;
}

export interface SimSecurityGroup {
  groupId: string;
  groupName: string;
  region: string;
}

export interface SimSubnet {
  subnetId: string;
  vpcId: string;
  region: string;
  availabilityZone: string;
  /** First two octets of the subnet's private range, e.g. "10.1". */
  cidrPrefix: string;
  /** Third octet of the subnet's private range. */
  thirdOctet: number;
}

export interface SimInstance {
  instanceId: string;
  region: string;
  reservationId: string;
  /** Channel of the image it was launched from (null for an image nobody baked). */
  channel: string | null;
  imageId: string;
  state: InstanceStateName;
  instanceType: string;
  iamInstanceProfile: { arn: string; id: string } | null;
  securityGroupIds: string[];
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  privateIpAddress: string;
  launchTime: string;
  metadataOptions: { httpTokens: 'required' | 'optional'; httpEndpoint: 'enabled' | 'disabled' };
  /** Map, not object: tag keys are user input and may be anything (even "__proto__"). */
  tags: Map<string, string>;
  /** Plain text; EC2 returns it base64-encoded, only through DescribeInstanceAttribute. */
  userData: string | null;
  host: HostFingerprint;
}

/** A generated fleet: plain data, handed to SimWorld which owns it from then on. */
export interface Fleet {
  account: string;
  seed: number;
  regions: string[];
  images: SimImage[];
  instances: SimInstance[];
  securityGroups: SimSecurityGroup[];
  subnets: SimSubnet[];
  instanceProfileIds: Record<string, string>;
}
