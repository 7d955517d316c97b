// The engine's floor, a baseline of the benchmark (issue 20): the preview of the same resource graph
// as the benchmark's program (a parent with 50 children that depend on it, and N - 51 others) through
// the same Pulumi CLI and Node.js SDK, with a do-nothing dynamic provider whose state is minimal (no
// inputs, no outputs, a one-line provider). What is left above it in zfs-fleet's preview is ours.
// It needs no lab: a throwaway project and a file backend in a temporary directory.
//
//   node bench/floor.ts [N...]      (from the repository root, after `source tools/env.sh`) prints the floor's preview seconds for each N (default 1000)
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Run from the repository root (make bench does), like bench/report.ts.
const repo = process.cwd();
const CHILDREN = 50;

/** The floor's program: the benchmark's graph, each resource with a do-nothing provider and nothing else. */
export const FLOOR_PROGRAM = `
import * as pulumi from "@pulumi/pulumi";
const provider = 'exports.handler = () => ({ async create() { return { id: "x", outs: {} }; } });';
class Nothing extends pulumi.CustomResource {
  constructor(name: string, opts?: pulumi.CustomResourceOptions) {
    super("pulumi-nodejs:dynamic:Resource", name, { __provider: provider }, opts);
  }
}
const n = new pulumi.Config().requireNumber("count");
const parent = new Nothing("tree");
for (let i = 0; i < ${CHILDREN}; i++) new Nothing("c" + i, { dependsOn: [parent] });
for (let i = 0; i < n - ${CHILDREN + 1}; i++) new Nothing("d" + i);
`;

function pulumi(dir: string, args: string[]): Promise<number> {
  const env = { ...process.env, PULUMI_BACKEND_URL: `file://${join(dir, "state")}`, PULUMI_CONFIG_PASSPHRASE: "floor", PULUMI_CONFIG_PASSPHRASE_FILE: "" };
  const started = Date.now();
  return new Promise((done, fail) =>
    execFile("pulumi", [...args, "--non-interactive"], { cwd: dir, env, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      err ? fail(new Error(`floor: pulumi ${args.join(" ")} failed:\n${stdout}\n${stderr}`)) : done(Date.now() - started),
    ),
  );
}

/** Milliseconds of the floor's preview at size n, its state made first by an up (not measured). */
export async function floorPreview(n: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "zfs-fleet-bench-floor-"));
  try {
    mkdirSync(join(dir, "state"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: floor\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n");
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "floor", main: "index.ts" }));
    symlinkSync(join(repo, "node_modules"), join(dir, "node_modules"));
    writeFileSync(join(dir, "index.ts"), FLOOR_PROGRAM);
    await pulumi(dir, ["stack", "init", "floor"]);
    await pulumi(dir, ["config", "set", "count", String(n)]);
    await pulumi(dir, ["up", "--yes", "--skip-preview", "--parallel", "64"]);
    return await pulumi(dir, ["preview", "--expect-no-changes", "--parallel", "64"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith("bench/floor.ts")) {
  void (async () => {
    const sizes = process.argv.slice(2).map(Number);
    for (const n of sizes.length > 0 ? sizes : [1000]) console.log(`engine floor, preview of ${n} resources: ${((await floorPreview(n)) / 1000).toFixed(1)} s`);
  })().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
