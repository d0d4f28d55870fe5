// How far V8 lets the daemon's heaps grow past what they hold before a full collection.
import { setFlagsFromString } from 'node:v8';

/**
 * V8 grows a heap to up to 4× what the last full collection left when the heap's limit is 2 GiB or
 * more (Node's default on a machine with 16 GiB or more), and to 1.3× on a small device. A daemon
 * serving 8 clients holds about 40 MB on its main thread; at 4× its request garbage took the heap
 * to 180 MB. 30 % is the factor V8 itself picks for small heaps. The flag is read at every full
 * collection, so setting it at start takes effect on the main thread and on every thread started
 * after; `node --heap-growing-percent=N` on the command line still wins.
 */
export const HEAP_GROWING_PERCENT = 30;

export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): void {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg))) return;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
