// The simulator's HTTP front door: /_sim/* goes to the control API, everything else is AWS.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { Caller } from './accounts.js';
import { handleControlRequest, type ControlApiDeps } from './control-api.js';
import { serveImds } from './imds.js';
import { asgErrorReply, handleAutoScalingRequest } from './asg-service.js';
import { configErrorReply, handleConfigRequest, readConfigRequest } from './config-service.js';
import { errorReply, handleEc2Request, type AwsReply } from './ec2-service.js';
import type { SimWorld } from './sim-world.js';
import { accessKeyId, credentialScope, parseQueryBody, type QueryParams } from './query-protocol.js';
import { Ec2ApiError } from './sim-errors.js';
import { handleStsRequest, stsErrorReply } from './sts-service.js';

export type SimulatorServerDeps = ControlApiDeps;

const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** One AWS request, attributed to the account of the access key that signed it. */
interface AwsCall {
  deps: SimulatorServerDeps;
  caller: Caller;
  /** The caller's account's fleet: EC2 and Auto Scaling see and change only this one. */
  fleet: SimWorld;
  region: string;
  params: QueryParams;
}

/** The Query protocols also allow GET with the parameters in the query string. */
function readQueryRequest(req: IncomingMessage, url: URL, body: string): Map<string, string> {
  return req.method === 'GET' ? new Map(url.searchParams) : parseQueryBody(body);
}

/** JSON 1.1 names the operation in X-Amz-Target; the body's fields become the logged params. */
function readJsonRequest(req: IncomingMessage, _url: URL, body: string): Map<string, string> {
  const target = req.headers['x-amz-target'];
  return readConfigRequest(Array.isArray(target) ? target[0] : target, body);
}

/** Services by their SigV4 signing name (the credential scope's service). */
const SERVICES = {
  ec2: {
    read: readQueryRequest,
    handle: (c: AwsCall) => handleEc2Request(c.fleet, c.region, c.params),
    errorReply,
  },
  autoscaling: {
    read: readQueryRequest,
    handle: (c: AwsCall) => handleAutoScalingRequest(c.fleet, c.region, c.params),
    errorReply: asgErrorReply,
  },
  sts: {
    read: readQueryRequest,
    handle: ({ deps, caller, fleet, params }: AwsCall) =>
      handleStsRequest({ accounts: deps.accounts, caller, nowMs: fleet.currentTime().getTime(), params }),
    errorReply: stsErrorReply,
  },
  config: {
    read: readJsonRequest,
    handle: (c: AwsCall) => handleConfigRequest(c.fleet, c.region, c.params),
    errorReply: configErrorReply,
  },
} satisfies Record<
  string,
  { read: typeof readQueryRequest; handle: (call: AwsCall) => AwsReply; errorReply: typeof errorReply }
>;

function isSpokenService(service: string): service is keyof typeof SERVICES {
  return Object.hasOwn(SERVICES, service);
}

class BodyTooLargeError extends Error {}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError('request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, json: unknown): void {
  const body = JSON.stringify(json);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function sendReply(res: ServerResponse, reply: AwsReply): void {
  res.writeHead(reply.status, {
    'content-type': reply.contentType ?? 'text/xml;charset=UTF-8',
    'content-length': Buffer.byteLength(reply.body),
    'x-amzn-requestid': reply.requestId,
  });
  res.end(reply.body);
}

async function serveAws(
  deps: SimulatorServerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  body: string,
): Promise<void> {
  const scope = credentialScope(req.headers.authorization);
  const region = scope?.region ?? null;
  const service = scope?.service ?? 'ec2';
  const params = (isSpokenService(service) ? SERVICES[service].read : readQueryRequest)(req, url, body);
  const action = params.get('Action') ?? '';
  let reply: AwsReply;
  let account: string | undefined;
  if (!scope) {
    reply = errorReply(
      new Ec2ApiError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403),
    );
  } else if (!isSpokenService(service)) {
    reply = errorReply(new Ec2ApiError('InvalidAction', `The simulator does not speak service ${service}.`));
  } else {
    const speak = SERVICES[service];
    const caller = deps.accounts.caller(
      accessKeyId(req.headers.authorization) ?? '',
      deps.fleet.currentTime().getTime(),
    );
    account = caller.account;
    const fleet = deps.accounts.fleet(caller.account);
    // Time-driven state moves first, so even a faulted request sees (and leaves) a current fleet;
    // a continuation read reconciles nothing (see readWithoutReconcile).
    const continuation =
      (action === 'DescribeInstances' && params.has('NextToken')) || action === 'DescribeInstanceAttribute';
    if (!continuation) fleet.advance();
    if (caller.expired) {
      reply = speak.errorReply(
        new Ec2ApiError('ExpiredToken', 'The security token included in the request is expired'),
      );
    } else {
      const fault = deps.faults.apply(scope.region, action, service);
      if (fault.delayMs > 0) await delay(fault.delayMs);
      reply = fault.error
        ? speak.errorReply(fault.error)
        : continuation
          ? fleet.readWithoutReconcile(() =>
              speak.handle({ deps, caller, fleet, region: scope.region, params }),
            )
          : speak.handle({ deps, caller, fleet, region: scope.region, params });
    }
  }
  const entry = {
    at: new Date().toISOString(),
    region,
    service,
    action,
    params: Object.fromEntries(params),
    status: reply.status,
    ...(account === undefined ? {} : { account }),
  };
  deps.log.record(reply.errorCode === undefined ? entry : { ...entry, errorCode: reply.errorCode });
  sendReply(res, reply);
}

async function serve(deps: SimulatorServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://simulator.local');
  const body = await readBody(req);
  if (serveImds(deps.accounts, req, res, url.pathname)) return;
  if (url.pathname === '/_sim' || url.pathname.startsWith('/_sim/')) {
    const segments = url.pathname
      .split('/')
      .slice(2)
      .filter((s) => s !== '')
      .map(decodeURIComponent);
    const reply = handleControlRequest(deps, {
      method: req.method ?? 'GET',
      segments,
      query: url.searchParams,
      body,
    });
    sendJson(res, reply.status, reply.json);
    return;
  }
  await serveAws(deps, req, res, url, body);
}

export function createSimulatorServer(deps: SimulatorServerDeps): Server {
  return createServer((req, res) => {
    serve(deps, req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof BodyTooLargeError) sendJson(res, 413, { error: error.message });
      else sendJson(res, 500, { error: `simulator failure: ${String(error)}` });
    });
  });
}
