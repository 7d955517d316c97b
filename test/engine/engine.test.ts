import { execFile } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The real Pulumi CLI (built by tools/setup-pulumi.sh, put on PATH by
// tools/env.sh) drives a throwaway program with one trivial dynamic resource.
const run = promisify(execFile);
const repo = resolve(__dirname, "../..");
const pinned = (require(join(repo, "package.json")) as { dependencies: Record<string, string> }).dependencies[
  "@pulumi/pulumi"
];

const program = `
import * as pulumi from "@pulumi/pulumi";

const notebook: pulumi.dynamic.ResourceProvider = {
  async create(inputs: any) {
    return { id: "note-" + inputs.text.length, outs: { text: inputs.text, length: inputs.text.length } };
  },
  async diff(_id: string, olds: any, news: any) {
    return { changes: olds.text !== news.text };
  },
  async delete() {},
};

class Note extends pulumi.dynamic.Resource {
  declare readonly length: pulumi.Output<number>;
  constructor(name: string, text: string) {
    super(notebook, name, { text, length: undefined }, {});
  }
}

export const length = new Note("hello", "hello from the engine test").length;
`;

describe("the real Pulumi engine", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  const pulumi = async (...args: string[]) => {
    try {
      const { stdout } = await run("pulumi", [...args, "--non-interactive"], { cwd: dir, env, maxBuffer: 16 << 20 });
      return stdout;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`pulumi ${args.join(" ")} failed:\n${e.stdout ?? ""}\n${e.stderr ?? e.message}`);
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "zfs-fleet-engine-"));
    mkdirSync(join(dir, "state"));
    writeFileSync(
      join(dir, "Pulumi.yaml"),
      "name: engine-smoke\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n",
    );
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "engine-smoke", main: "index.ts" }));
    writeFileSync(join(dir, "index.ts"), program);
    symlinkSync(join(repo, "node_modules"), join(dir, "node_modules"));
    env = {
      ...process.env,
      PULUMI_BACKEND_URL: `file://${join(dir, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "engine-test",
      PULUMI_CONFIG_PASSPHRASE_FILE: "",
    };
    await pulumi("stack", "init", "smoke");
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("is the version pinned by package.json, with the Node.js language plugin", async () => {
    expect((await pulumi("version")).trim()).toBe(`v${pinned}`);
    const about = await pulumi("about");
    expect(about).toMatch(new RegExp(`language\\s+nodejs\\s+${pinned.replace(/\./g, "\\.")}`));
  });

  it("creates a dynamic resource, previews no change after, and destroys it", async () => {
    const up = await pulumi("up", "--yes", "--skip-preview");
    expect(up).toMatch(/\+ +pulumi-nodejs:dynamic:Resource +hello +created/);
    expect(JSON.parse(await pulumi("stack", "output", "--json"))).toEqual({ length: 26 });

    const preview = JSON.parse(await pulumi("preview", "--json", "--expect-no-changes"));
    expect(preview.changeSummary).toEqual({ same: 2 });

    const destroy = await pulumi("destroy", "--yes", "--skip-preview");
    expect(destroy).toMatch(/- +pulumi-nodejs:dynamic:Resource +hello +deleted/);
    expect(JSON.parse(await pulumi("stack", "export")).deployment.resources ?? []).toEqual([]);
  });
});
