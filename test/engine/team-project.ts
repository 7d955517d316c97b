// A throwaway project for the team-backend engine tests: the "host" is a directory, each Note a file
// on it whose first line is its identity (as a dataset's guid), so a rename is an update and a
// refresh finds a note wherever it now is. Layout `legacy` keeps the notes under old/, `current`
// moves them under new/: the demo's restructure in miniature. Each create/update sleeps
// `zfs-fleet-team:sleepMs` AFTER doing its work on the host: a run killed then has changed the host
// but not yet recorded it, the window the restructure's kill test is about.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export const NOTES = ["alpha", "bravo", "charlie"] as const;
export const seedOf = (note: string) => `${note}: seeded data that must survive every move\n`;

const program = `
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config("zfs-fleet-team");
const hostDir = config.require("hostDir");
const layout = config.get("layout") ?? "legacy";
const sleepMs = config.getNumber("sleepMs") ?? 0;

// A test that needs a run to stop at a given step (holding its lock, or to be killed there), whatever
// the machine's load, names the step (ZFSFLEET_TEAM_TEST_HOLD, as calls.log writes it) and a gate file
// (ZFSFLEET_TEAM_TEST_GATE): after doing that step's work on the host, the provider waits for the file
// (ten minutes at most) before it returns.
async function holdAt(step: string) {
  const fs = require("fs");
  const gate = process.env.ZFSFLEET_TEAM_TEST_GATE;
  if (!gate || process.env.ZFSFLEET_TEAM_TEST_HOLD !== step) return;
  for (let waited = 0; !fs.existsSync(gate) && waited < 600000; waited += 100) await new Promise((r) => setTimeout(r, 100));
}

const notes: pulumi.dynamic.ResourceProvider = {
  async create(inputs: any) {
    const fs = require("fs"), path = require("path"), crypto = require("crypto");
    const id = crypto.randomUUID();
    const file = path.join(inputs.hostDir, inputs.path);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, "id:" + id + "\\n" + inputs.seed);
    fs.appendFileSync(path.join(inputs.hostDir, "calls.log"), (process.env.WORKING_COPY ?? "?") + " create " + inputs.path + "\\n");
    await new Promise((r) => setTimeout(r, inputs.sleepMs));
    await holdAt("create " + inputs.path);
    return { id, outs: { ...inputs } };
  },
  async read(id: string, props: any) {
    const fs = require("fs"), path = require("path");
    const walk = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e: any) =>
        e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]);
    const found = walk(props.hostDir).find((f) => fs.readFileSync(f, "utf8").startsWith("id:" + id + "\\n"));
    if (!found) return { id: "", props: {} };
    return { id, props: { ...props, path: path.relative(props.hostDir, found) } };
  },
  async diff(_id: string, olds: any, news: any) {
    return { changes: olds.path !== news.path || olds.seed !== news.seed };
  },
  async update(_id: string, olds: any, news: any) {
    const fs = require("fs"), path = require("path");
    const to = path.join(news.hostDir, news.path);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.renameSync(path.join(olds.hostDir, olds.path), to);
    fs.appendFileSync(path.join(news.hostDir, "calls.log"), (process.env.WORKING_COPY ?? "?") + " rename " + olds.path + " " + news.path + "\\n");
    await new Promise((r) => setTimeout(r, news.sleepMs));
    await holdAt("rename " + olds.path + " " + news.path);
    return { outs: { ...news } };
  },
  async delete(_id: string, props: any) {
    require("fs").rmSync(require("path").join(props.hostDir, props.path), { force: true });
  },
};

class Note extends pulumi.dynamic.Resource {
  declare readonly path: pulumi.Output<string>;
  constructor(name: string, args: any, opts?: pulumi.CustomResourceOptions) {
    super(notes, name, { ...args, path: args.path }, opts);
  }
}

let previous: Note | undefined;
const paths: Record<string, pulumi.Output<string>> = {};
for (const name of ${JSON.stringify(NOTES)}) {
  // One after the other, as a dataset after its parent: a kill lands between two of them.
  previous = new Note(name, {
    hostDir,
    path: (layout === "current" ? "new/" : "old/") + name,
    seed: name + ": seeded data that must survive every move\\n",
    sleepMs,
  }, { dependsOn: previous ? [previous] : [] });
  paths[name] = previous.path;
}
export const notePaths = paths;
export const token = pulumi.secret(config.get("token") ?? "none");
// As lab-ovh3 reads lab-off2: another stack's outputs, through the backend.
const readFrom = config.get("readFrom");
export const fromOther = readFrom ? new pulumi.StackReference(readFrom).getOutput("notePaths") : undefined;
`;

/** A working copy of the project (a clone): its own directory, the repository's node_modules. */
export function workingCopy(parent: string, name: string, repo: string): string {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "Pulumi.yaml"), "name: team-engine\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "team-engine", main: "index.ts" }));
  writeFileSync(join(dir, "index.ts"), program);
  symlinkSync(join(repo, "node_modules"), join(dir, "node_modules"));
  return dir;
}

export const tempDir = (prefix: string) => mkdtempSync(join("/tmp", prefix));

/** A free TCP port on 127.0.0.1 for a throwaway PostgreSQL. */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** tools/team-db.sh with a run directory and port of the test's own. */
export function teamDb(repo: string, env: NodeJS.ProcessEnv) {
  return async (...args: string[]) => {
    try {
      const { stdout } = await execFileAsync(join(repo, "tools/team-db.sh"), args, { env, maxBuffer: 16 << 20 });
      return stdout;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`team-db.sh ${args.join(" ")} failed:\n${e.stdout ?? ""}\n${e.stderr ?? e.message}`);
    }
  };
}
