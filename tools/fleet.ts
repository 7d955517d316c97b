// Previews or applies every host stack in the order their references need,
// and prints one combined review (tools/review.ts).
//
//   node tools/fleet.ts preview [--lab] [--json-dir DIR]
//   node tools/fleet.ts up [--lab] [--allow-destroy]
//
// Order: off2 first (the other hosts pull from it and read its outputs), then
// off1 (pulls from off2, is pulled by off2 and ovh3), then ovh3. The off1 <->
// off2 references form a cycle: a stack reads the other's last applied
// outputs, and falls back to the fleet description when there are none yet.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Preview, type Review, render, review } from "./review.ts";

export const ORDER = ["off2", "off1", "ovh3"] as const;

function pulumi(args: string[], capture: boolean): { status: number; stdout: string } {
  const res = spawnSync("pulumi", [...args, "--non-interactive"], {
    encoding: "utf8",
    stdio: capture ? ["ignore", "pipe", "inherit"] : "inherit",
    maxBuffer: 256 << 20,
  });
  if (res.error) throw res.error;
  return { status: res.status ?? 1, stdout: res.stdout ?? "" };
}

function previewStack(stack: string, jsonDir?: string): Review {
  const { status, stdout } = pulumi(["preview", "--json", "-s", stack], true);
  if (jsonDir) writeFileSync(join(jsonDir, `${stack}.json`), stdout);
  let parsed: Preview;
  try {
    parsed = JSON.parse(stdout) as Preview;
  } catch {
    throw new Error(`pulumi preview -s ${stack} printed no JSON (exit ${status})`);
  }
  const r = review(stack, parsed);
  if (status !== 0 && r.errors.length === 0) r.errors.push(`pulumi preview exited with ${status}`);
  return r;
}

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  const lab = rest.includes("--lab");
  const jsonDirAt = rest.indexOf("--json-dir");
  const jsonDir = jsonDirAt >= 0 ? rest[jsonDirAt + 1] : undefined;
  if (jsonDir) mkdirSync(jsonDir, { recursive: true });
  const stacks = ORDER.map((h) => (lab ? `lab-${h}` : h));

  if (command === "preview") {
    const reviews = stacks.map((s) => previewStack(s, jsonDir));
    console.log(render(reviews));
    return reviews.some((r) => r.errors.length > 0) ? 1 : 0;
  }
  if (command === "up") {
    for (const stack of stacks) {
      // Each stack is previewed and reviewed right before it is applied: an
      // earlier stack's new outputs may change what a later one does.
      const r = previewStack(stack, jsonDir);
      console.log(render([r]));
      if (r.errors.length > 0) return 1;
      if (r.destroys.length > 0 && !rest.includes("--allow-destroy")) {
        console.error(`${stack}: the preview destroys or replaces data; rerun with --allow-destroy to apply anyway`);
        return 1;
      }
      const { status } = pulumi(["up", "--yes", "--skip-preview", "--suppress-outputs", "-s", stack], false);
      if (status !== 0) return status;
    }
    return 0;
  }
  console.error("usage: node tools/fleet.ts preview|up [--lab] [--json-dir DIR] [--allow-destroy]");
  return 2;
}

if (process.argv[1]?.endsWith("tools/fleet.ts")) process.exit(main(process.argv.slice(2)));
