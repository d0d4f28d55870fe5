// The instance id from IMDSv2: a session token (PUT), then the metadata read with that token.
import { fetchWithRetry, HttpFailure, type RetryOptions } from './http-retry.js';

export const DEFAULT_IMDS_ENDPOINT = 'http://169.254.169.254';

export async function instanceIdFromImds(endpoint: string, retry: RetryOptions): Promise<string> {
  const base = endpoint.replace(/\/+$/, '');
  const tokenResponse = await fetchWithRetry(
    `${base}/latest/api/token`,
    { method: 'PUT', headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '300' } },
    retry,
  );
  if (!tokenResponse.ok) {
    throw new HttpFailure(
      tokenResponse.status,
      `IMDSv2 token request to ${base} answered HTTP ${tokenResponse.status}`,
    );
  }
  const token = await tokenResponse.text();
  const idResponse = await fetchWithRetry(
    `${base}/latest/meta-data/instance-id`,
    { headers: { 'X-aws-ec2-metadata-token': token } },
    retry,
  );
  const id = (await idResponse.text()).trim();
  if (!idResponse.ok || !/^i-[0-9a-f]{8,17}$/.test(id)) {
    throw new HttpFailure(
      idResponse.status,
      `IMDS ${base} did not return an instance id (HTTP ${idResponse.status})`,
    );
  }
  return id;
}
