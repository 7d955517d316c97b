// Moves that are safe on a live host (issue 16), through the real engine on off2: the report's
// incident (a process in its own mount namespace, as LXC's `off` container, binding /zfs-hdd/off at
// /mnt/off with zfs-nvme/off/products stacked at /mnt/off/products, while zfs-hdd/off/products is a
// dataset of its own), a plain bind of a dataset elsewhere, then a recursive pull from ovh3 in flight
// while off2's stack moves the parent. One stack, one reset; each step reuses the last one's state.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { review } from "../../tools/review";
import { PulumiError, TestStack } from "./engine";
import { checksums, guid, out, resetLab, run, sh, waitFor } from "./support";

const PROGRAM = `
import * as pulumi from "@pulumi/pulumi";
import { Dataset } from "zfs-fleet-provider/src";

interface Entry { key: string; name: string; after?: string; acknowledgeHazards?: string[]; waitForReplicationSeconds?: number }
const made: Record<string, Dataset> = {};
for (const e of new pulumi.Config().requireObject<Entry[]>("spec")) {
  made[e.key] = new Dataset(e.key, { host: "off2", name: e.name, adopt: true, acknowledgeHazards: e.acknowledgeHazards,
    waitForReplicationSeconds: e.waitForReplicationSeconds }, { dependsOn: e.after ? [made[e.after]] : [] });
}
`;

interface Entry {
  key: string;
  name: string;
  after?: string;
  acknowledgeHazards?: string[];
  waitForReplicationSeconds?: number;
}

const CHILDREN = ["products", "images", "static"];
/** The off tree, and a new dataset under a shared parent (created by the first up that has it). */
const layout = (parent: string, names: Record<string, string> = {}, extra: Partial<Record<string, Partial<Entry>>> = {}, shared = false): Entry[] => [
  { key: "off", name: parent, ...extra.off },
  ...CHILDREN.map((c) => ({ key: c, name: `${parent}/${names[c] ?? c}`, after: "off", ...extra[c] })),
  ...(shared ? [{ key: "spread", name: "zfs-hdd/shared/new" }] : []),
];

/** Holders run as zfslab-holder-* units, which the lab's reset stops. */
const STACKED = "zfslab-holder-off";
const PLAIN = "zfslab-holder-img";
const NFS = "zfslab-holder-nfs";
const holder = (unit: string, mounts: string) =>
  sh`systemd-run --quiet --unit ${unit} unshare -m --propagation private sh -c ${`${mounts} && exec sleep infinity`}`;
/** Runs `command` inside a holder's mount namespace. */
const inside = (unit: string, command: string) => out("off2", sh`nsenter -t "$(systemctl show -p MainPID --value ${unit})" -m sh -c ${command}`);
const errorOf = async (p: Promise<unknown>) => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(PulumiError);
  return (err as PulumiError).text;
};

