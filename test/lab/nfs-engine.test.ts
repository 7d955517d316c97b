// NfsShare through the real Pulumi engine on ovh3: a share for off2's /32
// mounts from off2 and is refused from off1; moving a dataset out of the
// shared parent (the report's fix) removes its export with no stale line.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PulumiError, TestStack } from "./engine";
import { closeConnections, out, resetLab, run, sh, waitFor } from "./support";

const PROGRAM = `
import * as pulumi from "@pulumi/pulumi";
import { Dataset, NfsShare } from "zfs-fleet-provider/src";

const cfg = new pulumi.Config();
const layout = cfg.require("layout"); // "legacy": off2-pve under backups; "current": under off-backups
const clients = cfg.getObject<{ address: string; access: "rw" | "ro" }[]>("clients") ?? [{ address: "10.0.0.2/32", access: "rw" }];
const options = cfg.getObject<string[]>("options") ?? ["no_root_squash"];
const backups = new Dataset("backups", { host: "ovh3", name: "rpool/backups" });
const offBackups = new Dataset("off-backups", { host: "ovh3", name: "rpool/off-backups" });
const pve = new Dataset("off2-pve", { host: "ovh3", name: layout === "legacy" ? "rpool/backups/off2-pve" : "rpool/off-backups/off2-pve" },
  { dependsOn: [backups, offBackups] });
const share = new NfsShare("backups", { host: "ovh3", dataset: backups.name, clients, options }, { dependsOn: [pve] });
export const sharenfs = share.sharenfs;
export const inheritedBy = share.inheritedBy;
export const exported = share.exports;
`;

const MOUNT = "/mnt/ovh3-backups";
const mountFrom = (host: "off1" | "off2") =>
  run(host, sh`mkdir -p ${MOUNT} && mount -t nfs4 -o retry=0,timeo=50,retrans=2 ovh3.openfoodfacts.org:/rpool/backups ${MOUNT}`, {
    allowFailure: true,
    timeoutMs: 120_000,
  });

