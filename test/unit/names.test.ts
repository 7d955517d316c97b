// The domain's names (provider/names.ts) as a table of good and bad names, and
// proof that every kind taking one answers the table the same way: a name one
// resource accepts, every resource accepts; a name one refuses, all refuse,
// each naming its own field.
import { describe, expect, it } from "vitest";
import { datasetKind } from "../../provider/dataset/schema";
import { delegationKind } from "../../provider/delegation/schema";
import { DNS_NAME, datasetNameProblem, hostNameProblem, unixNameProblem } from "../../provider/names";
import { nfsShareKind } from "../../provider/nfs/schema";
import { sanoidPolicyKind } from "../../provider/sanoid/schema";
import { syncoidPullKind } from "../../provider/syncoid/schema";

/** Names of the real fleet, and of the lab. */
const GOOD_DATASETS = [
  "zfs-hdd/off-backups/off1-zfs-nvme",
  "rpool/staging-clones/products",
  "zfs-nvme/off/products",
  "zfs-hdd/off-pro/cache/export_files",
  "rpool/off-backups/off2-nvme-pve",
  "zfs-hdd/backups/off1-pve.old_2",
];
const POOL_ROOTS = ["rpool", "zfs-hdd", "zfs-nvme"];

const BAD_DATASETS: [string, RegExp][] = [
  ["", /empty/],
  ["rpool/", /empty component/],
  ["rpool//off", /empty component/],
  ["/rpool/off", /empty component/],
  ["rpool/../etc", /'\.\.' component/],
  ["rpool/./off", /'\.' component/],
  ["rpool/off@snap", /snapshot/],
  ["rpool/off#mark", /snapshot or bookmark/],
  ["rpool/of%f", /'%'/],
  ["rpool/off new", /white space/],
  ["rpool/a\tb", /white space/],
  ["rpool/a\nb", /white space/],
  ["rpool/$(reboot)", /contains '\$'/],
  ["rpool/`id`", /contains '`'/],
  ["rpool/off;id", /contains ';'/],
  ["rpool/a]b", /contains '\]'/],
  ["rpool/a=b", /contains '='/],
  ["rpool/café", /contains 'é'/],
  ["1pool/off", /must start with a letter/],
  ["-r", /must start with a letter/],
  ["mirror/off", /reserved word 'mirror'/],
  ["raidz", /reserved word 'raidz'/],
  [`rpool/${"a".repeat(260)}`, /at most 255/],
  [`rpool/${Array(50).fill("a").join("/")}`, /50 levels/],
];

