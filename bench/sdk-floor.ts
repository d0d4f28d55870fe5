// The baseline every scan figure is compared with: bare, single-threaded SDK pagination of DescribeInstances.
import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';

/** Pages through every instance of the client's region with the largest page size; returns their ids. */
export async function listInstanceIds(client: EC2Client): Promise<string[]> {
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new DescribeInstancesCommand({ MaxResults: 1000, NextToken: token }));
    for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) ids.push(i.InstanceId ?? '');
    token = page.NextToken;
  } while (token);
  return ids;
}