describe("NfsShare on ovh3", () => {
  let stack: TestStack;

  beforeAll(async () => {
    await resetLab();
    stack = await TestStack.create("nfs", ["ovh3"], PROGRAM);
    await stack.setConfig("zfs-fleet:layout", "legacy");
  });
  afterAll(async () => {
    await Promise.all((["off1", "off2"] as const).map((h) => run(h, sh`umount -f -l ${MOUNT} || true`, { allowFailure: true })));
    await stack?.dispose();
    await closeConnections();
  });

  it("a share for off2's /32 mounts from off2 and is refused from off1", async () => {
    await stack.up();
    const outputs = await stack.outputs();
    expect(outputs.sharenfs).toBe("rw=@10.0.0.2/32,no_root_squash");
    await run("ovh3", sh`echo backup > /rpool/backups/vzdump.txt`);
    const fromOff2 = await mountFrom("off2");
    expect(fromOff2.exitCode, fromOff2.stderr).toBe(0);
    expect(await out("off2", sh`cat ${`${MOUNT}/vzdump.txt`}`)).toBe("backup\n");
    await run("off2", sh`umount ${MOUNT}`);
    const fromOff1 = await mountFrom("off1");
    expect(fromOff1.exitCode).not.toBe(0);
    expect(fromOff1.stderr).toMatch(/access denied/i);
  });

  it("the child that inherits the share is reported, with the exports the server has", async () => {
    const outputs = await stack.outputs();
    expect(outputs.inheritedBy).toEqual(["rpool/backups/off2-pve"]);
    expect((outputs.exported as { client: string }[]).map((e) => e.client)).toEqual(["10.0.0.2/32"]);
    expect(await out("ovh3", "exportfs -v")).toContain("/rpool/backups/off2-pve");
  });

  it("moving the child out of the shared parent removes its export and leaves no stale line", async () => {
    await stack.setConfig("zfs-fleet:layout", "current");
    await stack.up();
    const file = await out("ovh3", "cat /etc/exports.d/zfs.exports");
    expect(file).not.toContain("off2-pve");
    expect(file.split("\n").filter((l) => l.startsWith("/"))).toEqual(["/rpool/backups 10.0.0.2/32(sec=sys,rw,no_subtree_check,mountpoint,no_root_squash)"]);
    expect(await out("ovh3", "exportfs -v")).not.toContain("off2-pve");
    // The share's own inputs did not change, so its outputs are as of its last update until a refresh
    // (and the stack's outputs until the program runs again).
    await stack.pulumi("up", "--yes", "--skip-preview", "--refresh");
    expect((await stack.outputs()).inheritedBy).toEqual([]);
  });

  it("a stale line left in zfs.exports is seen by refresh and cleared by up, reloading the server once", async () => {
    // What OpenZFS 2.1 leaves behind: a line for a path that is no longer a shared dataset.
    await run("ovh3", sh`mkdir -p /rpool/gone && echo '/rpool/gone 10.0.0.9(sec=sys,rw,no_subtree_check)' >> /etc/exports.d/zfs.exports && exportfs -ra`);
    stack.takeCommands();
    await stack.pulumi("up", "--yes", "--skip-preview", "--refresh");
    const commands = stack.takeCommands().filter((c) => c.event === "command").map((c) => c.command ?? "");
    expect(commands.filter((c) => c.includes("zfs share -a"))).toHaveLength(1);
    expect(await out("ovh3", "cat /etc/exports.d/zfs.exports")).not.toContain("/rpool/gone");
    expect(await out("ovh3", "exportfs -v")).not.toContain("/rpool/gone");
  });

  it("changing the clients re-exports, and an unchanged share reloads nothing", async () => {
    await stack.setConfig("zfs-fleet:clients", JSON.stringify([{ address: "10.0.0.0/28", access: "ro" }]));
    await stack.up();
    await waitFor("ovh3 to export to 10.0.0.0/28", async () => ((await out("ovh3", "exportfs -v")).includes("10.0.0.0/28(") ? true : undefined));
    stack.takeCommands();
    await stack.up();
    const commands = stack.takeCommands().filter((c) => c.event === "command").map((c) => c.command ?? "");
    expect(commands.filter((c) => /zfs set|zfs share|exportfs -ra/.test(c))).toEqual([]);
  });

  it.each([
    ["option injection", { options: JSON.stringify(["no_root_squash,rw=@0.0.0.0/0"]) }, /inject/],
    ["a malformed address", { clients: JSON.stringify([{ address: "10.0.0.300", access: "rw" }]) }, /"10.0.0.300" is not a valid IPv4 address/],
    ["a network with host bits", { clients: JSON.stringify([{ address: "10.0.0.5/28", access: "rw" }]) }, /did you mean 10.0.0.0\/28/],
    ["everyone by accident", { clients: "[]" }, /sharenfs=on.*allowEveryone/],
  ])("refuses %s at preview, running no remote command", async (_what, config, why) => {
    for (const [k, v] of Object.entries(config)) await stack.setConfig(`zfs-fleet:${k}`, v);
    stack.takeCommands();
    const err = await stack.preview().catch((e: unknown) => e);
    for (const k of Object.keys(config)) await stack.pulumi("config", "rm", `zfs-fleet:${k}`);
    expect(err).toBeInstanceOf(PulumiError);
    expect((err as PulumiError).text).toMatch(why);
    expect(stack.takeCommands().filter((c) => c.event === "command")).toEqual([]);
  });

  it("removing the share stops it", async () => {
    await stack.program(PROGRAM.replace(/const share[\s\S]*$/, "export const done = true;\n"));
    await stack.up();
    expect(await out("ovh3", sh`zfs get -H -o value sharenfs rpool/backups`)).toBe("off\n");
    expect(await out("ovh3", "exportfs -v")).not.toContain("/rpool/backups");
  });
});
