// One EC2, Auto Scaling and Config client per account+region, sharing that account+region's request budget.
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { ConfigServiceClient } from '@aws-sdk/client-config-service';
import { EC2Client } from '@aws-sdk/client-ec2';
import { TerminalError } from '../domain/errors.js';
import { instrumentClient, type AwsRequestRecorder } from '../sources/aws/aws-middleware.js';
import { RequestBudget } from '../sources/aws/request-budget.js';

export interface AwsClientsOptions {
  endpoint: string | undefined;
  maxAttempts: number;
  maxRequestsPerSecond: number;
  record: AwsRequestRecorder;
}

export interface ClientKey {
  account: string | null;
  region: string;
  roleArn?: string | null;
}

interface ClientSet {
  ec2: EC2Client;
  asg: AutoScalingClient;
  config: ConfigServiceClient;
}

export class AwsClients {
  private readonly sets = new Map<string, ClientSet>();

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

  destroy(): void {
    for (const { ec2, asg, config } of this.sets.values()) {
      ec2.destroy();
      asg.destroy();
      config.destroy();
    }
    this.sets.clear();
  }

  private set(key: ClientKey): ClientSet {
    if (key.roleArn) {
      throw new TerminalError(
        `target ${key.region} has roleArn ${key.roleArn}: cross-account AssumeRole is not supported yet`,
      );
    }
    const id = `${key.account ?? 'default'}/${key.region}`;
    let set = this.sets.get(id);
    if (!set) {
      const { endpoint, maxAttempts, maxRequestsPerSecond, record } = this.options;
      const budget = new RequestBudget({ maxRequestsPerSecond });
      const ec2 = new EC2Client({ region: key.region, endpoint, maxAttempts });
      const asg = new AutoScalingClient({ region: key.region, endpoint, maxAttempts });
      instrumentClient(ec2, { service: 'ec2', budget, record });
      const config = new ConfigServiceClient({ region: key.region, endpoint, maxAttempts });
      instrumentClient(asg, { service: 'autoscaling', budget, record });
      instrumentClient(config, { service: 'config', budget, record });
      set = { ec2, asg, config };
      this.sets.set(id, set);
    }
    return set;
  }
}
