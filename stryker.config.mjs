// Mutation testing of the pure modules (`make mutation`, docs/mutation.md):
// Stryker changes one thing at a time in the code (a condition, a string, a
// regex) and runs the unit tests that cover it; a change no test notices is a
// surviving mutant, a claim the tests do not hold the code to.
//
// Only the unit project runs (stryker.vitest.config.mts). The lifecycle
// modules (<kind>/provider.ts) and the inventory talk to hosts; of those only
// the pure parts are mutated (each kind's diff and what it uses, the zfs get
// parser), found by name below, so that an edit elsewhere in the file does
// not shift what is mutated.
//
// MUTATE=provider/names.ts make mutation runs one module (a comma list works
// too); STRYKER_CONCURRENCY (default 2) sets the test runners in parallel.
import { readFileSync } from "node:fs";
import ts from "typescript";

/** Whole modules: pure by construction. */
const MODULES = [
  "provider/names.ts",
  "provider/kind.ts",
  "provider/dataset/schema.ts",
  "provider/dataset/properties.ts",
  "provider/delegation/schema.ts",
  "provider/delegation/allow.ts",
  "provider/nfs/schema.ts",
  "provider/nfs/sharenfs.ts",
  "provider/sanoid/schema.ts",
  "provider/sanoid/conf.ts",
  "provider/syncoid/schema.ts",
  "provider/syncoid/args.ts",
  "provider/transport/sh.ts",
  "provider/transport/hostkey.ts",
  "provider/zfs/errors.ts",
];

/** The pure declarations of modules that also talk to hosts, by name. */
const PARTS = {
  "provider/dataset/provider.ts": ["diff", "guardReplacement"],
  "provider/delegation/provider.ts": ["diff", "planHasWork"],
  "provider/nfs/provider.ts": ["diff", "shareOf"],
  "provider/sanoid/provider.ts": ["diff", "entriesOf", "sameEntries"],
  "provider/syncoid/provider.ts": ["diff", "pullOf"],
  "provider/zfs/inventory.ts": ["parseZfsGet", "poolQuery"],
  // Everything but the command-line entry at the bottom (`node tools/review.ts`).
  "tools/review.ts": ["DESTRUCTIVE_OPS", "REPLACE_OPS", "RENAME_KEYS", "UNKNOWN", "kindOf", "nameOf", "identity", "field", "changedKeys", "deletionMeaning", "review", "render"],
};

/** `file:start-end` (1-based lines) for each top-level declaration named; fails loudly when one is gone. */
function declarations(file, names) {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const found = new Map();
  for (const statement of source.statements) {
    const named = ts.isVariableStatement(statement)
      ? statement.declarationList.declarations.map((d) => d.name.getText(source))
      : statement.name
        ? [statement.name.getText(source)]
        : [];
    for (const name of named) found.set(name, statement);
  }
  return names.map((name) => {
    const statement = found.get(name);
    if (!statement) throw new Error(`stryker.config.mjs: ${file} has no top-level ${name} any more; update PARTS`);
    const line = (pos) => source.getLineAndCharacterOfPosition(pos).line + 1;
    return `${file}:${line(statement.getStart(source))}-${line(statement.getEnd())}`;
  });
}

const selected = process.env.MUTATE?.split(",").filter(Boolean);
const mutate = [...MODULES, ...Object.entries(PARTS).flatMap(([file, names]) => declarations(file, names))].filter(
  (m) => !selected || selected.includes(m.split(":")[0]),
);
if (mutate.length === 0) throw new Error(`stryker.config.mjs: MUTATE=${process.env.MUTATE} names none of the mutated modules`);

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  // Forks, not Stryker's default threads: a test that builds a resource
  // (warnings.test.ts) has Pulumi serialize the dynamic provider, which loads
  // node:trace_events, unavailable in a worker thread (an unhandled rejection
  // that fails the initial run).
  vitest: { configFile: "stryker.vitest.config.mts", related: true, pool: "forks" },
  coverageAnalysis: "perTest",
  // A mutant of code that runs only when its module loads (a table, a regex
  // constant) is "static": no test can be told apart as covering it, so each
  // one reruns every related test file (an hour and more here). They are left
  // out by default and counted as ignored; STRYKER_STATIC=1 runs them too.
  ignoreStatic: process.env.STRYKER_STATIC !== "1",
  mutate,
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  // Unchanged code and tests keep their results from the last run (reports/mutation/, not in git).
  incremental: true,
  incrementalFile: selected ? `reports/mutation/incremental-${selected.join("+").replace(/[/.]/g, "_")}.json` : "reports/mutation/incremental.json",
  reporters: ["clear-text", "progress-append-only", "html", "json"],
  htmlReporter: { fileName: selected ? "reports/mutation/one-module.html" : "reports/mutation/mutation.html" },
  jsonReporter: { fileName: selected ? "reports/mutation/one-module.json" : "reports/mutation/mutation.json" },
  clearTextReporter: { allowColor: false, reportTests: false, reportMutants: false, reportScoreTable: true },
  tempDirName: ".stryker-tmp",
  cleanTempDir: true,
  // A busy machine: slow runs are not infinite loops.
  timeoutMS: 10_000,
  thresholds: { high: 90, low: 85, break: null },
};
