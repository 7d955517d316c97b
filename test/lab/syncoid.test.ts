// Pulls, as the 2024-03 restructure set them up: ovh3's root runs syncoid and logs in to off2 as the
// delegated ovh3operator, who may only hold and send.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checksums, closeConnections, guid, out, resetLab, run, sh } from "./support";

const SNAP = "autosnap_2024-03-13_00:00:01_daily";
const SOURCE = "ovh3operator@off2.openfoodfacts.org";

beforeAll(async () => {
  await resetLab();
  await run(
    "off2",
    [
      sh`zfs create -p zfs-hdd/off/users`,
      sh`zfs create zfs-hdd/off/orgs`,
      sh`head -c 8192 /dev/urandom > /zfs-hdd/off/users/users.sto`,
      sh`head -c 4096 /dev/urandom > /zfs-hdd/off/orgs/orgs.sto`,
      sh`zfs allow ovh3operator hold,send zfs-hdd`,
      sh`zfs snapshot -r ${`zfs-hdd/off@${SNAP}`}`,
    ].join(" && "),
  );
});
afterAll(closeConnections);

describe("pulling from off2 to ovh3", () => {
  it("ovh3 pulls off2's data as the delegated ovh3operator (hold,send only)", async () => {
    expect(await out("off2", sh`zfs allow zfs-hdd`)).toContain("\tuser ovh3operator hold,send\n");
    const r = await run(
      "ovh3",
      sh`syncoid --no-sync-snap --no-privilege-elevation --recursive ${`${SOURCE}:zfs-hdd/off`} rpool/off`,
      { timeoutMs: 300_000 },
    );
    expect(r.exitCode).toBe(0);
    expect(await out("ovh3", "zfs list -H -o name -r rpool/off")).toBe("rpool/off\nrpool/off/orgs\nrpool/off/users\n");
    expect(await checksums("ovh3", "rpool/off/users")).toEqual(await checksums("off2", "zfs-hdd/off/users"));
    expect(await out("ovh3", sh`zfs list -H -o name -t snapshot rpool/off/orgs`)).toBe(`rpool/off/orgs@${SNAP}\n`);
    // A received filesystem has its own guid; its snapshots keep the sender's.
    expect(await guid("ovh3", "rpool/off/users")).not.toBe(await guid("off2", "zfs-hdd/off/users"));
    expect(await guid("ovh3", `rpool/off/users@${SNAP}`)).toBe(await guid("off2", `zfs-hdd/off/users@${SNAP}`));
  });

  it("without the delegation the same pull fails", async () => {
    await run("off2", sh`zfs unallow ovh3operator hold,send zfs-hdd`);
    try {
      const r = await run(
        "ovh3",
        sh`syncoid --no-sync-snap --no-privilege-elevation ${`${SOURCE}:zfs-hdd/off/orgs`} rpool/orgs-undelegated`,
        { allowFailure: true, timeoutMs: 300_000 },
      );
      expect(r.exitCode).not.toBe(0);
      expect((await run("ovh3", "zfs list rpool/orgs-undelegated", { allowFailure: true })).exitCode).toBe(1);
    } finally {
      await run("off2", sh`zfs allow ovh3operator hold,send zfs-hdd`);
    }
  });

  it("syncoid.service runs each line of syncoid-args.conf; a comment only counts in column 0", async () => {
    const conf = [
      "# pulling from off2",
      "",
      `--no-sync-snap --no-privilege-elevation ${SOURCE}:zfs-hdd/off/orgs rpool/orgs-copy`,
    ].join("\n");
    await run("ovh3", sh`cat > /etc/sanoid/syncoid-args.conf`, { input: conf + "\n" });
    await run("ovh3", "systemctl start syncoid.service", { timeoutMs: 300_000 });
    expect(await checksums("ovh3", "rpool/orgs-copy")).toEqual(await checksums("off2", "zfs-hdd/off/orgs"));

    // An indented '#' is not a comment for `read -a`: the "paused" line runs, with '#' as an argument.
    await run("ovh3", sh`cat >> /etc/sanoid/syncoid-args.conf`, {
      input: `  #--no-sync-snap --no-privilege-elevation ${SOURCE}:zfs-hdd/off/users rpool/users-paused\n`,
    });
    const failed = await run("ovh3", "systemctl start syncoid.service", { allowFailure: true, timeoutMs: 300_000 });
    expect(failed.exitCode).not.toBe(0);
    const status = await out("ovh3", "systemctl show -p ExecMainStatus --value syncoid.service");
    expect(Number(status.trim())).toBeGreaterThan(0);
    const journal = await out("ovh3", "journalctl -u syncoid.service -o cat --no-pager | grep 'syncoid-args: syncoid'");
    expect(journal).toContain(`syncoid-args: syncoid #--no-sync-snap --no-privilege-elevation ${SOURCE}:zfs-hdd/off/users rpool/users-paused`);
    expect(journal).not.toContain("syncoid # pulling");
  });
});
