// What a refusal by check means, beyond its wording (allow-check.test.ts and
// the per-module tests match the messages): for one bad value in otherwise
// good inputs, check refuses exactly that field and nothing else, names the
// value it refused, stores nothing (the inputs come back as given), the same
// inputs with the good value pass, and no remote command runs.
import { describe, expect, it, vi } from "vitest";

vi.mock("../../provider/transport", async () => (await import("../support/no-remote")).transportWithoutRemote("in check"));
import { remote } from "../support/no-remote";

import * as dataset from "../../provider/dataset/provider";
import * as delegation from "../../provider/delegation/provider";
import * as nfs from "../../provider/nfs/provider";
import * as sanoid from "../../provider/sanoid/provider";
import * as syncoid from "../../provider/syncoid/provider";

type Check = (olds: unknown, news: Record<string, unknown>) => Promise<{ inputs?: Record<string, unknown>; failures?: { property: string; reason: string }[] }>;

const volume = { host: "off2", name: "zfs-hdd/off-backups", properties: { compression: "lz4" } };
const grant = { host: "off2", dataset: "zfs-hdd", who: { user: "ovh3operator" }, permissions: ["hold", "send"] };
const share = { host: "ovh3", dataset: "rpool/backups", clients: [{ address: "10.0.0.2/32", access: "rw" }], options: ["no_root_squash"] };
const policy = { host: "off1", dataset: "zfs-hdd/off-backups", templates: ["synced_sys"], recursive: "yes", settings: { hourly: "10" } };
const template = { host: "off1", template: "synced_sys", settings: { hourly: "10", autosnap: "no" } };
const pull = {
  host: "ovh3",
  source: { user: "ovh3operator", host: "off2.openfoodfacts.org", dataset: "zfs-hdd/off" },
  target: "rpool/off",
  flags: ["--no-sync-snap", "--recursive"],
};

/** [kind, check, good inputs, the inputs with one bad value, the field refused, the value the reason names (if it names one)] */
const CASES: [string, Check, Record<string, unknown>, Record<string, unknown>, string, string?][] = [
  ["Dataset", dataset.check, volume, { ...volume, name: "zfs-hdd/$(reboot)" }, "name", "zfs-hdd/$(reboot)"],
  ["Dataset", dataset.check, volume, { ...volume, name: "zfs-hdd" }, "name", "zfs-hdd"],
  ["Dataset", dataset.check, volume, { ...volume, properties: { compression: "fast" } }, "properties.compression", "fast"],
  ["Dataset", dataset.check, volume, { ...volume, properties: { sharenfs: "on" } }, "properties.sharenfs"],
  ["Dataset", dataset.check, volume, { ...volume, destroyRecursive: true }, "destroyRecursive"],
  ["Dataset", dataset.check, volume, { ...volume, onDelete: "burn" }, "onDelete"],
  ["Dataset", dataset.check, volume, { ...volume, waitForReplicationSeconds: -1 }, "waitForReplicationSeconds"],
  ["Dataset", dataset.check, volume, { ...volume, host: "Off2;id" }, "host", "Off2;id"],
  ["Delegation", delegation.check, grant, { ...grant, permissions: ["hold", "sharenfs"] }, "permissions[1]", "sharenfs"],
  ["Delegation", delegation.check, grant, { ...grant, permissions: ["mountpoint", "send"] }, "permissions[0]", "mountpoint"],
  ["Delegation", delegation.check, grant, { ...grant, permissions: ["hold,send"] }, "permissions[0]", "hold,send"],
  ["Delegation", delegation.check, grant, { ...grant, permissions: ["hold", "hold"] }, "permissions", "hold"],
  ["Delegation", delegation.check, grant, { ...grant, permissions: [] }, "permissions"],
  ["Delegation", delegation.check, grant, { ...grant, who: { user: "-e" } }, "who", "-e"],
  ["Delegation", delegation.check, grant, { ...grant, who: { user: "ovh3operator", group: "backup" } }, "who"],
  ["Delegation", delegation.check, grant, { ...grant, who: {} }, "who"],
  ["Delegation", delegation.check, grant, { ...grant, dataset: "zfs-hdd/a b" }, "dataset", "zfs-hdd/a b"],
  ["Delegation", delegation.check, grant, { ...grant, scope: "everywhere" }, "scope"],
  ["NfsShare", nfs.check, share, { ...share, options: ["no_root_squash,rw=@0.0.0.0/0"] }, "options[0]", "no_root_squash,rw=@0.0.0.0/0"],
  ["NfsShare", nfs.check, share, { ...share, clients: [{ address: "10.0.0.300", access: "rw" }] }, "clients[0].address", "10.0.0.300"],
  ["NfsShare", nfs.check, share, { ...share, clients: [...share.clients, { address: "10.0.0.2/32", access: "ro" }] }, "clients", "10.0.0.2/32"],
  ["NfsShare", nfs.check, share, { ...share, clients: [] }, "clients"],
  ["NfsShare", nfs.check, share, { ...share, dataset: "rpool/x;id" }, "dataset", "rpool/x;id"],
  ["SanoidPolicy", sanoid.check, policy, { ...policy, settings: { frobnicate: "1" } }, "settings.frobnicate", "frobnicate"],
  ["SanoidPolicy", sanoid.check, policy, { ...policy, settings: { hourly: "lots" } }, "settings.hourly", "lots"],
  ["SanoidPolicy", sanoid.check, policy, { ...policy, settings: { recursive: "yes" } }, "settings.recursive"],
  ["SanoidPolicy", sanoid.check, policy, { ...policy, templates: ["synced sys"] }, "templates[0]", "synced sys"],
  ["SanoidPolicy", sanoid.check, policy, { ...policy, dataset: "template_x" }, "dataset"],
  ["SanoidTemplate", sanoid.check, template, { ...template, recursive: "yes" }, "recursive"],
  ["SanoidTemplate", sanoid.check, template, { ...template, template: "a/b" }, "template", "a/b"],
  ["SyncoidPull", syncoid.check, pull, { ...pull, flags: ["--frobnicate"] }, "flags[0]", "--frobnicate"],
  ["SyncoidPull", syncoid.check, pull, { ...pull, flags: ["--no-sync-snap", "--sendoptions=Lc e"] }, "flags[1]", "--sendoptions=Lc e"],
  ["SyncoidPull", syncoid.check, pull, { ...pull, flags: ["--skip-parent"] }, "flags"],
  ["SyncoidPull", syncoid.check, pull, { ...pull, target: "rpool/my off" }, "target", "rpool/my off"],
  ["SyncoidPull", syncoid.check, pull, { ...pull, source: { ...pull.source, user: "Root" } }, "source", "Root"],
  ["SyncoidPull", syncoid.check, pull, { ...pull, source: { ...pull.source, host: "off 2" } }, "source", "off 2"],
  ["SyncoidPull", syncoid.check, pull, { ...pull, waitForRunningSeconds: 86_401 }, "waitForRunningSeconds"],
];