describe("dataset names", () => {
  it.each(GOOD_DATASETS)("accepts %s", (name) => expect(datasetNameProblem(name)).toBeUndefined());
  it.each(BAD_DATASETS)("refuses %j", (name, why) => {
    expect(datasetNameProblem(name, { poolRoot: true })).toMatch(why);
    expect(datasetNameProblem(name)).toBeDefined();
  });
  it.each(POOL_ROOTS)("accepts the pool root %s only where a pool root may be named", (pool) => {
    expect(datasetNameProblem(pool)).toMatch(/pool's root dataset/);
    expect(datasetNameProblem(pool, { poolRoot: true })).toBeUndefined();
  });
});

describe("Unix user and group names", () => {
  it.each(["off1operator", "ovh3operator", "off2operator", "root", "backup", "_apt", "svc-x_1", "machine$"])("accepts %s", (name) => {
    expect(unixNameProblem(name)).toBeUndefined();
    expect(unixNameProblem(name, "group")).toBeUndefined();
  });
  it.each(["", "-e", "-oProxyCommand=x", "a b", "root;id", "Root", "1abc", "a$b", "a".repeat(33)])("refuses %j", (name) => {
    expect(unixNameProblem(name)).toMatch(/not a Unix user name/);
    expect(unixNameProblem(name, "group")).toMatch(/not a Unix group name/);
  });
});

describe("host names", () => {
  it.each(["off1", "off2", "ovh3", "lab-off2"])("accepts the stack host %s", (h) => expect(hostNameProblem(h)).toBeUndefined());
  it.each(["", "Off2", "off 2", "off2;id", "off2.openfoodfacts.org", "-x", "2off"])("refuses the stack host %j", (h) =>
    expect(hostNameProblem(h)).toMatch(/not a host name/),
  );
  it("refuses a host missing from zfs-fleet:hosts once it is known", () => {
    expect(hostNameProblem("off9", ["off1", "ovh3"])).toBe('"off9" is not in the stack\'s zfs-fleet:hosts (known: off1, ovh3)');
  });
  it.each(["off2.openfoodfacts.org", "staging", "ovh3", "a-b.example"])("accepts the DNS name %s", (h) => expect(DNS_NAME.test(h)).toBe(true));
  it.each(["", "off 2", "-h", "a..b", "host_name", "$(reboot)", "a\nb", "x.", `${"a".repeat(64)}.org`])("refuses the DNS name %j", (h) =>
    expect(DNS_NAME.test(h)).toBe(false),
  );
});

// Every field, of every kind, that takes a dataset name: the inputs around it
// are the operators' own, so the name is the only thing that can be refused.
type Check = (news: Record<string, unknown>) => { failures: { property: string; reason: string }[] };
const pull = { host: "ovh3", source: { user: "ovh3operator", host: "off2.openfoodfacts.org", dataset: "zfs-hdd/off" }, target: "rpool/off" };
const DATASET_FIELDS: [string, Check, (name: string) => Record<string, unknown>, string][] = [
  ["Dataset name", datasetKind.check, (name) => ({ host: "off2", name }), "name"],
  ["Delegation dataset", delegationKind.check, (dataset) => ({ host: "off2", dataset, who: { user: "ovh3operator" }, permissions: ["hold", "send"] }), "dataset"],
  ["NfsShare dataset", nfsShareKind.check, (dataset) => ({ host: "ovh3", dataset, clients: [{ address: "10.0.0.0/28", access: "rw" }] }), "dataset"],
  ["SanoidPolicy dataset", sanoidPolicyKind.check, (dataset) => ({ host: "off1", dataset, templates: ["synced_sys"], recursive: "yes" }), "dataset"],
  ["SyncoidPull source", syncoidPullKind.check, (dataset) => ({ ...pull, source: { ...pull.source, dataset } }), "source"],
  ["SyncoidPull target", syncoidPullKind.check, (target) => ({ ...pull, target }), "target"],
];

describe("every kind that takes a dataset name applies the same rule", () => {
  describe.each(DATASET_FIELDS)("%s", (_field, check, inputs, property) => {
    it.each(GOOD_DATASETS)("accepts %s", (name) => expect(check(inputs(name)).failures).toEqual([]));
    it.each(BAD_DATASETS)("refuses %j, naming the field", (name) => {
      expect(check(inputs(name)).failures.map((f) => f.property)).toEqual([property]);
    });
    it.each(POOL_ROOTS)("takes the pool root %s where the kind may sit on one", (pool) => {
      expect(check(inputs(pool)).failures.map((f) => f.property)).toEqual(property === "name" ? ["name"] : []);
    });
  });
});

describe("every kind that takes a Unix user applies the same rule", () => {
  const grant = (who: Record<string, unknown>) => ({ host: "off2", dataset: "zfs-hdd", who, permissions: ["hold", "send"] });
  const FIELDS: [string, Check, (name: string) => Record<string, unknown>, string][] = [
    ["Delegation user", delegationKind.check, (user) => grant({ user }), "who"],
    ["Delegation group", delegationKind.check, (group) => grant({ group }), "who"],
    ["SyncoidPull source user", syncoidPullKind.check, (user) => ({ ...pull, source: { ...pull.source, user } }), "source"],
  ];
  describe.each(FIELDS)("%s", (_field, check, inputs, property) => {
    it.each(["off1operator", "ovh3operator"])("accepts %s", (name) => expect(check(inputs(name)).failures).toEqual([]));
    it.each(["-e", "a b", "root;id", "Root"])("refuses %j, naming the field", (name) => {
      expect(check(inputs(name)).failures.map((f) => f.property)).toEqual([property]);
    });
  });
});
