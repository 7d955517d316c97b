// Delegation through the real Pulumi engine: off2 lets ovh3operator hold and
// send, ovh3 pulls as root with --no-privilege-elevation, as after the 2024-03
// restructure; without the delegation the same pull fails.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PulumiError, TestStack } from "./engine";
import { closeConnections, out, resetLab, run, sh } from "./support";

const PROGRAM = `
import * as pulumi from "@pulumi/pulumi";
import { Dataset, Delegation } from "zfs-fleet-provider/src";

const cfg = new pulumi.Config();
const grant = cfg.requireBoolean("grant");
const permissions = cfg.getObject<string[]>("permissions") ?? ["hold", "send"];
const offName = cfg.get("offName") ?? "zfs-hdd/off";
const off = new Dataset("off", { host: "off2", name: offName, adopt: true });
export const delegations: Record<string, pulumi.Output<string[]>> = {};
if (grant) {
  for (const pool of ["zfs-hdd", "zfs-nvme", "rpool"]) {
    const d = new Delegation("ovh3operator-" + pool, { host: "off2", dataset: pool, who: { user: "ovh3operator" }, permissions });
    delegations[pool] = d.held;
  }
  // On a dataset that the same program renames: the grant moves with it.
  const onOff = new Delegation("off1operator-off", { host: "off2", dataset: off.name, who: { user: "off1operator" }, permissions: ["hold", "send"], scope: "local" });
  delegations.off = onOff.held;
}
`;

const SNAP = "autosnap_2024-03-13_00:00:01_daily";
const SOURCE = "ovh3operator@off2.openfoodfacts.org:zfs-hdd/off/orgs";
const pull = (target: string) =>
  run("ovh3", sh`syncoid --no-sync-snap --no-privilege-elevation ${SOURCE} ${target}`, { allowFailure: true, timeoutMs: 300_000 });

describe("Delegation on off2, proven by pulls from ovh3", () => {
  let stack: TestStack;

  beforeAll(async () => {
    await resetLab();
    await run(
      "off2",
      [sh`zfs create -p zfs-hdd/off/orgs`, sh`head -c 4096 /dev/urandom > /zfs-hdd/off/orgs/orgs.sto`, sh`zfs snapshot -r ${`zfs-hdd/off@${SNAP}`}`].join(" && "),
    );
    stack = await TestStack.create("delegation", ["off2", "ovh3"], PROGRAM);
  });
  afterAll(async () => {
    await stack?.dispose();
    await closeConnections();
  });

  it("granting ovh3operator hold,send on off2's pools lets ovh3 pull as root without privilege elevation", async () => {
    await stack.setConfig("zfs-fleet:grant", "true");
    await stack.up();
    expect(await out("off2", sh`zfs allow zfs-hdd`)).toBe(
      "---- Permissions on zfs-hdd ------------------------------------------\nLocal+Descendent permissions:\n\tuser ovh3operator hold,send\n",
    );
    const r = await pull("rpool/orgs-delegated");
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await out("ovh3", sh`zfs list -H -o name -t snapshot rpool/orgs-delegated`)).toBe(`rpool/orgs-delegated@${SNAP}\n`);
  });

  it("a permission removed by hand shows as drift, and up --refresh puts it back", async () => {
    await run("off2", sh`zfs unallow -u ovh3operator send zfs-nvme`);
    const preview = await stack.preview("--refresh");
    expect(preview.steps.filter((s) => s.op === "update").map((s) => s.urn.split("::").pop())).toEqual(["ovh3operator-zfs-nvme"]);
    // Drift is what a refresh finds: a plain up compares with the state of the last run.
    await stack.pulumi("up", "--yes", "--skip-preview", "--refresh");
    expect(await out("off2", sh`zfs allow zfs-nvme`)).toContain("Local+Descendent permissions:\n\tuser ovh3operator hold,send\n");
  });

  it("a grant on a dataset renamed in the same up moves with it, neither duplicated nor dropped", async () => {
    await stack.setConfig("zfs-fleet:offName", "zfs-hdd/off-renamed");
    await stack.up();
    expect(await out("off2", sh`zfs allow zfs-hdd/off-renamed`)).toBe(
      [
        "---- Permissions on zfs-hdd/off-renamed ------------------------------",
        "Local permissions:",
        "\tuser off1operator hold,send",
        "---- Permissions on zfs-hdd ------------------------------------------",
        "Local+Descendent permissions:",
        "\tuser ovh3operator hold,send",
        "",
      ].join("\n"),
    );
    expect((await stack.preview("--refresh", "--expect-no-changes")).changeSummary).not.toHaveProperty("update");
    await stack.setConfig("zfs-fleet:offName", "zfs-hdd/off");
    await stack.up();
  });

  it.each([
    ["sharenfs, which would let the grantee share past NfsShare", ["hold", "sharenfs"], /"sharenfs" is refused: it lets the grantee share datasets/],
    ["a list in one entry", ["hold,send"], /one permission per list entry/],
    ["an injected command", ["send;zfs destroy -r zfs-hdd"], /not an OpenZFS permission name/],
    ["an unknown name", ["sendd"], /"sendd" is not an OpenZFS permission name/],
  ])("refuses %s at preview, running no remote command", async (_what, permissions, why) => {
    await stack.setConfig("zfs-fleet:permissions", JSON.stringify(permissions));
    stack.takeCommands();
    const err = await stack.preview().catch((e: unknown) => e);
    await stack.pulumi("config", "rm", "zfs-fleet:permissions");
    expect(err).toBeInstanceOf(PulumiError);
    expect((err as PulumiError).text).toMatch(why);
    expect(stack.takeCommands().filter((c) => c.event === "command")).toEqual([]);
  });

  it("removing the Delegations from the program revokes them, and the same pull then fails", async () => {
    await stack.setConfig("zfs-fleet:grant", "false");
    await stack.up();
    expect(await out("off2", sh`zfs allow zfs-hdd`)).toBe("");
    expect(await out("off2", sh`zfs allow zfs-hdd/off`)).toBe("");
    const r = await pull("rpool/orgs-undelegated");
    expect(r.exitCode).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/permission denied|must be root|not permitted/i);
    expect((await run("ovh3", sh`zfs list rpool/orgs-undelegated`, { allowFailure: true })).exitCode).not.toBe(0);
  });
});