describe("a refusal names the field and the value, and refuses nothing else", () => {
  it.each(CASES)("%s refuses case %#: the field, the value, nothing else", async (_kind, check, good, bad, field, value) => {
    expect((await check({}, good)).failures).toEqual([]);
    const { inputs, failures = [] } = await check({}, bad);
    expect(failures.map((f) => f.property)).toEqual([field]);
    expect(failures[0].reason.length).toBeGreaterThan(10);
    if (value !== undefined) expect(failures[0].reason).toContain(value);
    // What check stores for refused inputs is what was given (no default filled in, nothing normalized away).
    expect(inputs).toMatchObject(bad);
    expect(remote.calls).toBe(0);
  });
});

describe("an input a kind no longer has is refused by name, with where it went, and not stored", () => {
  it.each([
    ["SanoidPolicy", sanoid.check, policy, "/etc/sanoid/sanoid.conf", "SanoidPolicy", "zfs-fleet:hosts.<host>.sanoidConf in the stack config (default /etc/sanoid/sanoid.conf)"],
    // A template is a SanoidPolicy with a template name instead of a dataset.
    ["SanoidTemplate", sanoid.check, template, "relative/sanoid.conf", "SanoidPolicy", "zfs-fleet:hosts.<host>.sanoidConf in the stack config (default /etc/sanoid/sanoid.conf)"],
    ["SyncoidPull", syncoid.check, pull, "/etc/sanoid/syncoid-args.conf", "SyncoidPull", "zfs-fleet:hosts.<host>.syncoidArgs in the stack config (default /etc/sanoid/syncoid-args.conf)"],
  ] as const)("%s: path", async (_label, check, good, path, kind, where) => {
    const { inputs = {}, failures = [] } = await (check as Check)({}, { ...good, path });
    expect(failures).toEqual([{ property: "path", reason: `is no longer an input of ${kind}: the file is the host's, ${where}` }]);
    expect(inputs).not.toHaveProperty("path");
    expect(inputs).toMatchObject(good);
    expect(remote.calls).toBe(0);
  });
});

describe("a parse failure (wrong type) is reported by field too", () => {
  it.each([
    ["Dataset", dataset.check, { ...volume, adopt: "yes" }, "adopt"],
    ["Dataset", dataset.check, { ...volume, properties: { quota: 10 } }, "properties.quota"],
    ["Delegation", delegation.check, { ...grant, who: { user: "ovh3operator", uid: 1000 } }, "who"],
    ["NfsShare", nfs.check, { ...share, clients: [{ address: "10.0.0.2", access: "admin" }] }, "clients.0.access"],
    ["SyncoidPull", syncoid.check, { ...pull, enabled: "false" }, "enabled"],
  ] as const)("%s refuses case %# by field", async (_kind, check, bad, field) => {
    const { failures = [] } = await (check as Check)({}, bad);
    expect(failures.map((f) => f.property)).toEqual([field]);
    expect(remote.calls).toBe(0);
  });
  it("a missing required input is named", async () => {
    const { host: _h, ...noHost } = volume;
    expect(((await dataset.check({}, noHost)).failures ?? []).map((f) => f.property)).toEqual(["host"]);
    const { permissions: _p, ...noPermissions } = grant;
    expect(((await delegation.check({}, noPermissions)).failures ?? []).map((f) => f.property)).toEqual(["permissions"]);
  });
});
