// Renames, as the operators did them in the 2024-03 restructure: identity (guid) and files survive.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SeedManifest, checksums, closeConnections, guid, out, run, seedLegacy, sh } from "./support";

// The legacy fleet (a file of the lab's legacy group: see test/lab/sequencer.ts); the first two tests
// work under scratch parents of their own beside it.
let manifest: SeedManifest;
beforeAll(async () => {
  manifest = await seedLegacy();
});
afterAll(closeConnections);

describe("renaming datasets", () => {
  it("a dataset rename keeps its guid and its files", async () => {
    await run(
      "off2",
      sh`zfs create -p zfs-hdd/scratch/backups/off2 && head -c 4096 /dev/urandom > /zfs-hdd/scratch/backups/off2/vzdump.tar && zfs create zfs-hdd/scratch/off-backups`,
    );
    const before = await guid("off2", "zfs-hdd/scratch/backups/off2");
    const files = await checksums("off2", "zfs-hdd/scratch/backups/off2");

    await run("off2", sh`zfs rename zfs-hdd/scratch/backups/off2 zfs-hdd/scratch/off-backups/off2`);

    expect(await guid("off2", "zfs-hdd/scratch/off-backups/off2")).toBe(before);
    expect(await checksums("off2", "zfs-hdd/scratch/off-backups/off2")).toEqual(files);
    const r = await run("off2", sh`zfs list zfs-hdd/scratch/backups/off2`, { allowFailure: true });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("dataset does not exist");
  });

  it("renaming a parent moves its children, their guids and files with it", async () => {
    await run(
      "ovh3",
      sh`zfs create -p rpool/scratch/off/users && zfs create rpool/scratch/off/orgs && echo alice > /rpool/scratch/off/users/alice.sto && zfs create rpool/scratch/off-new`,
    );
    const users = await guid("ovh3", "rpool/scratch/off/users");
    await run("ovh3", sh`zfs rename rpool/scratch/off rpool/scratch/off-old && zfs rename rpool/scratch/off-new rpool/scratch/off`);
    expect(await guid("ovh3", "rpool/scratch/off-old/users")).toBe(users);
    expect((await out("ovh3", "cat /rpool/scratch/off-old/users/alice.sto")).trim()).toBe("alice");
    expect(await out("ovh3", "zfs list -H -o name -r rpool/scratch/off")).toBe("rpool/scratch/off\n");
  });

  it("moving backups under off-backups on off2 keeps every file and every guid", async () => {
    const moved = ["mongodb", "off1-pve", "off1-pve-nvme", "off1-rpool", "off2"];
    // The report's loop, as one remote command.
    await run(
      "off2",
      [
        sh`zfs create zfs-hdd/off-backups`,
        ...moved.map((ds) => sh`zfs rename ${`zfs-hdd/backups/${ds}`} ${`zfs-hdd/off-backups/${ds}`}`),
      ].join(" && "),
    );
    for (const ds of moved) {
      const seeded = manifest.hosts.off2[`zfs-hdd/backups/${ds}`];
      expect(seeded, ds).toBeDefined();
      expect(await guid("off2", `zfs-hdd/off-backups/${ds}`)).toBe(seeded.guid);
      expect(await checksums("off2", `zfs-hdd/off-backups/${ds}`)).toEqual(seeded.files);
    }
    expect(await out("off2", sh`zfs list -H -o name -d 1 zfs-hdd/backups`)).toBe("zfs-hdd/backups\n");
  });
});
