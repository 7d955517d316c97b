// A state written when SyncoidPull and SanoidPolicy still took a `path`
// input, and stored the 0.2.0 serialized shim as each resource's provider,
// previews with no change through the real engine (the input is dropped on
// read and diff, the file is the host's now; the program registers the
// loader of provider/shim.ts instead of the shim), and a program that still
// gives `path` fails preview saying where the file is. No host is needed:
// preview runs check and diff only, and the state is imported.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = resolve(__dirname, "../..");

const program = (extra = "") => `
import { SanoidPolicy, SyncoidPull } from ${JSON.stringify(join(repo, "provider"))};
new SyncoidPull("pull", { host: "ovh3", source: { user: "ovh3operator", host: "off2.openfoodfacts.org", dataset: "zfs-hdd/off" },
  target: "rpool/off", flags: ["--no-sync-snap", "--no-privilege-elevation", "--recursive"]${extra} } as any);
new SanoidPolicy("policy", { host: "ovh3", dataset: "rpool/off", templates: ["synced_data"], recursive: "yes"${extra} } as any);
`;

interface Step {
  op: string;
  urn: string;
  newState?: { type: string; inputs: Record<string, unknown> };
}

describe("a state that still holds the retired path input", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  const pulumi = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((done) =>
      execFile("pulumi", [...args, "--non-interactive"], { cwd: dir, env, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
        done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "zfs-fleet-older-state-"));
    mkdirSync(join(dir, "state"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: zfs-fleet\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n");
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "older-state", main: "index.ts" }));
    symlinkSync(join(repo, "node_modules"), join(dir, "node_modules"));
    env = { ...process.env, PULUMI_BACKEND_URL: `file://${join(dir, "state")}`, PULUMI_CONFIG_PASSPHRASE: "engine-test", PULUMI_CONFIG_PASSPHRASE_FILE: "" };
    expect((await pulumi("stack", "init", "older")).code).toBe(0);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("previews with no change", async () => {
    // The inputs the program registers today (the loader among them), as the preview shows them.
    writeFileSync(join(dir, "index.ts"), program());
    const preview = await pulumi("preview", "--json");
    expect(preview.code, preview.stderr).toBe(0);
    const steps = (JSON.parse(preview.stdout) as { steps: Step[] }).steps.filter((s) => s.newState?.type.startsWith("pulumi-nodejs:dynamic/zfs:"));
    expect(steps).toHaveLength(2);
    for (const s of steps) {
      const kind = s.newState!.type.split(":").pop();
      expect(s.newState!.inputs.__provider).toBe(`exports.handler = () => require("zfs-fleet-provider").dynamicProvider("${kind}");`);
    }

    // The state as the provider wrote it before: the same inputs and outputs, with path.
    const exported = await pulumi("stack", "export");
    const deployment = JSON.parse(exported.stdout);
    const stack = `urn:pulumi:older::zfs-fleet::pulumi:pulumi:Stack::zfs-fleet-older`;
    const provider = "urn:pulumi:older::zfs-fleet::pulumi:providers:pulumi-nodejs::default";
    const providerId = "7d1b5c1e-6c1f-4c43-9b65-7d5f3f6d2a10";
    const resources: unknown[] = [
      { urn: stack, custom: false, type: "pulumi:pulumi:Stack" },
      { urn: provider, custom: true, id: providerId, type: "pulumi:providers:pulumi-nodejs", inputs: {}, outputs: {} },
    ];
    for (const s of steps) {
      const isPull = s.newState!.type.endsWith(":SyncoidPull");
      const path = isPull ? "/etc/sanoid/syncoid-args.conf" : "/etc/sanoid/sanoid.conf";
      const kind = s.newState!.type.split(":").pop();
      const shim = readFileSync(join(repo, "test/fixtures/zfs-fleet-0.2.0", `shim-${kind}.js`), "utf8");
      const inputs = { ...s.newState!.inputs, path, __provider: shim };
      const outputs = isPull
        ? { ...inputs, line: "--no-sync-snap --no-privilege-elevation --recursive ovh3operator@off2.openfoodfacts.org:zfs-hdd/off rpool/off", duplicates: [] }
        : { ...inputs, settings: {}, resolveDuplicates: false, section: "rpool/off", live: { use_template: "synced_data", recursive: "yes" }, duplicates: [] };
      resources.push({ urn: s.urn, custom: true, id: `ovh3:${path}:rpool/off`, type: s.newState!.type, inputs, outputs, parent: stack, provider: `${provider}::${providerId}` });
    }
    deployment.deployment.resources = resources;
    writeFileSync(join(dir, "older.json"), JSON.stringify(deployment));
    const imported = await pulumi("stack", "import", "--file", join(dir, "older.json"));
    expect(imported.code, imported.stderr).toBe(0);

    const again = await pulumi("preview", "--json", "--expect-no-changes");
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(JSON.parse(again.stdout).changeSummary).toEqual({ same: 3 });
  });

  it("a program that still gives path fails preview, saying where the file is now", async () => {
    writeFileSync(join(dir, "index.ts"), program(', path: "/etc/sanoid/other.conf"'));
    const r = await pulumi("preview");
    expect(r.code).not.toBe(0);
    // The engine stops at the first resource refused.
    expect(r.stdout).toMatch(
      /property path value \{\/etc\/sanoid\/other.conf\} has a problem: is no longer an input of (SyncoidPull|SanoidPolicy): the file is the host's, zfs-fleet:hosts.<host>.(syncoidArgs|sanoidConf)/,
    );
  });
});
