// Starts the lab once per test run (or reuses the running one): `lab/labctl up` builds the image if its
// recipe changed, boots off1, off2 and ovh3 in parallel (restarting a dead VM or one of an older image)
// and writes lab.json. A lab that cannot start fails the run, saying why: lab tests never skip.
// At the end of the run it prints each VM's memory high-water marks (`labctl memory`).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

interface SetupContext {
  provide(key: "zfslabJson" | "zfslabRunId", value: string): void;
}

// vitest runs from the repository root; __dirname is there too when the runner provides it.
const repoRoot = typeof __dirname === "string" ? resolve(__dirname, "..", "..") : process.cwd();
const labctl = join(repoRoot, "lab", "labctl");

function runLabctl(args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    // labctl reports progress (with timestamps) on stderr: show it live, the image build takes minutes.
    const child = spawn(labctl, args, { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolvePromise(stdout.trim());
      else reject(new Error(`lab/labctl ${args.join(" ")} exited ${code}: the lab could not start (see its output above)`));
    });
  });
}

export default async function setup(context: SetupContext): Promise<() => Promise<void>> {
  if (!existsSync(labctl)) throw new Error(`${labctl} is missing`);
  const started = Date.now();
  await runLabctl(["up"]);
  const labJson = await runLabctl(["env"]);
  if (!existsSync(labJson)) throw new Error(`labctl up succeeded but ${labJson} does not exist`);
  process.env.ZFSLAB_JSON = labJson;
  context.provide("zfslabJson", labJson);
  context.provide("zfslabRunId", `${new Date().toISOString().replace(/[:.]/g, "")}-${process.pid}`);
  await runLabctl(["memory", "--reset"]);
  console.log(`[lab] up in ${((Date.now() - started) / 1000).toFixed(0)} s, ${labJson}`);
  // The VMs stay up for the next run (`labctl down` stops them).
  return async () => {
    const table = await runLabctl(["memory"]).catch((err: Error) => `(no memory report: ${err.message})`);
    console.log(`\n[lab] memory high-water marks of this run (MemTotal - MemAvailable, the ARC, unreclaimable slab):\n${table}\n`);
  };
}
