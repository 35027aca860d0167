/**
 * The integration suites' one test runner: each case is timed, printed as `ok`/`FAIL` for the
 * launcher's log, and collected for the suite's report. Shared by suite.ts (with its zh-cn part)
 * and restrictedSuite.ts.
 */
export interface TestResult {
  name: string;
  ok: boolean;
  ms: number;
  detail: string;
}

export type Test = (name: string, fn: () => Promise<string | void>) => Promise<void>;

/** A `test(name, fn)` that appends each case's result to `results`. */
export function tester(results: TestResult[]): Test {
  return async (name, fn) => {
    const t0 = Date.now();
    try {
      const detail = (await fn()) ?? '';
      results.push({ name, ok: true, ms: Date.now() - t0, detail });
      console.log(`  ok   ${name} (${Date.now() - t0} ms) ${detail}`);
    } catch (e) {
      const detail = e instanceof Error ? (e.stack ?? e.message) : String(e);
      results.push({ name, ok: false, ms: Date.now() - t0, detail });
      console.log(`  FAIL ${name} (${Date.now() - t0} ms)\n${detail}`);
    }
  };
}
