// Which passphrase a stack may use (tools/passphrase.ts), and which stack a
// pulumi command line is for: pure, as the fleet runner and tools/bin/pulumi
// use them. test/engine/passphrase.test.ts proves the same through the CLI.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PassphraseError, isLabStack, passphraseEnvFor, targetOf } from "../../tools/passphrase";

const labFile = resolve(__dirname, "../../stacks/lab.passphrase");
const dir = mkdtempSync(join(tmpdir(), "passphrase-unit-"));
const copy = join(dir, "copy-of-lab.passphrase");
writeFileSync(copy, "zfs-fleet-lab (not a secret: it only guards the lab stacks)\n");
const own = join(dir, "own.passphrase");
writeFileSync(own, "correct horse battery staple\n");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const opts = { labFile };

describe("passphraseEnvFor", () => {
  it.each(["lab-off1", "lab-off2", "lab-ovh3", "organization/zfs-fleet/lab-off2"])("gives the lab stack %s the lab passphrase when none is set", (stack) => {
    const env = passphraseEnvFor(stack, { PATH: "/bin", PULUMI_CONFIG_PASSPHRASE: "" }, opts);
    expect(env).toEqual({ PATH: "/bin", PULUMI_CONFIG_PASSPHRASE_FILE: labFile });
  });

  it("leaves a lab stack's passphrase alone when one is set", () => {
    expect(passphraseEnvFor("lab-off2", { PULUMI_CONFIG_PASSPHRASE: "lab-test" }, opts)).toEqual({ PULUMI_CONFIG_PASSPHRASE: "lab-test" });
  });

  it.each([
    ["nothing", {}, /no passphrase is set/],
    ["an empty PULUMI_CONFIG_PASSPHRASE", { PULUMI_CONFIG_PASSPHRASE: "" }, /PULUMI_CONFIG_PASSPHRASE is empty/],
    ["an empty PULUMI_CONFIG_PASSPHRASE_FILE", { PULUMI_CONFIG_PASSPHRASE_FILE: "" }, /no passphrase is set/],
    ["the lab file", { PULUMI_CONFIG_PASSPHRASE_FILE: labFile }, /is the lab's, which is public/],
    ["a copy of the lab file", { PULUMI_CONFIG_PASSPHRASE_FILE: copy }, /is the lab's/],
    ["the lab passphrase", { PULUMI_CONFIG_PASSPHRASE: "zfs-fleet-lab (not a secret: it only guards the lab stacks)" }, /is the lab's/],
    ["the lab passphrase, over an own file", { PULUMI_CONFIG_PASSPHRASE: "zfs-fleet-lab (not a secret: it only guards the lab stacks)", PULUMI_CONFIG_PASSPHRASE_FILE: own }, /is the lab's/],
    ["a file that cannot be read", { PULUMI_CONFIG_PASSPHRASE_FILE: join(dir, "missing") }, /cannot read PULUMI_CONFIG_PASSPHRASE_FILE/],
  ] as [string, Record<string, string>, RegExp][])("refuses off2 with %s, saying how to set one", (_what, env, why) => {
    expect(() => passphraseEnvFor("off2", env, opts)).toThrow(PassphraseError);
    expect(() => passphraseEnvFor("off2", env, opts)).toThrow(why);
  });

  it.each(["off1", "off2", "ovh3", "labs-off2", "off2-lab", "org/zfs-fleet/off2"])("treats %s as a production stack", (stack) => {
    expect(isLabStack(stack)).toBe(false);
    expect(() => passphraseEnvFor(stack, { PULUMI_CONFIG_PASSPHRASE_FILE: labFile }, opts)).toThrow(/is not a lab stack/);
  });

  it("passes a production stack's own passphrase through unchanged", () => {
    expect(passphraseEnvFor("off2", { PULUMI_CONFIG_PASSPHRASE_FILE: own }, opts)).toEqual({ PULUMI_CONFIG_PASSPHRASE_FILE: own });
    expect(passphraseEnvFor("off2", { PULUMI_CONFIG_PASSPHRASE: "mine" }, opts)).toEqual({ PULUMI_CONFIG_PASSPHRASE: "mine" });
  });
});

describe("the stack a pulumi command line is for", () => {
  it.each([
    [["config", "set", "--secret", "zfs-fleet:sshPrivateKey", "-s", "off2"], "off2"],
    [["up", "--stack", "off2", "--yes"], "off2"],
    [["preview", "--stack=lab-off2"], "lab-off2"],
    [["preview", "-soff2"], "off2"],
    [["-C", "/repo", "stack", "init", "off2"], "off2"],
    [["stack", "init", "--secrets-provider", "passphrase", "off2"], "off2"],
    [["stack", "select", "off1"], "off1"],
    [["stack", "rm", "--yes", "ovh3"], "ovh3"],
    [["config", "set", "--path", "zfs-fleet:hosts.off1.hostKey", "-s", "off1", "ssh-ed25519 AAAA"], "off1"],
  ])("%j -> %s", (args, stack) => expect(targetOf(args)).toMatchObject({ stack, stackless: false }));

  it.each([[["version"]], [["login", "--local"]], [["plugin", "ls"]], [["stack", "ls"]], [["up", "--help"]], [[]]])("%j needs no stack", (args) =>
    expect(targetOf(args).stackless).toBe(true),
  );

  it("leaves the selected stack to the CLI when none is named", () => {
    const t = targetOf(["config", "set", "--secret", "k", "v"]);
    expect(t.stack).toBeUndefined();
    expect(t.stackless).toBe(false);
  });

  it("knows a stack whose secrets are not passphrase-based", () => {
    expect(targetOf(["stack", "init", "off2", "--secrets-provider=awskms://alias/x"]).otherSecretsProvider).toBe(true);
  });
});
