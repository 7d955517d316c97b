import { defineConfig } from "vitest/config";
import LabGroupsSequencer from "./test/lab/sequencer";

// Three kinds of test, each its own vitest project:
// - unit: pure logic (parsers, schemas, diff and edit planning), milliseconds;
// - engine: the real Pulumi CLI driving a throwaway program, no lab needed;
// - lab: the provider and the stacks against the three OpenZFS VMs.
// Lab files share the VMs, so they run one at a time.
// A test not run because its file's (or describe's) setup failed counts as failed, with the setup's
// error, never as skipped (test/runner.ts). Projects do not inherit it: each names it.
const runner = "./test/runner.ts";

export default defineConfig({
  test: {
    reporters: ["default"],
    // Lab files grouped by the lab state they start from (test/lab/sequencer.ts).
    sequence: { sequencer: LabGroupsSequencer },
    // Within a project, one file at a time (lab files share the VMs). `make test` runs the engine
    // project beside the lab project, in two vitest processes (tools/test.sh).
    fileParallelism: false,
    projects: [
      {
        test: { name: "unit", include: ["test/unit/**/*.test.ts"], runner },
      },
      {
        test: {
          name: "engine",
          runner,
          include: ["test/engine/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "lab",
          runner,
          include: ["test/lab/**/*.test.ts", "test/e2e/**/*.test.ts"],
          globalSetup: ["test/lab/global-setup.ts"],
          // Before each file every VM is alive (a dead one restarted once per run); during it, a
          // watchdog fails the file within seconds of a VM's death, naming it (test/lab/guard.ts).
          setupFiles: ["test/lab/guard.ts"],
          testTimeout: 900_000,
          hookTimeout: 1_800_000,
          fileParallelism: false,
        },
      },
      // The benchmark (`make bench`, bench/): only when asked for, never in `make test`.
      ...(process.env.ZFSFLEET_BENCH
        ? [
            {
              test: {
                name: "bench",
                runner,
                include: ["bench/**/*.run.ts"],
                globalSetup: ["test/lab/global-setup.ts"],
                testTimeout: 4 * 3_600_000,
                hookTimeout: 3_600_000,
                fileParallelism: false,
              },
            },
          ]
        : []),
    ],
  },
});
