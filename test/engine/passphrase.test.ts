// The lab passphrase guards the lab stacks only: through `pulumi` as
// tools/env.sh puts it on PATH (tools/bin/pulumi, tools/passphrase.ts), with
// the real CLI and a throwaway file backend, a production-named stack (off2)
// cannot get a secret encrypted with the lab passphrase, whether that
// passphrase came by default or was set by hand, and however the command
// names the stack.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = resolve(__dirname, "../..");
const wrapper = join(repo, "tools", "bin", "pulumi");
const labFile = join(repo, "stacks", "lab.passphrase");
const LAB = readFileSync(labFile, "utf8").trim();
const OWN = "an operator's own passphrase, not in the repository";
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----production root key-----END OPENSSH PRIVATE KEY-----";

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

describe("a production-named stack and the lab passphrase", () => {
  let dir: string;
  let base: NodeJS.ProcessEnv;

  /** Runs `pulumi` (the wrapper, or the real CLI) in the throwaway project, with `extra` in the environment. */
  const pulumi = (args: string[], extra: NodeJS.ProcessEnv = {}, bin = wrapper, input = ""): Promise<Ran> =>
    new Promise((done) => {
      const child = execFile(bin, [...args, "--non-interactive"], { cwd: dir, env: { ...base, ...extra }, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
        done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin?.end(input);
    });
  const real = () => base.ZFSFLEET_PULUMI ?? "pulumi";
  const stackFile = (stack: string) => join(dir, `Pulumi.${stack}.yaml`);
  const stateOf = (stack: string) => join(dir, "state", ".pulumi", "stacks", "passphrase-test", `${stack}.json`);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "zfs-fleet-passphrase-"));
    writeFileSync(join(dir, "Pulumi.yaml"), "name: passphrase-test\nruntime: nodejs\n");
    mkdirSync(join(dir, "state"));
    base = { ...process.env, PULUMI_BACKEND_URL: `file://${join(dir, "state")}`, PULUMI_HOME: join(dir, "home") };
    delete base.PULUMI_CONFIG_PASSPHRASE;
    delete base.PULUMI_CONFIG_PASSPHRASE_FILE;
    delete base.PULUMI_STACK;
    // The real CLI behind the wrapper: tools/env.sh names it; otherwise the wrapper finds it on PATH.
    const r = await pulumi(["version"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^v3\./);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("without a passphrase, off2 is refused with how to set one, and nothing is created", async () => {
    const r = await pulumi(["stack", "init", "off2"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/stack off2 is not a lab stack, and no passphrase is set for its secrets/);
    expect(r.stderr).toMatch(/export PULUMI_CONFIG_PASSPHRASE_FILE=/);
    expect(existsSync(stateOf("off2"))).toBe(false);
    expect(existsSync(stackFile("off2"))).toBe(false);
  });

  it.each([
    ["the lab passphrase's file", { PULUMI_CONFIG_PASSPHRASE_FILE: labFile }],
    ["the lab passphrase itself", { PULUMI_CONFIG_PASSPHRASE: LAB }],
    ["an empty passphrase", { PULUMI_CONFIG_PASSPHRASE: "" }],
  ])("with %s set by hand, off2 is refused too", async (_what, extra) => {
    const r = await pulumi(["stack", "init", "off2"], extra);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/stack off2 is not a lab stack/);
    expect(existsSync(stateOf("off2"))).toBe(false);
  });

  it("with the operator's own passphrase, off2 gets its secret, which the lab passphrase cannot read", async () => {
    expect((await pulumi(["stack", "init", "off2"], { PULUMI_CONFIG_PASSPHRASE: OWN })).code).toBe(0);
    // As the stack file says to: the key on standard input, never on a command line.
    const set = await pulumi(["config", "set", "--secret", "zfs-fleet:sshPrivateKey", "-s", "off2"], { PULUMI_CONFIG_PASSPHRASE: OWN }, wrapper, KEY);
    expect(set.code, set.stderr).toBe(0);
    const file = readFileSync(stackFile("off2"), "utf8");
    expect(file).toMatch(/secure: /);
    expect(file).not.toContain("production root key");
    // The real CLI, past the wrapper: the lab passphrase does not decrypt it.
    const lab = await pulumi(["config", "get", "zfs-fleet:sshPrivateKey", "-s", "off2"], { PULUMI_CONFIG_PASSPHRASE: LAB }, real());
    expect(lab.code).not.toBe(0);
    expect(lab.stderr).toMatch(/incorrect passphrase/);
    const own = await pulumi(["config", "get", "zfs-fleet:sshPrivateKey", "-s", "off2"], { PULUMI_CONFIG_PASSPHRASE: OWN });
    expect(own.stdout.trim()).toBe(KEY);
  });

  it.each([
    ["-s off2", ["-s", "off2"], {}],
    ["--stack off2", ["--stack", "off2"], {}],
    ["--stack=off2", ["--stack=off2"], {}],
    ["-soff2", ["-soff2"], {}],
    ["PULUMI_STACK=off2", [], { PULUMI_STACK: "off2" }],
    ["the selected stack", [], {}],
  ] as [string, string[], NodeJS.ProcessEnv][])("a secret for off2 named by %s is refused with the lab passphrase", async (_how, args, extra) => {
    // Only the last case relies on the selected stack.
    const select = args.length === 0 && !extra.PULUMI_STACK ? ["stack", "select", "off2"] : ["stack", "unselect"];
    expect((await pulumi(select, { PULUMI_CONFIG_PASSPHRASE: OWN })).code).toBe(0);
    const before = readFileSync(stackFile("off2"), "utf8");
    for (const passphrase of [{ PULUMI_CONFIG_PASSPHRASE_FILE: labFile }, { PULUMI_CONFIG_PASSPHRASE: LAB }, {}]) {
      const r = await pulumi(["config", "set", "--secret", "zfs-fleet:other", "x", ...args], { ...extra, ...passphrase });
      expect(r.code, JSON.stringify(passphrase)).toBe(1);
      expect(r.stderr).toMatch(/stack off2 is not a lab stack/);
    }
    expect(readFileSync(stackFile("off2"), "utf8")).toBe(before);
  });

  it("a lab stack gets the lab passphrase when none is set", async () => {
    expect((await pulumi(["stack", "init", "lab-off2"])).code).toBe(0);
    const set = await pulumi(["config", "set", "--secret", "zfs-fleet:sshPrivateKey", "lab key", "-s", "lab-off2"]);
    expect(set.code, set.stderr).toBe(0);
    const lab = await pulumi(["config", "get", "zfs-fleet:sshPrivateKey", "-s", "lab-off2"], { PULUMI_CONFIG_PASSPHRASE: LAB }, real());
    expect(lab.stdout.trim()).toBe("lab key");
  });
});
