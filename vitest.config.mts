import { defineConfig } from "vitest/config";

// Three kinds of test, each its own vitest project:
// - unit: pure logic (parsers, schemas, diff and edit planning), milliseconds;
// - engine: the real Pulumi CLI driving a throwaway program, no lab needed;
// - lab: the provider and the stacks against the three OpenZFS VMs.
// Lab files share the VMs, so they run one at a time.
export default defineConfig({
  test: {
    reporters: ["default"],
    // Lab and engine files share VMs and the CPU; unit files are fast anyway.
    fileParallelism: false,
    projects: [
      {
        test: { name: "unit", include: ["test/unit/**/*.test.ts"] },
      },
      {
        test: {
          name: "engine",
          include: ["test/engine/**/*.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "lab",
          include: ["test/lab/**/*.test.ts", "test/e2e/**/*.test.ts"],
          globalSetup: ["test/lab/global-setup.ts"],
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
