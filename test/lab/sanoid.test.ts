// Snapshot policies: sanoid --cron (what the operators' timer runs) takes snapshots from sanoid.conf.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeConnections, out, resetLab, run, sh } from "./support";

const SANOID_CONF = `# sanoid conf data - see https://github.com/jimsalterjrs/sanoid/wiki/Sanoid
# no_sanoid_checks:zfs-hdd/logs-nginx:

[zfs-hdd/off]
  use_template=local_data
  recursive=yes

[zfs-hdd/backups]
  use_template=synced_sys
  recursive=yes
  process_children_only=yes

[template_local_data]
  frequently = 0
  hourly = 36
  daily = 30
  monthly = 3
  yearly = 0
  autosnap = yes
  autoprune = yes

[template_synced_sys]
  frequently = 0
  hourly = 10
  daily = 10
  monthly = 6
  yearly = 0
  autosnap = no
  autoprune = yes
`;

const snapshotsOf = async (dataset: string): Promise<string[]> =>
  (await out("off2", sh`zfs list -H -o name -t snapshot -d 1 ${dataset}`))
    .split("\n")
    .filter(Boolean)
    .map((s) => s.slice(s.indexOf("@") + 1));

beforeAll(async () => {
  await resetLab();
  await run("off2", sh`zfs create -p zfs-hdd/off/users && zfs create -p zfs-hdd/backups/off1-pve && zfs create zfs-hdd/off/orgs`);
  await run("off2", sh`cat > /etc/sanoid/sanoid.conf`, { input: SANOID_CONF });
});
afterAll(closeConnections);

describe("sanoid policies on off2", () => {
  it("sanoid --cron takes hourly, daily and monthly snapshots from the local_data policy", async () => {
    await run("off2", "sanoid --cron", { timeoutMs: 300_000 });
    for (const ds of ["zfs-hdd/off", "zfs-hdd/off/users", "zfs-hdd/off/orgs"]) {
      const snaps = await snapshotsOf(ds);
      for (const period of ["hourly", "daily", "monthly"]) {
        expect(snaps.filter((s) => new RegExp(`^autosnap_\\d{4}-\\d\\d-\\d\\d_\\d\\d:\\d\\d:\\d\\d_${period}$`).test(s)), `${ds} ${period}`).toHaveLength(1);
      }
      expect(snaps.some((s) => s.endsWith("_yearly") || s.endsWith("_frequently")), ds).toBe(false);
    }
  });

  it("a synced policy (autosnap = no) takes none: the source provides them", async () => {
    expect(await snapshotsOf("zfs-hdd/backups")).toEqual([]);
    expect(await snapshotsOf("zfs-hdd/backups/off1-pve")).toEqual([]);
  });

  it("a second run within the hour takes no new snapshot", async () => {
    const before = await snapshotsOf("zfs-hdd/off");
    await run("off2", "sanoid --cron", { timeoutMs: 300_000 });
    expect(await snapshotsOf("zfs-hdd/off")).toEqual(before);
  });
});
