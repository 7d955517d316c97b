// The legacy seeding: the fleet as it was before the 2024-03 restructure (lab/seed/legacy/).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SeedManifest, checksums, closeConnections, guid, out, seedLegacy, sh } from "./support";

let manifest: SeedManifest;
beforeAll(async () => {
  manifest = await seedLegacy();
});
afterAll(closeConnections);

describe("the fleet before the 2024-03 restructure", () => {
  it("off2 has its backups of off1 under zfs-hdd/backups and delegates hold,send to its pullers", async () => {
    expect(await out("off2", sh`zfs list -H -o name -d 1 zfs-hdd/backups`)).toBe(
      ["zfs-hdd/backups", "mongodb", "off1-pve", "off1-pve-nvme", "off1-rpool", "off2"]
        .map((n, i) => (i === 0 ? n : `zfs-hdd/backups/${n}`))
        .join("\n") + "\n",
    );
    expect(await out("off2", sh`zfs allow zfs-nvme`)).toContain(
      "Local+Descendent permissions:\n\tuser off1operator hold,send\n\tuser ovh3operator hold,send\n",
    );
  });

  it("ovh3 shares rpool/backups with the private network, and every child with it", async () => {
    expect(await out("ovh3", sh`zfs get -H -o value,source sharenfs rpool/backups/off1-pve`)).toBe(
      "rw=@10.0.0.0/28,no_root_squash\tinherited from rpool/backups\n",
    );
    const exports = await out("ovh3", "cat /etc/exports.d/zfs.exports");
    for (const child of ["off1-pve", "off2-rpool", "monitoring-volumes"]) {
      expect(exports).toContain(`/rpool/backups/${child}`);
    }
  });

  it("ovh3's staging clones under rpool/off/clones are clones of rpool/off snapshots", async () => {
    expect(await out("ovh3", sh`zfs get -H -o value origin rpool/off/clones/images`)).toBe(
      "rpool/off/images@staging-2024-02-29\n",
    );
    expect(await checksums("ovh3", "rpool/off/clones/users")).toEqual(manifest.hosts.ovh3["rpool/off/users"].files);
  });

  it("the manifest records each dataset's guid and files as they are on the hosts", async () => {
    const total = Object.values(manifest.hosts).reduce((n, h) => n + Object.keys(h).length, 0);
    expect(total).toBeGreaterThan(40);
    expect(await guid("off1", "zfs-hdd/backups/off2-rpool")).toBe(manifest.hosts.off1["zfs-hdd/backups/off2-rpool"].guid);
    expect(Object.keys(manifest.hosts.off2["zfs-hdd/off/users"].files).sort()).toEqual(["dataset.txt", "seed-a.bin", "seed-b.bin"]);
  });

  it("the operators' sanoid.conf and syncoid-args.conf are in place, mistakes included", async () => {
    const off1 = await out("off1", "cat /etc/sanoid/sanoid.conf");
    expect(off1.match(/^\[zfs-hdd\/backups\]$/gm)).toHaveLength(2);
    expect(await out("off2", "cat /etc/sanoid/syncoid-args.conf")).toContain(
      "--no-sync-snap zfs-hdd/obf root@ovh3.openfoodfacts.org:rpool/obf\n",
    );
    expect(await out("ovh3", "cat /etc/sanoid/sanoid.conf")).toMatch(/^# no_sanoid_checks:/m);
  });
});
