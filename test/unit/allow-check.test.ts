// check and diff of Delegation, NfsShare, SanoidPolicy and SyncoidPull: bad input is refused naming the
// field and the rule, and neither check nor diff ever sends a remote command.
import { describe, expect, it, vi } from "vitest";

vi.mock("../../provider/transport", async () => (await import("../support/no-remote")).transportWithoutRemote("here"));
import { remote } from "../support/no-remote";

import * as delegation from "../../provider/delegation/provider";
import * as nfs from "../../provider/nfs/provider";
import { UNKNOWN } from "../../provider/kind";
import * as sanoid from "../../provider/sanoid/provider";
import * as syncoid from "../../provider/syncoid/provider";

type Checker = { check: (o: unknown, n: Record<string, unknown>) => Promise<{ failures?: { property: string; reason: string }[] }> };
async function failures(p: Checker, news: Record<string, unknown>): Promise<string[]> {
  const r = await p.check({}, news);
  return (r.failures ?? []).map((f) => `${f.property}: ${f.reason}`);
}

const grant = { host: "off2", dataset: "zfs-hdd", who: { user: "ovh3operator" }, permissions: ["hold", "send"] };
const share = { host: "ovh3", dataset: "rpool/backups", clients: [{ address: "10.0.0.2/32", access: "rw" }], options: ["no_root_squash"] };
const policy = { host: "off1", dataset: "zfs-hdd/off-backups", templates: ["synced_sys"], recursive: "yes", processChildrenOnly: true };
const pull = {
  host: "ovh3",
  source: { user: "ovh3operator", host: "off2.openfoodfacts.org", dataset: "zfs-hdd/off" },
  target: "rpool/off",
  flags: ["--no-sync-snap", "--no-privilege-elevation", "--recursive"],
};

describe("check accepts the operators' cases", () => {
  it.each([
    ["Delegation", delegation, grant],
    ["Delegation on a group, local only", delegation, { ...grant, who: { group: "backup" }, scope: "local" }],
    ["Delegation for a non-root receive (mount is required with create and receive)", delegation, { ...grant, permissions: ["create", "mount", "receive"] }],
    ["NfsShare", nfs, share],
    ["NfsShare to everyone, explicitly", nfs, { host: "ovh3", dataset: "rpool/x", allowEveryone: true }],
    ["SanoidPolicy", sanoid, policy],
    ["SanoidPolicy on a pool", sanoid, { host: "off1", dataset: "rpool", templates: ["local_sys"], recursive: "yes" }],
    ["SanoidTemplate", sanoid, { host: "off1", template: "synced_sys", settings: { hourly: "10", autosnap: "no", autoprune: "yes" } }],
    ["SyncoidPull", syncoid, pull],
    ["SyncoidPull paused", syncoid, { ...pull, enabled: false }],
    ["values unknown at preview", delegation, { ...grant, dataset: UNKNOWN }],
  ] as const)("%s", async (_n, p, news) => expect(await failures(p as Checker, news)).toEqual([]));
});

describe("check refuses hostile and mistaken input, naming the field and the rule", () => {
  it.each([
    ["Delegation", delegation, { ...grant, permissions: ["hold", "sharenfs"] }, /permissions\[1\]: "sharenfs" is refused: it lets the grantee share datasets/],
    ["Delegation", delegation, { ...grant, permissions: ["hold,send"] }, /permissions\[0\]:.*one permission per list entry/],
    ["Delegation", delegation, { ...grant, permissions: ["send; zfs destroy -r zfs-hdd"] }, /permissions\[0\]:.*not an OpenZFS permission/],
    ["Delegation", delegation, { ...grant, who: { user: "ovh3operator", everyone: true } }, /who: give exactly one/],
    ["Delegation", delegation, { ...grant, who: { user: "-e" } }, /who: user name "-e" is not a Unix user name/],
    ["Delegation", delegation, { ...grant, dataset: "zfs-hdd/$(reboot)" }, /dataset: .*contains '\$'/],
    ["Delegation", delegation, { ...grant, scope: "everywhere" }, /scope:/],
    ["Delegation", delegation, { ...grant, permissions: [] }, /permissions: give at least one/],
    ["NfsShare", nfs, { ...share, options: ["no_root_squash,rw=@0.0.0.0/0"] }, /options\[0\]:.*inject/],
    ["NfsShare", nfs, { ...share, clients: [{ address: "10.0.0.0/8 *(rw)", access: "rw" }] }, /clients\[0\].address:/],
    ["NfsShare", nfs, { ...share, clients: [{ address: "10.0.0.300", access: "rw" }] }, /clients\[0\].address: "10.0.0.300" is not a valid IPv4/],
    ["NfsShare", nfs, { ...share, clients: [{ address: "10.0.0.2", access: "admin" }] }, /clients.0.access/],
    ["NfsShare", nfs, { ...share, clients: [] }, /clients: no clients: the share would be exported to every host \(sharenfs=on\)/],
    ["NfsShare", nfs, { ...share, options: ["rw"] }, /options\[0\]:.*give access per client/],
    ["SanoidPolicy", sanoid, { ...policy, settings: { frobnicate: "1" } }, /settings.frobnicate: "frobnicate" is not a sanoid setting/],
    ["SanoidPolicy", sanoid, { ...policy, settings: { hourly: "36\n[zfs-hdd/evil]" } }, /settings.hourly:.*one line/],
    ["SanoidPolicy", sanoid, { ...policy, recursive: "always" }, /recursive:/],
    ["SanoidPolicy", sanoid, { ...policy, settings: { use_template: "x" } }, /settings.use_template: set use_template with the templates input/],
    ["SanoidPolicy", sanoid, { ...policy, dataset: "zfs-hdd/off]\n[x" }, /dataset:[\s\S]*breaks sanoid.conf/],
    ["SanoidPolicy", sanoid, { ...policy, template: "x" }, /either dataset .* or template/],
    ["SanoidTemplate", sanoid, { host: "off1", template: "t", settings: { recursive: "yes" } }, /settings.recursive/],
    ["SyncoidPull", syncoid, { ...pull, flags: ["--sendoptions=Lc e"] }, /flags\[0\]:.*white space/],
    ["SyncoidPull", syncoid, { ...pull, flags: ["--frobnicate"] }, /flags\[0\]:.*not a syncoid option/],
    ["SyncoidPull", syncoid, { ...pull, flags: ["--identifier=a#b"] }, /flags\[0\]:.*'#'/],
    ["SyncoidPull", syncoid, { ...pull, target: "rpool/my off" }, /target: target dataset "rpool\/my off" contains white space/],
    ["SyncoidPull", syncoid, { ...pull, source: { ...pull.source, dataset: "zfs-hdd/off#x" } }, /source:.*'#'/],
    ["SyncoidPull", syncoid, { ...pull, flags: ["--skip-parent"] }, /--skip-parent does nothing without --recursive/],
    ["SyncoidPull", syncoid, { ...pull, host: "OVH3;id" }, /host:/],
  ] as const)("%s refuses case %#", async (_n, p, news, why) => {
    expect((await failures(p as Checker, news)).join("\n")).toMatch(why);
    expect(remote.calls).toBe(0);
  });
});

