// Builds dist/ once (the simulator package first, then the product) so tests run the current sources.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  for (const project of ['packages/simulator/tsconfig.build.json', 'tsconfig.build.json']) {
    execFileSync(process.execPath, ['node_modules/typescript7/bin/tsc', '-p', project], { stdio: 'inherit' });
  }
}
