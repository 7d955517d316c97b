import { describe, expect, it } from "vitest";
import { canonicalValue, propertyProblem } from "../../provider/dataset/properties";
import { datasetKind } from "../../provider/dataset/schema";
import { datasetNameProblem } from "../../provider/names";
import { diff } from "../../provider/dataset/provider";
import { UNKNOWN } from "../../provider/kind";

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
    const { failures } = datasetKind.check(
      { host: "Off2!", name: "rpool/a b", properties: { compression: "fast", atime: UNKNOWN }, destroyRecursive: true },
    );
    expect(failures.map((f) => f.property).sort()).toEqual(["destroyRecursive", "host", "name", "properties.compression"]);
    expect(failures.find((f) => f.property === "name")!.reason).toMatch(/"rpool\/a b" must not contain white space/);
  });

  it("fills defaults: nothing is destroyed unless asked", () => {
    const { inputs, failures } = datasetKind.check(base);
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
  it("a rename says what the last read found on the host, and what the program acknowledged", async () => {
    const said: string[] = [];
    const orig = console.error;
    console.error = (m: string) => said.push(m);
    try {
      const found = { ...olds, hazards: ["zfs-hdd/backups/off2-pve: lxc 101 ... holds it"] };
      expect((await diff("1", found, { ...news, acknowledgeHazards: ["bindMount:101"] })).changes).toBe(true);
      expect((await diff("1", found, { ...found, name: olds.name })).changes).toBe(false); // no move: nothing said
    } finally {
      console.error = orig;
    }
    expect(said).toEqual([
      "warning: Dataset off2:zfs-hdd/backups/off2-pve -> zfs-hdd/off-backups/off2-pve: the last read found: zfs-hdd/backups/off2-pve: lxc 101 ... holds it",
      "warning: Dataset off2:zfs-hdd/backups/off2-pve -> zfs-hdd/off-backups/off2-pve: acknowledged hazards: bindMount:101",
    ]);
  });
  it("a state from before the hazard inputs reads unchanged (new defaults, retired syncoid wait)", async () => {
    const older = { ...olds, waitForSyncoidSeconds: 0 } as typeof olds;
    expect((await diff("1", older, datasetKind.complete({ ...olds }))).changes).toBe(false);
  });
  it("a change of the provider's code alone is no change", async () => {
    const withProvider = { ...olds, __provider: "new code" } as typeof olds;
    expect((await diff("1", { ...olds, __provider: "old code" } as typeof olds, withProvider)).changes).toBe(false);
  });
});

describe("values compare as ZFS reads them back", () => {
  it.each([
    ["quota", "10G", "10737418240"],
    ["quota", "1.5G", "1610612736"],
    ["quota", "none", "0"],
    ["refquota", "512M", "536870912"],
    ["recordsize", "128K", "131072"],
    ["recordsize", "1M", "1048576"],
    ["acltype", "posixacl", "posix"],
    ["compression", "lz4", "lz4"],
  ])("%s=%s is the host's %s", (k, wanted, actual) => {
    expect(canonicalValue(k, wanted)).toBe(canonicalValue(k, actual));
  });
  it("a real difference stays one", () => {
    expect(canonicalValue("quota", "10G")).not.toBe(canonicalValue("quota", "10737418241"));
    expect(canonicalValue("compression", "on")).not.toBe(canonicalValue("compression", "lz4"));
  });
});

describe("diff guards what ZFS cannot rename", () => {
  const olds = {
    ...base,
    name: "rpool/off",
    properties: { quota: "10G" },
    createParents: false,
    onDelete: "retain" as const,
    destroyRecursive: false,
    adopt: false,
    guid: "1",
    pool: "rpool",
    mountpoint: "/rpool/off",
    effective: {},
    adoptedDifferences: [],
  };
  it("a size written another way is no change", async () => {
    expect((await diff("1", olds, { ...olds, properties: { quota: "10240M" } })).changes).toBe(false);
  });
  it("refuses a move inside itself, which ZFS cannot do", async () => {
    await expect(diff("1", olds, { ...olds, name: "rpool/off/old" })).rejects.toThrow(/inside itself/);
  });
  it("a sibling whose name starts the same is a plain rename", async () => {
    expect((await diff("1", olds, { ...olds, name: "rpool/off-old" })).replaces).toEqual([]);
  });
  it("refuses a replacement that would destroy the old dataset's data", async () => {
    await expect(diff("1", { ...olds, onDelete: "destroy" }, { ...olds, name: "zfs-hdd/off" })).rejects.toThrow(
      /would create an empty zfs-hdd\/off and then destroy rpool\/off/,
    );
  });
  it("a replacement that keeps the old dataset is allowed, and said", async () => {
    const said: string[] = [];
    const orig = console.error;
    console.error = (m: string) => said.push(m);
    try {
      expect((await diff("1", olds, { ...olds, name: "zfs-hdd/off" })).replaces).toEqual(["name"]);
    } finally {
      console.error = orig;
    }
    expect(said.join("\n")).toMatch(/rpool\/off is left in place with its data \(onDelete: retain\)/);
  });
  it("an unknown name (preview) is neither a rename error nor a replacement yet", async () => {
    expect((await diff("1", olds, { ...olds, name: UNKNOWN })).replaces).toEqual([]);
  });
});

describe("check knows the configured hosts when the provider was configured", () => {
  it("refuses a host missing from zfs-fleet:hosts, naming the known ones", () => {
    const { failures } = datasetKind.check({ ...base, host: "off3" }, ["off1", "off2", "ovh3"]);
    expect(failures).toEqual([{ property: "host", reason: '"off3" is not in the stack\'s zfs-fleet:hosts (known: off1, off2, ovh3)' }]);
  });
  it("checks only the name's form when configure has not run", () => {
    expect(datasetKind.check({ ...base, host: "off3" }, []).failures).toEqual([]);
  });
});