describe("diff is pure and says what the engine must do", () => {
  const live = { local: ["hold", "send"], descendent: ["hold", "send"] };
  const dOld = { ...grant, scope: "both" as const, datasetGuid: "1", live, held: ["hold", "send"] };

  it("Delegation: same grants, nothing; a rename of the dataset is an update; a new grantee is a replacement", async () => {
    expect((await delegation.diff("id", dOld, { ...grant, scope: "both" })).changes).toBe(false);
    expect(await delegation.diff("id", dOld, { ...grant, dataset: "zfs-hdd2", scope: "both" })).toMatchObject({ changes: true, replaces: [] });
    expect((await delegation.diff("id", dOld, { ...grant, who: { user: "off1operator" }, scope: "both" })).replaces).toEqual(["who"]);
  });

  it("Delegation: a permission removed by hand (seen by refresh) is drift", async () => {
    const drifted = { ...dOld, live: { local: ["hold"], descendent: ["hold"] } };
    expect((await delegation.diff("id", drifted, { ...grant, scope: "both" })).changes).toBe(true);
  });

  it("NfsShare: the same clients in another order is no change; a value changed by hand is", async () => {
    const nOld = { ...share, clients: [...share.clients], allowEveryone: false, datasetGuid: "1", sharenfs: "rw=@10.0.0.2/32,no_root_squash", mountpoint: "/rpool/backups", exports: [], inheritedBy: [], staleExports: [] } as never;
    expect((await nfs.diff("id", nOld, { ...share, allowEveryone: false } as never)).changes).toBe(false);
    expect((await nfs.diff("id", { ...(nOld as object), sharenfs: "on" } as never, { ...share, allowEveryone: false } as never)).changes).toBe(true);
  });

  it("SanoidPolicy: a renamed dataset is an update (its header moves), not a replacement", async () => {
    const sOld = { ...policy, section: policy.dataset, live: { use_template: "synced_sys", recursive: "yes", process_children_only: "yes" }, duplicates: [] } as never;
    expect((await sanoid.diff("id", sOld, policy as never)).changes).toBe(false);
    expect(await sanoid.diff("id", sOld, { ...policy, dataset: "zfs-hdd/backups2" } as never)).toMatchObject({ changes: true, replaces: [] });
  });

  it("SyncoidPull: pausing is an update; moving to another host replaces", async () => {
    const pOld = { ...pull, enabled: true, waitForRunningSeconds: 600, runOnCreate: false, resolveDuplicates: false, line: "--no-sync-snap --no-privilege-elevation --recursive ovh3operator@off2.openfoodfacts.org:zfs-hdd/off rpool/off", duplicates: [] };
    const news = { ...pOld } as never;
    expect((await syncoid.diff("id", pOld, news)).changes).toBe(false);
    expect(await syncoid.diff("id", pOld, { ...pOld, enabled: false } as never)).toMatchObject({ changes: true, replaces: [] });
    expect((await syncoid.diff("id", pOld, { ...pOld, host: "off1" } as never)).replaces).toEqual(["host"]);
    expect(remote.calls).toBe(0);
  });
});

describe("waiting for a running syncoid", () => {
  it("finds syncoid processes of the pull's target in ps output", () => {
    const ps = [
      "/usr/bin/perl /usr/sbin/syncoid --no-sync-snap ovh3operator@off2.openfoodfacts.org:zfs-hdd/off rpool/off",
      "ssh -S /tmp/syncoid-ovh3operator@off2 ovh3operator@off2.openfoodfacts.org zfs send -I zfs-hdd/off@a zfs-hdd/off@b",
      "/usr/bin/perl /usr/sbin/syncoid ovh3operator@off2.openfoodfacts.org:zfs-hdd/off-pro rpool/off-pro",
      "vim /etc/sanoid/syncoid-args.conf rpool/off",
    ].join("\n");
    expect(syncoid.runningSyncoids(ps, "rpool/off")).toEqual([
      "/usr/bin/perl /usr/sbin/syncoid --no-sync-snap ovh3operator@off2.openfoodfacts.org:zfs-hdd/off rpool/off",
    ]);
    expect(syncoid.runningSyncoids(ps, "rpool/obf")).toEqual([]);
  });
});
