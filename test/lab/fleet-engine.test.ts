// Cross-host facts between two stacks of the fleet, through the real engine:
// a pull on ovh3 reads its source dataset and operator user from off2's stack
// outputs (stacks/program.ts, SourceStacks), so a rename applied on off2
// reaches ovh3's syncoid-args.conf line on ovh3's next up; and the line the
// stack wrote pulls for real.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseArgs } from "../../provider/syncoid/args";
import { TestStack } from "./engine";
import { closeConnections, out, resetLab, run, sh } from "./support";

// Two stacks, one program: "xref-off2" is the source host, "xref-ovh3" the
// puller; the puller finds the source stack by the shared prefix, as
// lab-ovh3 finds lab-off2.
const PROGRAM = `
import * as pulumi from "@pulumi/pulumi";
import { Dataset, SyncoidPull } from "zfs-fleet-provider/src";
import { SourceStacks } from "zfs-fleet-provider/src/../stacks/program";

const isSource = pulumi.getStack() === "xref-off2";
const backup = isSource ? new Dataset("backup", { host: "off2", name: new pulumi.Config().require("name"), adopt: true }) : undefined;
export const datasets = backup ? { backup: backup.name } : undefined;
export const operators = isSource ? { ovh3: "ovh3operator" } : undefined;

export const line = isSource ? undefined : (() => {
  const sources = new SourceStacks("ovh3", "current");
  return new SyncoidPull("backup", {
    host: "ovh3",
    source: { user: sources.user("off2"), host: "off2.openfoodfacts.org", dataset: sources.dataset("off2", "backup") },
    target: "rpool/xref-backup",
    flags: ["--no-sync-snap", "--no-privilege-elevation"],
  }).line;
})();
`;

const pullLine = async (): Promise<string | undefined> =>
  parseArgs(await out("ovh3", "cat /etc/sanoid/syncoid-args.conf")).find((l) => l.pull?.target === "rpool/xref-backup")?.raw.trim();

describe("a pull follows a rename on its source host through the stack outputs", () => {
  let off2: TestStack;
  let ovh3: TestStack;

  beforeAll(async () => {
    await resetLab();
    await run("off2", sh`zfs allow -u ovh3operator hold,send zfs-hdd`);
    off2 = await TestStack.create("xref-off2", ["off2"], PROGRAM);
    ovh3 = await off2.sibling("xref-ovh3", ["ovh3"]);
    await off2.setConfig("zfs-fleet:name", "zfs-hdd/xref-a");
  });
  afterAll(async () => {
    await ovh3?.dispose();
    await off2?.dispose();
    await closeConnections();
  });

  it("writes the source's name and user as off2's stack outputs give them", async () => {
    await off2.up();
    await ovh3.up();
    expect(await pullLine()).toBe("--no-sync-snap --no-privilege-elevation ovh3operator@off2.openfoodfacts.org:zfs-hdd/xref-a rpool/xref-backup");
  });

  it("a rename applied on off2 shows in ovh3's next preview as an update of the line, and its up rewrites it", async () => {
    await off2.setConfig("zfs-fleet:name", "zfs-hdd/xref-b");
    await off2.up();
    const preview = await ovh3.preview();
    const step = preview.steps.find((s) => s.urn.endsWith("::backup") && s.urn.includes(":SyncoidPull::"));
    expect(step?.op).toBe("update");
    await ovh3.up();
    expect(await pullLine()).toBe("--no-sync-snap --no-privilege-elevation ovh3operator@off2.openfoodfacts.org:zfs-hdd/xref-b rpool/xref-backup");
    expect((await ovh3.preview()).changeSummary.update ?? 0).toBe(0);
  });

  it("the line the stack wrote pulls for real, as ovh3operator", async () => {
    await run("off2", sh`zfs snapshot zfs-hdd/xref-b@xref`);
    const words = (await pullLine())!.split(/\s+/);
    const r = await run("ovh3", sh`syncoid ${words} </dev/null`, { allowFailure: true, timeoutMs: 300_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await out("ovh3", "zfs list -H -o name -t snapshot rpool/xref-backup")).toBe("rpool/xref-backup@xref\n");
  });
});
