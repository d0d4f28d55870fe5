// The HTTP app (API and web UI) over a store the test seeded itself, listening on 127.0.0.1 port 0.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Express } from 'express';
import { ScanRunner } from '../../src/app/scan-runner.js';
import { createHttpApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logging/logger.js';
import { Metrics } from '../../src/metrics/metrics.js';
import type { Store } from '../../src/store/index.js';

export interface StoreServer {
  url: string;
  get<T>(path: string): Promise<{ status: number; body: T }>;
  page(path: string): Promise<{ status: number; html: string }>;
  close(): Promise<void>;
}

/** The daemon's HTTP app over `store`, without tokens, scans or peers. */
export function createStoreApp(store: Store, clock: () => Date): Express {
  const logger = createLogger({ level: 'silent', destination: 2, pretty: false });
  return createHttpApp({
    manifests: store.manifests,
    fleet: store.fleet,
    views: store.views,
    hosts: store.hosts,
    hostMaxAgeMs: { agent: 3_600_000, 'aws-config': 86_400_000 },
    acceptances: store.acceptances,
    scans: new ScanRunner(() => Promise.reject(new Error('this test server does not scan'))),
    tokens: [],
    bodyLimit: '1mb',
    clock,
    metrics: new Metrics({
      fleet: store.fleet,
      manifests: store.manifests,
      clock,
      instanceDriftLimit: 10,
      jobs: store.jobs,
      remediation: store.remediation,
      reasons: store.reasons,
      targets: [],
      shard: { index: 0, count: 1 },
      rules: () => [],
      awsRequests: [],
    }),
    readiness: () => [],
    logger,
    remediation: {
      jobs: store.jobs,
      audit: store.audit,
      remediation: store.remediation,
      reasons: store.reasons,
      mode: 'approve',
    },
  });
}

export async function serveStore(store: Store, clock: () => Date): Promise<StoreServer> {
  const app = createStoreApp(store, clock);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async get<T>(path: string) {
      const response = await fetch(`${url}${path}`);
      return { status: response.status, body: (await response.json()) as T };
    },
    async page(path: string) {
      const response = await fetch(`${url}${path}`, { redirect: 'manual' });
      return { status: response.status, html: await response.text() };
    },
    close: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
