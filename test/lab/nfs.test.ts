// NFS shares set with sharenfs on ovh3, mounted from the other hosts over the private segment.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checksums, closeConnections, out, resetLab, run, sh, waitFor } from "./support";

const MOUNT = "/mnt/ovh3-backups";
const mountFrom = (host: "off1" | "off2") =>
  run(host, sh`mkdir -p ${MOUNT} && mount -t nfs4 -o retry=0,timeo=50,retrans=2 ovh3.openfoodfacts.org:/rpool/backups ${MOUNT}`, {
    allowFailure: true,
    timeoutMs: 120_000,
  });

beforeAll(resetLab);
afterAll(async () => {
  await Promise.all((["off1", "off2"] as const).map((h) => run(h, sh`umount -f -l ${MOUNT} || true`, { allowFailure: true })));
  await closeConnections();
});

describe("NFS shares from ovh3", () => {
  beforeAll(async () => {
    await run(
      "ovh3",
      [
        sh`zfs create -o sharenfs=rw=@10.0.0.2/32,no_root_squash rpool/backups`,
        sh`head -c 4096 /dev/urandom > /rpool/backups/vzdump-lxc-110.tar`,
      ].join(" && "),
    );
    await waitFor("ovh3 to export /rpool/backups", async () =>
      (await out("ovh3", "exportfs -v")).includes("/rpool/backups") ? true : undefined,
    );
  });

  it("a share restricted to off2's /32 mounts from off2 and is refused from off1", async () => {
    const fromOff2 = await mountFrom("off2");
    expect(fromOff2.exitCode, fromOff2.stderr).toBe(0);
    const seen = await out("off2", sh`cd ${MOUNT} && sha256sum vzdump-lxc-110.tar`);
    const local = await checksums("ovh3", "rpool/backups");
    expect(seen.split(/\s+/)[0]).toBe(local["vzdump-lxc-110.tar"]);
    await run("off2", sh`umount ${MOUNT}`);

    const fromOff1 = await mountFrom("off1");
    expect(fromOff1.exitCode).not.toBe(0);
    expect(fromOff1.stderr).toMatch(/access denied/i);
  });

  it("ZFS writes the share to /etc/exports.d/zfs.exports", async () => {
    expect(await out("ovh3", "cat /etc/exports.d/zfs.exports")).toMatch(
      /^\/rpool\/backups\s+10\.0\.0\.2\/32\(.*\brw\b.*\bno_root_squash\b.*\)$/m,
    );
  });

  it("every child of a shared dataset is exported too (the report's NFS trouble)", async () => {
    await run("ovh3", sh`zfs set sharenfs=rw=@10.0.0.0/28,no_root_squash rpool/backups && zfs create rpool/backups/off2-pve && zfs create rpool/backups/robotoff`);
    const exports = await out("ovh3", "cat /etc/exports.d/zfs.exports");
    for (const path of ["/rpool/backups", "/rpool/backups/off2-pve", "/rpool/backups/robotoff"]) {
      expect(exports).toMatch(new RegExp(`^${path}\\s+10\\.0\\.0\\.0/28\\(`, "m"));
    }
    expect(await out("ovh3", sh`zfs get -H -o source sharenfs rpool/backups/robotoff`)).toBe("inherited from rpool/backups\n");
  });
});
