// A throwaway Pulumi project for the engine tests: its own directory, state
// backend and passphrase, the repository's node_modules, and the real CLI
// (tools/setup-pulumi.sh's, put on PATH by tools/env.sh). No lab.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const repo = resolve(__dirname, "../..");

/**
 * Fake resources shaped like the fleet's: the same type tokens
 * (pulumi-nodejs:dynamic/zfs:<Kind>) and input names as provider/, with a
 * provider that only records its inputs. `diff` replaces a Dataset on a new
 * host or pool, as the real one does. A program imports it from "./fake".
 */
export const FAKE_KINDS = `
import * as pulumi from "@pulumi/pulumi";

const recorder: pulumi.dynamic.ResourceProvider = {
  async create(inputs: any) {
    return { id: inputs.host + ":" + (inputs.name ?? inputs.dataset), outs: { ...inputs } };
  },
  async diff(_id: string, olds: any, news: any) {
    const replaces = olds.host !== news.host || String(olds.name ?? "").split("/")[0] !== String(news.name ?? "").split("/")[0] ? ["name"] : [];
    const changes = JSON.stringify({ ...olds, __provider: 0 }) !== JSON.stringify({ ...news, __provider: 0 });
    return { changes, replaces };
  },
  async update(_id: string, _olds: any, news: any) {
    return { outs: { ...news } };
  },
  async delete() {},
};

const kind = (type: string) =>
  class extends pulumi.dynamic.Resource {
    constructor(name: string, args: Record<string, any>, opts?: pulumi.CustomResourceOptions) {
      super(recorder, name, args, opts, "zfs", type);
    }
  };
export const Dataset = kind("Dataset");
export const NfsShare = kind("NfsShare");
export const Delegation = kind("Delegation");
`;

export interface Project {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Runs the CLI in the project; throws with its output when it fails. */
  pulumi(...args: string[]): Promise<string>;
  /** Runs the CLI and returns its exit code and output, failing or not. */
  attempt(...args: string[]): Promise<{ code: number; output: string }>;
  write(file: string, text: string): void;
  remove(): void;
}

export function makeProject(name: string, files: Record<string, string>): Project {
  const dir = mkdtempSync(join(tmpdir(), `zfs-fleet-${name}-`));
  mkdirSync(join(dir, "state"));
  const write = (file: string, text: string) => writeFileSync(join(dir, file), text);
  write("Pulumi.yaml", `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n`);
  write("package.json", JSON.stringify({ name, main: "index.ts" }));
  write("fake.ts", FAKE_KINDS);
  for (const [file, text] of Object.entries(files)) write(file, text);
  symlinkSync(join(repo, "node_modules"), join(dir, "node_modules"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${join(dir, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "engine-test",
    PULUMI_CONFIG_PASSPHRASE_FILE: "",
  };
  const attempt = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run("pulumi", [...args, "--non-interactive"], { cwd: dir, env, maxBuffer: 64 << 20 });
      return { code: 0, output: stdout + stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string; message: string };
      return { code: typeof e.code === "number" ? e.code : 1, output: `${e.stdout ?? ""}${e.stderr ?? e.message}` };
    }
  };
  return {
    dir,
    env,
    write,
    attempt,
    async pulumi(...args: string[]) {
      const r = await attempt(...args);
      if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed (${r.code}):\n${r.output}`);
      return r.output;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
