// Preload (`node --import`) for the agent bench: writes the process's peak RSS in KiB to $BENCH_MAX_RSS_FILE on exit.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_MAX_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