describe("moves on a live host, through the real engine on off2", () => {
  let stack: TestStack;
  const setSpec = (spec: Entry[]) => stack.pulumi("config", "set", "zfs-fleet:spec", JSON.stringify(spec));
  const guids: Record<string, string> = {};
  let files: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    await resetLab();
    await run("off2", [
      "zfs create zfs-hdd/off",
      ...CHILDREN.map((c) => `zfs create zfs-hdd/off/${c} && head -c 8M /dev/urandom > /zfs-hdd/off/${c}/big.bin && echo ${c} > /zfs-hdd/off/${c}/name.txt`),
      "zfs create zfs-nvme/off && zfs create zfs-nvme/off/products && echo nvme > /zfs-nvme/off/products/where.txt",
      "zfs allow -u ovh3operator hold,send zfs-hdd",
      holder(STACKED, "mkdir -p /mnt/off && mount --bind /zfs-hdd/off /mnt/off && mount --bind /zfs-nvme/off/products /mnt/off/products"),
      holder(PLAIN, "mkdir -p /srv/images && mount --bind /zfs-hdd/off/images /srv/images"),
      // An export of static that ovh3 has mounted, with a file open; a shared parent for a new dataset.
      `zfs set sharenfs=rw=@10.0.0.3/32 zfs-hdd/off/static && zfs create -o sharenfs=rw=@10.0.0.3/32 zfs-hdd/shared`,
    ].join(" && "));
    await run("ovh3", sh`mkdir -p /mnt/off2-static && mount -t nfs4 10.0.0.2:/zfs-hdd/off/static /mnt/off2-static && systemd-run --quiet --unit ${NFS} sh -c ${"exec 3</mnt/off2-static/name.txt; exec sleep infinity"}`);
    for (const c of CHILDREN) {
      guids[c] = await guid("off2", `zfs-hdd/off/${c}`);
      files[c] = await checksums("off2", `zfs-hdd/off/${c}`);
    }
    expect((await inside(STACKED, "cat /mnt/off/products/where.txt")).trim()).toBe("nvme");
    stack = await TestStack.create("hazards", ["off2"], PROGRAM);
    await setSpec(layout("zfs-hdd/off"));
    await stack.up();
  });

  afterAll(async () => {
    await stack?.dispose();
  });

  const renamed = { products: "products-old", images: "images-old", static: "static-old" };

  it("a plain preview of the renames runs nothing remote; preview --refresh names the holders on the rename steps of the review", async () => {
    await setSpec(layout("zfs-hdd/off", renamed, {}, true));
    stack.takeCommands();
    await stack.preview();
    expect(stack.takeCommands().filter((c) => c.event === "command")).toEqual([]);
    const refreshed = await stack.preview("--refresh");
    const commands = stack.takeCommands().filter((c) => c.event === "command") as { command?: string; ms?: number }[];
    const scans = commands.filter((c) => c.command?.includes("@@zfs-fleet:"));
    console.log(`[figures] preview --refresh on off2: ${commands.length} commands, of them ${scans.length} hazard scan taking ${scans.map((s) => s.ms).join(", ")} ms`);
    expect(scans).toHaveLength(1); // one per host, for every Dataset of it
    const r = review("lab-off2", refreshed);
    expect(r.renames).toEqual(expect.arrayContaining(["Dataset zfs-hdd/off/products -> zfs-hdd/off/products-old"]));
    const warnings = r.warnings.join("\n");
    expect(warnings).toMatch(/Dataset zfs-hdd\/off\/products -> zfs-hdd\/off\/products-old: .*unit zfslab-holder-off\.service .*has zfs-nvme\/off\/products mounted at \/mnt\/off\/products/);
    expect(warnings).toMatch(/Dataset zfs-hdd\/off\/images -> zfs-hdd\/off\/images-old: .*holds zfs-hdd\/off\/images bound at \/srv\/images/);
    expect(warnings).toMatch(/Dataset zfs-hdd\/off\/static -> zfs-hdd\/off\/static-old: .*NFS client 10\.0\.0\.3 \(Linux NFSv4\.2 ovh3\) has files of \/zfs-hdd\/off\/static open/);
  });

  it("up refuses both renames, renames nothing, and says who holds what where and what to do", async () => {
    const text = await errorOf(stack.up());
    expect(text).toContain("refused to rename zfs-hdd/off/products to zfs-hdd/off/products-old");
    expect(text).toContain("has zfs-nvme/off/products mounted at /mnt/off/products, on the directory /zfs-hdd/off/products of zfs-hdd/off");
    expect(text).toContain("systemctl stop zfslab-holder-off.service");
    expect(text).toContain("bindMount:zfslab-holder-off.service");
    expect(text).toContain("holds zfs-hdd/off/images bound at /srv/images");
    // The new dataset under the shared parent was created in this up (nothing held it), and said so.
    expect(text).toContain("off2: zfs-hdd/shared/new is now exported over NFS: it inherits sharenfs=rw=@10.0.0.3/32 from zfs-hdd/shared");
    for (const c of CHILDREN) expect(await guid("off2", `zfs-hdd/off/${c}`)).toBe(guids[c]);
    expect((await inside(STACKED, "cat /mnt/off/products/where.txt")).trim()).toBe("nvme");
  });

  it("acknowledged (the stacked holder) and stopped (the plain bind), the same up renames both, data intact; inside, the stacked mount is gone, as in the incident", async () => {
    // The stacked holder sees images too, through its bind of the parent: acknowledged on both.
    const ack = { acknowledgeHazards: [`bindMount:${STACKED}.service`] };
    await setSpec(layout("zfs-hdd/off", renamed, { products: ack, images: ack, static: ack }, true));
    await run("off2", sh`systemctl stop ${PLAIN}`);
    // A client's open file keeps an exported dataset busy (zfs rename: cannot unmount): the client lets go first.
    await run("ovh3", sh`systemctl stop ${NFS}; umount /mnt/off2-static`);
    await stack.up();
    for (const [c, to] of Object.entries(renamed)) {
      expect(await guid("off2", `zfs-hdd/off/${to}`)).toBe(guids[c]);
      expect(await checksums("off2", `zfs-hdd/off/${to}`)).toEqual(files[c]);
    }
    // What OpenZFS 2.1 did to the namespace: the old mountpoint directory removed, the mount on it detached.
    const view = await inside(STACKED, "ls /mnt/off; test -e /mnt/off/products && echo STILL-THERE || echo GONE");
    expect(view.trim().split("\n")).toEqual(["images-old", "products-old", "static-old", "GONE"]);
    expect((await out("off2", "cat /zfs-nvme/off/products/where.txt")).trim()).toBe("nvme"); // the other pool's data is untouched
    await run("off2", sh`systemctl stop ${STACKED}`);
  });

  describe("a recursive pull from ovh3 in flight while the parent moves", () => {
    const PULL = "zfslab-holder-pull";
    const pulled = "rpool/off-pulled";
    const moved = layout("zfs-hdd/off-moved", renamed, {}, true);

    beforeAll(async () => {
      await run("off2", "zfs snapshot -r zfs-hdd/off@r1");
      await run("ovh3", sh`systemd-run --quiet --unit ${PULL} -p RemainAfterExit=yes syncoid --no-sync-snap --no-privilege-elevation --recursive ovh3operator@off2.openfoodfacts.org:zfs-hdd/off ${pulled}`);
      await waitFor("the pull's ssh session on off2", async () => ((await out("off2", "ps -eo args")).includes("sshd: ovh3operator@notty") ? true : undefined));
    });

    it("with a short bound, up fails naming the replication, and nothing is renamed", async () => {
      await setSpec(layout("zfs-hdd/off-moved", renamed, { off: { waitForReplicationSeconds: 5 } }, true));
      const text = await errorOf(stack.up());
      expect(text).toMatch(/did not rename zfs-hdd\/off to zfs-hdd\/off-moved: replication of zfs-hdd\/off is still in flight after \d+ s/);
      expect(text).toContain("an ssh session of ovh3operator, who may send it (zfs allow), is open");
      expect((await out("off2", "zfs list -H -o name -r zfs-hdd")).split("\n")).not.toContain("zfs-hdd/off-moved");
      expect((await out("ovh3", sh`systemctl show -p ActiveState --value ${PULL}`)).trim()).toBe("active"); // still pulling
    });

    it("with the default bound, the rename waits for the pull to finish, then renames; both sides intact, and the next pull from the new name succeeds", async () => {
      await setSpec(moved);
      const started = Date.now();
      await stack.up();
      console.log(`[figures] the up that waited for the pull took ${Math.round((Date.now() - started) / 1000)} s`);
      // The pull had finished, successfully, before the rename.
      expect((await out("ovh3", sh`systemctl show -p Result -p ExecMainStatus ${PULL}`)).trim().split("\n").sort()).toEqual(["ExecMainStatus=0", "Result=success"]);
      for (const [c, to] of Object.entries(renamed)) {
        expect(await guid("off2", `zfs-hdd/off-moved/${to}`)).toBe(guids[c]);
        expect(await checksums("off2", `zfs-hdd/off-moved/${to}`)).toEqual(files[c]);
        expect(await checksums("ovh3", `${pulled}/${to}`)).toEqual(files[c]);
      }
      await run("off2", "zfs snapshot -r zfs-hdd/off-moved@r2");
      await run("ovh3", sh`syncoid --no-sync-snap --no-privilege-elevation --recursive ovh3operator@off2.openfoodfacts.org:zfs-hdd/off-moved ${pulled}`);
      expect(await out("ovh3", sh`zfs list -H -o name -t snapshot ${`${pulled}/products-old@r2`}`)).toContain("@r2");
      const log = readFileSync(join(stack.dir, "provider.log"), "utf8").split("\n").filter((l) => l.includes("@@zfs-fleet:"));
      console.log(`[figures] hazard scans in provider.log: ${log.length}`);
    });
  });
});
