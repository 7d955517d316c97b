import { describe, expect, it } from "vitest";
import { checkInputs, datasetNameProblem, propertyProblem } from "../../provider/dataset/schema";
import { UNKNOWN, diff } from "../../provider/dataset/provider";

const isUnknown = (v: unknown) => v === UNKNOWN;
const base = { host: "off2", name: "zfs-hdd/off-backups/off2-pve", properties: {} };

describe("dataset names follow ZFS's rules", () => {
  it.each([
    "zfs-hdd/off",
    "rpool/staging-clones/off-images",
    "zfs-nvme/off-pro/cache/export_files",
    "tank/a.b:c_d-e",
  ])("accepts %s", (name) => expect(datasetNameProblem(name)).toBeUndefined());

  it.each([
    ["", /empty/],
    ["rpool", /pool's root dataset/],
    ["rpool/", /empty component/],
    ["rpool//off", /empty component/],
    ["/rpool/off", /empty component/],
    ["rpool/../etc", /'\.\.' component/],
    ["rpool/off@snap", /snapshot/],
    ["rpool/off#mark", /snapshot or bookmark/],
    ["rpool/of%f", /'%'/],
    ["rpool/off new", /white space/],
    ["rpool/off;rm -rf /", /contains ';'|white space/],
    ["rpool/$(reboot)", /contains '\$'/],
    ["rpool/`id`", /contains '`'/],
    ["rpool/a\nb", /white space/],
    ["1pool/off", /must start with a letter/],
    ["mirror/off", /reserved word/],
    [`rpool/${"a".repeat(260)}`, /at most 255/],
    [`rpool/${Array(50).fill("a").join("/")}`, /50 levels/],
  ])("refuses %j", (name, why) => expect(datasetNameProblem(name)).toMatch(why));
});

describe("properties a Dataset may manage", () => {
  it.each([
    ["compression", "lz4"],
    ["compression", "zstd-3"],
    ["atime", "off"],
    ["recordsize", "1M"],
    ["quota", "10G"],
    ["quota", "none"],
    ["mountpoint", "/mnt/off/products"],
    ["mountpoint", "legacy"],
    ["syncoid:sync", "false"],
    ["org.openfoodfacts:role", "replica"],
  ])("accepts %s=%s", (k, v) => expect(propertyProblem(k, v)).toBeUndefined());

  it.each([
    ["compression", "foo", /cannot be "foo": expected/],
    ["atime", "maybe", /expected on or off/],
    ["recordsize", "100K", /power of two/],
    ["quota", "lots", /a size/],
    ["mountpoint", "relative/path", /absolute path/],
    ["mountpoint", "/mnt/$(id)", /absolute path/],
    ["sharenfs", "on", /NfsShare/],
    ["guid", "1", /read-only/],
    ["used", "1", /read-only/],
    ["frobnicate", "1", /not a ZFS property/],
    ["Syncoid:Sync", "x", /user property/],
    ["syncoid:sync", "a\nb", /control characters/],
  ])("refuses %s=%s", (k, v, why) => expect(propertyProblem(k, v)).toMatch(why));
});

describe("check names the field and the rule", () => {
  it("reports every bad field, and passes unknown preview values through", () => {
    const { failures } = checkInputs(
      { host: "Off2!", name: "rpool/a b", properties: { compression: "fast", atime: UNKNOWN }, destroyRecursive: true },
      isUnknown,
    );
    expect(failures.map((f) => f.property).sort()).toEqual(["destroyRecursive", "host", "name", "properties.compression"]);
    expect(failures.find((f) => f.property === "name")!.reason).toMatch(/"rpool\/a b" must not contain white space/);
  });

  it("fills defaults: nothing is destroyed unless asked", () => {
    const { inputs, failures } = checkInputs(base, isUnknown);
    expect(failures).toEqual([]);
    expect(inputs).toMatchObject({ onDelete: "retain", destroyRecursive: false, adopt: false, createParents: false });
  });
});

describe("diff: a rename is an update, another pool a replacement", () => {
  const olds = {
    ...base,
    name: "zfs-hdd/backups/off2-pve",
    properties: { compression: "lz4" },
    createParents: false,
    onDelete: "retain" as const,
    destroyRecursive: false,
    adopt: true,
    guid: "1",
    pool: "zfs-hdd",
    mountpoint: "/zfs-hdd/backups/off2-pve",
    effective: {},
    adoptedDifferences: [],
  };
  const news = { ...olds, name: "zfs-hdd/off-backups/off2-pve" };

  it("moving under a new parent in the same pool is an update", async () => {
    expect(await diff("1", olds, news)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });
  it("another pool replaces", async () => {
    expect((await diff("1", olds, { ...news, name: "zfs-nvme/off2-pve" })).replaces).toEqual(["name"]);
  });
  it("another host replaces", async () => {
    expect((await diff("1", olds, { ...olds, host: "off1" })).replaces).toEqual(["host"]);
  });
  it("a property change or removal is an update", async () => {
    expect((await diff("1", olds, { ...olds, properties: {} })).changes).toBe(true);
    expect((await diff("1", olds, { ...olds, properties: { compression: "zstd" } })).changes).toBe(true);
  });
  it("a change of the provider's code alone is no change", async () => {
    const withProvider = { ...olds, __provider: "new code" } as typeof olds;
    expect((await diff("1", { ...olds, __provider: "old code" } as typeof olds, withProvider)).changes).toBe(false);
  });
});
