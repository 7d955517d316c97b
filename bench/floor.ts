// The engine's floors, baselines of the benchmark (issue 20): the same resource graph as the
// benchmark's program (a parent with 50 children that depend on it, and N - 51 others) through the
// same Pulumi CLI and Node.js SDK, with a do-nothing dynamic provider whose state is minimal (one
// short input on the parent and its children, no outputs, a one-line provider). Each of
// zfs-fleet's operations has its floor: the first up (adoption: N creates), a preview, a refresh (N
// reads), and the rename (the parent's and its children's input changes: 51 updates). What is
// left above a floor in zfs-fleet's time is ours and the host's. It needs no lab: a throwaway
// project and a file backend in a temporary directory.
//
//   node bench/floor.ts [--pad BYTES] [N...]   (from the repository root, after `source tools/env.sh`) prints the
//   floors' seconds for each N (default 1000); --pad gives each resource about BYTES more state (half an input,
//   half an output), to see how much of a time is the state's size
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
const provider = 'const outs = (i) => (i.pad === undefined ? {} : { pad: i.pad }); exports.handler = () => ({ async create(i) { return { id: "x", outs: outs(i) }; }, async read(id, p) { return { id, props: p }; }, async update(id, o, i) { return { outs: outs(i) }; } });';
class Nothing extends pulumi.CustomResource {
  constructor(name: string, inputs: Record<string, string>, opts?: pulumi.CustomResourceOptions) {
    super("pulumi-nodejs:dynamic:Resource", name, { __provider: provider, ...inputs }, opts);
  }
}
const config = new pulumi.Config();
const n = config.requireNumber("count");
const tree = config.require("tree");
// pad: bytes of one more input, kept as an output too (none in the benchmark): how the state's size drives the engine.
const padding = config.getNumber("pad") ? { pad: "x".repeat(config.getNumber("pad")! / 2) } : {};
const parent = new Nothing("tree", { at: tree, ...padding });
for (let i = 0; i < ${CHILDREN}; i++) new Nothing("c" + i, { at: tree + "/c" + i, ...padding }, { dependsOn: [parent] });
for (let i = 0; i < n - ${CHILDREN + 1}; i++) new Nothing("d" + i, padding);
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

/** The floors of one size, in milliseconds, each operation's as zfs-fleet's in the benchmark (`--parallel 64`). */
export interface Floors {
  adopt: number;
  preview: number;
  refresh: number;
  rename: number;
}

/** Measures the floors at size n, in the benchmark's order: first up, preview, refresh, rename. */
export async function floors(n: number, pad = 0): Promise<Floors> {
  const dir = mkdtempSync(join(tmpdir(), "zfs-fleet-bench-floor-"));
  try {
    mkdirSync(join(dir, "state"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: floor\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n");
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "floor", main: "index.ts" }));
    symlinkSync(join(repo, "node_modules"), join(dir, "node_modules"));
    writeFileSync(join(dir, "index.ts"), FLOOR_PROGRAM);
    await pulumi(dir, ["stack", "init", "floor"]);
    await pulumi(dir, ["config", "set", "count", String(n)]);
    await pulumi(dir, ["config", "set", "tree", "tree"]);
    if (pad > 0) await pulumi(dir, ["config", "set", "pad", String(pad)]);
    const op = (args: string[]) => pulumi(dir, [...args, "--parallel", "64"]);
    const adopt = await op(["up", "--yes", "--skip-preview"]);
    const preview = await op(["preview", "--expect-no-changes"]);
    const refresh = await op(["refresh", "--yes", "--skip-preview"]);
    await pulumi(dir, ["config", "set", "tree", "tree-pulumi"]);
    const rename = await op(["up", "--yes", "--skip-preview"]);
    return { adopt, preview, refresh, rename };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith("bench/floor.ts")) {
  void (async () => {
    const args = process.argv.slice(2);
    const at = args.indexOf("--pad");
    const pad = at >= 0 ? Number(args.splice(at, 2)[1]) : 0;
    const sizes = args.map(Number);
    for (const n of sizes.length > 0 ? sizes : [1000]) {
      const f = await floors(n, pad);
      const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
      console.log(`engine floors at ${n} resources: first up ${s(f.adopt)}, preview ${s(f.preview)}, refresh ${s(f.refresh)}, rename (51 updates) ${s(f.rename)}`);
    }
  })().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
