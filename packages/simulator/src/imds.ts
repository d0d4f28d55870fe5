// IMDSv2 for one simulated instance at /_imds/<instance-id>/…: a token from PUT /latest/api/token, then metadata reads with it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccountRegistry } from './accounts.js';

const PREFIX = '/_imds/';

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(text);
}

/** Handles the request when it is an IMDS path; false otherwise. Tokens are per instance, as each instance has its own IMDS. */
export function serveImds(
  accounts: AccountRegistry,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): boolean {
  if (!pathname.startsWith(PREFIX)) return false;
  const [instanceId = '', ...rest] = pathname.slice(PREFIX.length).split('/');
  const path = `/${rest.join('/')}`;
  // Every account's instances have their own IMDS.
  const instance = accounts.fleetOfInstance(instanceId)?.instance(instanceId);
  if (!instance || instance.state === 'terminated') {
    send(res, 404, 'Not Found');
    return true;
  }
  const token = `sim-imds-${instanceId}`;
  if (path === '/latest/api/token') {
    if (req.method !== 'PUT' || !req.headers['x-aws-ec2-metadata-token-ttl-seconds'])
      send(res, 400, 'Bad Request');
    else send(res, 200, token);
    return true;
  }
  if (req.headers['x-aws-ec2-metadata-token'] !== token) {
    send(res, 401, 'Unauthorized');
    return true;
  }
  if (path === '/latest/meta-data/instance-id') send(res, 200, instanceId);
  else send(res, 404, 'Not Found');
  return true;
}
