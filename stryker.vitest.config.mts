// The vitest configuration Stryker runs (stryker.config.mjs): the project's
// own (vitest.config.mts) reduced to its unit project. The runner cannot pick
// a project by name, and the engine and lab projects must never run under
// mutation (they drive the Pulumi CLI and the lab's VMs).
import { defineConfig } from "vitest/config";
import base from "./vitest.config.mts";

const projects = (base.test?.projects ?? []) as { test?: { name?: string } }[];
const unit = projects.filter((p) => p.test?.name === "unit");
if (unit.length !== 1) throw new Error("stryker.vitest.config.mts: vitest.config.mts has no project named unit");

export default defineConfig({ ...base, test: { ...base.test, projects: unit } });
