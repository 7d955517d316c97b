// vitest's runner, with one change: a test that did not run because its file's (or describe's) setup
// failed is reported as failed, with the setup's error, not as "skipped". A lab file whose VM died or
// whose reset failed must never look like a file with nothing to do (issue 13).
import { updateTask } from "@vitest/runner";
import type { Suite, Task, Test } from "@vitest/runner";
import { TestRunner } from "vitest";

const testsOf = (tasks: readonly Task[]): Test[] =>
  tasks.flatMap((t) => (t.type === "suite" ? testsOf(t.tasks) : t.type === "test" ? [t] : []));

export default class SetupFailuresFailRunner extends TestRunner {
  /** Tests that were meant to run when their suite started (not skipped by `.skip` or `-t`). */
  private readonly meantToRun = new WeakSet<Test>();

  override async onBeforeRunSuite(suite: Suite): Promise<void> {
    for (const test of testsOf(suite.tasks)) if (test.mode === "run" || test.mode === "queued") this.meantToRun.add(test);
    await super.onBeforeRunSuite(suite);
  }

  override async onAfterRunSuite(suite: Suite): Promise<void> {
    await super.onAfterRunSuite(suite);
    const errors = suite.result?.errors ?? [];
    if (suite.result?.state !== "fail" || errors.length === 0) return;
    const why = errors.map((e) => e.message).join("\n");
    for (const test of testsOf(suite.tasks)) {
      if (test.result?.state !== "skip" || !this.meantToRun.has(test)) continue;
      test.mode = "run";
      test.result = {
        ...test.result,
        state: "fail",
        errors: [{ name: "SetupFailed", message: `not run: the setup of "${suite.name}" failed:\n${why}` }],
      };
      updateTask("test-finished", test, this);
    }
  }
}
