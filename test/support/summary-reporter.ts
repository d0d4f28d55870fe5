// Prints the plain closing lines CI reads: each test's `summary` annotations (the adversarial suite's
// one line per family), then `tests: N passed, N failed, N skipped`.
import type { Reporter, TestModule } from 'vitest/node';

/** The annotation type whose messages are printed at the end of the run (`annotate(line, SUMMARY)`). */
export const SUMMARY = 'summary';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: readonly TestModule[]): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const lines: string[] = [];
    for (const module of testModules) {
      // A file whose setup failed (a beforeAll hook, an import) fails the run: its tests that did
      // not pass count as failed, and a file with no tests at all counts as one failure.
      const moduleFailed = module.state() === 'failed';
      let tests = 0;
      for (const test of module.children.allTests()) {
        tests++;
        for (const annotation of test.annotations())
          if (annotation.type === SUMMARY) lines.push(annotation.message);
        const state = test.result().state;
        if (state === 'passed') passed++;
        // A test left out by a filter (`-t`, `.skip`) stays skipped even in a failed file.
        else if (
          state === 'failed' ||
          (moduleFailed && test.options.mode !== 'skip' && test.options.mode !== 'todo')
        )
          failed++;
        else skipped++;
      }
      if (moduleFailed && tests === 0) failed++;
    }
    if (lines.length > 0) process.stdout.write(`\n${[...lines].sort().join('\n')}\n`);
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
