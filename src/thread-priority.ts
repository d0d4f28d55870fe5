// Lowers the calling thread's CPU priority, so the daemon's main thread (HTTP, /metrics) wins a busy core.
import { stat } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';

/**
 * Raises the calling thread's nice value to at least `niceness`. On Linux the nice value belongs to a
 * thread, and `setPriority(0, …)` changes only the calling one (threads it starts inherit it): a scan
 * or listing thread yields to the main thread under load and runs at full speed when the machine is
 * idle. Elsewhere, or where it is refused, nothing changes.
 */
export function lowerThreadPriority(niceness: number): void {
  if (niceness <= 0 || process.platform !== 'linux') return;
  try {
    if (getPriority(0) < niceness) setPriority(0, niceness);
  } catch {
    // Raising the nice value is always allowed on Linux; a sandbox that refuses it costs only latency.
  }
}

/**
 * Starts libuv's threadpool (file system, DNS, crypto, zlib) from the calling thread. Its threads
 * are created once, at first use, and inherit their creator's nice value: the main thread makes
 * sure they exist (loading ES modules has usually started them already) before a scan thread with a
 * lowered priority could start them, so the main thread's own I/O keeps its priority.
 */
export async function startThreadPool(): Promise<void> {
  await stat(process.cwd());
}
