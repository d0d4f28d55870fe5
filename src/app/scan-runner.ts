// Serialises scans: never two at once; triggers during a scan coalesce into one follow-up scan.
import type { ScanReport } from './scan-cycle.js';

export type RunScan = (signal: AbortSignal) => Promise<ScanReport>;

export class ScanRunner {
  private current: Promise<ScanReport> | null = null;
  private queued: Promise<ScanReport> | null = null;
  private controller: AbortController | null = null;
  private stopped = false;
  lastReport: ScanReport | null = null;

  constructor(private readonly run: RunScan) {}

  get running(): boolean {
    return this.current !== null;
  }

  /** Starts a scan now, or — if one is running — the single scan that follows it. */
  trigger(): Promise<ScanReport> {
    if (this.stopped) return Promise.reject(new Error('scanner is stopping'));
    if (this.current === null) return this.start();
    this.queued ??= this.current.then(
      () => this.startQueued(),
      () => this.startQueued(),
    );
    return this.queued;
  }

  /** Aborts the running scan and waits for it to settle; no new scans start afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.controller?.abort(new Error('shutting down'));
    await Promise.allSettled([this.current, this.queued].filter((p) => p !== null));
  }

  private startQueued(): Promise<ScanReport> {
    this.queued = null;
    if (this.stopped) return Promise.reject(new Error('scanner is stopping'));
    return this.start();
  }

  private start(): Promise<ScanReport> {
    this.controller = new AbortController();
    const promise = this.run(this.controller.signal).then((report) => {
      this.lastReport = report;
      return report;
    });
    this.current = promise;
    const clear = (): void => {
      if (this.current === promise) {
        this.current = null;
        this.controller = null;
      }
    };
    promise.then(clear, clear);
    return promise;
  }
}
