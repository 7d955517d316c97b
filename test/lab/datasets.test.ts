// Renames, as the operators did them in the 2024-03 restructure: identity (guid) and files survive.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checksums, closeConnections, guid, out, resetLab, run, seedLegacy, sh } from "./support";

beforeAll(resetLab);
afterAll(closeConnections);

describe("renaming datasets", () => {
  it("a dataset rename keeps its guid and its files", async () => {
    await run(
      "off2",
      sh`zfs create -p zfs-hdd/backups/off2 && head -c 4096 /dev/urandom > /zfs-hdd/backups/off2/vzdump.tar && zfs create zfs-hdd/off-backups`,
    );
    const before = await guid("off2", "zfs-hdd/backups/off2");
    const files = await checksums("off2", "zfs-hdd/backups/off2");

    await run("off2", sh`zfs rename zfs-hdd/backups/off2 zfs-hdd/off-backups/off2`);

    expect(await guid("off2", "zfs-hdd/off-backups/off2")).toBe(before);
    expect(await checksums("off2", "zfs-hdd/off-backups/off2")).toEqual(files);
    const r = await run("off2", sh`zfs list zfs-hdd/backups/off2`, { allowFailure: true });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("dataset does not exist");
  });

  it("renaming a parent moves its children, their guids and files with it", async () => {
    await run(
      "ovh3",
      sh`zfs create -p rpool/off/users && zfs create rpool/off/orgs && echo alice > /rpool/off/users/alice.sto && zfs create rpool/off-new`,
    );
    const users = await guid("ovh3", "rpool/off/users");
    await run("ovh3", sh`zfs rename rpool/off rpool/off-old && zfs rename rpool/off-new rpool/off`);
    expect(await guid("ovh3", "rpool/off-old/users")).toBe(users);
    expect((await out("ovh3", "cat /rpool/off-old/users/alice.sto")).trim()).toBe("alice");
    expect(await out("ovh3", "zfs list -H -o name -r rpool/off")).toBe("rpool/off\n");
  });

  it("moving backups under off-backups on off2 keeps every file and every guid", async () => {
    const manifest = await seedLegacy();
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
