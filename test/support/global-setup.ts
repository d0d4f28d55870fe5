// Builds dist/ once so tests that spawn the real CLI run the current sources.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript7/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
}
