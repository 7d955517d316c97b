// The order of the test files: unit and engine files first, then the lab files that start from the
// baseline (empty pools), then those that start from the legacy fleet, in the order below. A reset of a
// clean host does nothing, and the legacy seed, once laid out, is checkpointed and rewound to in seconds
// (lab/vm/lab-vm.sh): grouped this way, a run lays the seed out once and goes back to the baseline never.
import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Lab files that need the legacy fleet (seedLegacy, or the demo, which seeds it). */
export const LEGACY_GROUP = [
  "test/lab/seed.test.ts",
  "test/lab/datasets.test.ts",
  "test/lab/import.test.ts",
  "test/e2e/restructure.test.ts",
];

const isLab = (file: string) => file.startsWith("test/lab/") || file.startsWith("test/e2e/");

export default class LabGroupsSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const file = relative(process.cwd(), spec.moduleId);
      if (!isLab(file)) return 0;
      const legacy = LEGACY_GROUP.indexOf(file);
      return legacy < 0 ? 1 : 2 + legacy;
    };
    return sorted
      .map((spec, i) => ({ spec, i, rank: rank(spec) }))
      .sort((a, b) => a.rank - b.rank || a.i - b.i)
      .map((x) => x.spec);
  }
}
