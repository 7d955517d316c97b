import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Project, makeProject, repo } from "./project";

// zfs-fleet's policy pack (policy/) on a plain `pulumi preview` and `pulumi up`
// of a throwaway program whose resources have the fleet's type tokens and
// inputs. The program's shape comes from the stack's config `scenario`.
const program = `
import * as pulumi from "@pulumi/pulumi";
import { Dataset, Delegation, NfsShare } from "./fake";

const scenario = new pulumi.Config().get("scenario") ?? "base";
const pool = scenario === "move-pool" ? "rpool" : "zfs-hdd";
const name = scenario === "rename" ? pool + "/off-backups/off" : pool + "/off";
if (scenario !== "remove") new Dataset("zfs-hdd/off", { host: "off2", name, properties: {}, onDelete: "destroy" });
new Dataset("zfs-hdd/kept", { host: "off2", name: "zfs-hdd/kept", properties: {}, onDelete: "retain" });
new NfsShare("zfs-hdd/kept", {
  host: "off2",
  dataset: "zfs-hdd/kept",
  clients: [{ address: scenario === "share-everyone" ? "0.0.0.0/0" : "10.0.0.0/28", access: "rw" }],
  options: [],
  allowEveryone: false,
});
new Delegation("off1operator-zfs-hdd", {
  host: "off2",
  dataset: "zfs-hdd",
  who: { user: "off1operator" },
  permissions: scenario === "grant-share" ? ["hold", "send", "sharenfs"] : ["hold", "send"],
  scope: "both",
});
`;

describe("the policy pack, on plain pulumi preview and pulumi up", () => {
  let p: Project;
  const pack = join(repo, "policy");
  const scenario = (s: string) => p.pulumi("config", "set", "scenario", s, "-s", "off2");

  beforeAll(async () => {
    p = makeProject("policy", { "index.ts": program });
    await p.pulumi("stack", "init", "off2");
    await p.pulumi("up", "--yes", "--policy-pack", pack);
  });
  afterAll(() => p?.remove());

  const names = async () =>
    (JSON.parse(await p.pulumi("stack", "export", "-s", "off2")).deployment.resources as { outputs?: { name?: string } }[])
      .map((r) => r.outputs?.name)
      .filter(Boolean)
      .sort();

  it("lets a rename in the same pool through", async () => {
    await scenario("rename");
    expect(await p.pulumi("preview", "--policy-pack", pack)).toMatch(/zfs-fleet-policy@v0\.1\.0/);
    await scenario("base");
  });

  it("refuses an up that would replace a Dataset across pools with onDelete: destroy, with the pack's message, and changes nothing", async () => {
    await scenario("move-pool");
    const up = await p.attempt("up", "--yes", "--policy-pack", pack);
    expect(up.code).not.toBe(0);
    expect(up.output).toContain("[mandatory]  dataset-data-kept");
    expect(up.output).toMatch(/Dataset off2:zfs-hdd\/off would be REPLACED by an empty off2:rpool\/off: moving it from pool zfs-hdd to pool rpool/);
    expect(up.output).toContain("is destroyed with its data (onDelete: destroy)");
    expect(await names()).toEqual(["zfs-hdd/kept", "zfs-hdd/off"]); // the Datasets, as before
    // Without the pack the same preview goes through: the guard is the pack.
    expect((await p.attempt("preview")).code).toBe(0);
  });

  it("is on for every run when the operator's environment names it (PULUMI_OPTION_POLICY_PACK)", async () => {
    p.env.PULUMI_OPTION_POLICY_PACK = pack;
    try {
      const up = await p.attempt("up", "--yes");
      expect(up.code).not.toBe(0);
      expect(up.output).toContain("[mandatory]  dataset-data-kept");
    } finally {
      delete p.env.PULUMI_OPTION_POLICY_PACK;
    }
    await scenario("base");
  });

  it("refuses removing a Dataset whose onDelete is destroy", async () => {
    await scenario("remove");
    const preview = await p.attempt("preview", "--policy-pack", pack);
    expect(preview.code).not.toBe(0);
    expect(preview.output).toMatch(/Dataset zfs-hdd\/off leaves the program: off2:zfs-hdd\/off is destroyed with its data/);
  });

  it("refuses a share with 0.0.0.0/0 on a plain up", async () => {
    await scenario("share-everyone");
    const up = await p.attempt("up", "--yes", "--skip-preview", "--policy-pack", pack);
    expect(up.code).not.toBe(0);
    expect(up.output).toContain("[mandatory]  no-share-to-everyone");
    expect(up.output).toContain("NfsShare of off2:zfs-hdd/kept would export it to 0.0.0.0/0, which is every address");
  });

  it("refuses a delegation of sharenfs", async () => {
    await scenario("grant-share");
    const preview = await p.attempt("preview", "--policy-pack", pack);
    expect(preview.code).not.toBe(0);
    expect(preview.output).toContain("Delegation to user off1operator on off2:zfs-hdd would grant sharenfs");
  });

  it("lets a stack turn a rule off in its config, and refuses a rule name it does not have", async () => {
    await scenario("grant-share");
    await p.pulumi("config", "set", "--path", "zfs-fleet-policy:disabled[0]", "no-share-grants", "-s", "off2");
    expect(await p.pulumi("preview", "--policy-pack", pack)).toMatch(/zfs-fleet-policy@v0\.1\.0/);
    await p.pulumi("config", "set", "--path", "zfs-fleet-policy:disabled[0]", "no-share-grant", "-s", "off2");
    const typo = await p.attempt("preview", "--policy-pack", pack);
    expect(typo.code).not.toBe(0);
    expect(typo.output).toContain("zfs-fleet-policy:disabled names no rule of this pack: no-share-grant");
    await p.pulumi("config", "rm", "zfs-fleet-policy:disabled", "-s", "off2");
    await scenario("base");
  });
});
