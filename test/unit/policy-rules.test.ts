import { describe, expect, it } from "vitest";
import { type Recorded, TYPES, datasetDeletions, datasetReplacement, disabledRules, shareGrants, sharesWithEveryone } from "../../policy/rules";

const urn = (type: string, name: string) => `urn:pulumi:lab-off2::zfs-fleet::${type}::${name}`;
const dataset = (name: string, outputs: Record<string, unknown>): Recorded => ({ urn: urn(TYPES.Dataset, name), type: TYPES.Dataset, inputs: outputs, outputs });

describe("the policy pack's rules", () => {
  const recorded = dataset("zfs-hdd/off", { host: "off2", name: "zfs-hdd/off", onDelete: "destroy", properties: {} });

  it.each([
    ["a new dataset", { host: "off2", name: "zfs-hdd/new" }, undefined],
    ["a rename in the same pool", { host: "off2", name: "zfs-hdd/off-backups/off" }, recorded],
    ["a change of properties", { host: "off2", name: "zfs-hdd/off", properties: { compression: "zstd" } }, recorded],
    ["a name not known before the update", { host: "off2", name: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }, recorded],
  ])("lets %s through", (_what, news, old) => {
    expect(datasetReplacement(news, old)).toBeUndefined();
  });

  it("refuses a move to another pool, saying what happens to the data", () => {
    expect(datasetReplacement({ host: "off2", name: "rpool/off" }, recorded)).toMatch(
      /^Dataset off2:zfs-hdd\/off would be REPLACED by an empty off2:rpool\/off: moving it from pool zfs-hdd to pool rpool .*off2:zfs-hdd\/off is destroyed with its data \(onDelete: destroy\)/,
    );
    const kept = dataset("zfs-hdd/off", { host: "off2", name: "zfs-hdd/off", onDelete: "retain" });
    expect(datasetReplacement({ host: "off2", name: "rpool/off" }, kept)).toMatch(/left on the host with its data \(onDelete: retain\)/);
  });

  it("refuses a move to another host", () => {
    expect(datasetReplacement({ host: "off1", name: "zfs-hdd/off" }, recorded)).toMatch(/from host off2 to host off1/);
  });

  it("names the removed datasets whose onDelete destroys them, and only those", () => {
    const kept = dataset("zfs-hdd/kept", { host: "off2", name: "zfs-hdd/kept", onDelete: "retain" });
    const stays = dataset("zfs-hdd/stays", { host: "off2", name: "zfs-hdd/stays", onDelete: "destroy" });
    const out = datasetDeletions([recorded, kept, stays], new Set([stays.urn]));
    expect(out.map((d) => d.urn)).toEqual([recorded.urn]);
    expect(out[0].message).toMatch(/^Dataset zfs-hdd\/off leaves the program: off2:zfs-hdd\/off is destroyed with its data/);
  });

  it("refuses a share with every host, in each of its spellings", () => {
    const share = (props: Record<string, unknown>) => sharesWithEveryone(TYPES.NfsShare, { host: "ovh3", dataset: "rpool/backups", ...props });
    expect(share({ clients: [{ address: "10.0.0.0/28", access: "rw" }] })).toEqual([]);
    expect(share({ clients: [{ address: "0.0.0.0/0", access: "ro" }] })).toEqual(["NfsShare of ovh3:rpool/backups would export it to 0.0.0.0/0, which is every address"]);
    expect(share({ clients: [], allowEveryone: true })).toEqual(["NfsShare of ovh3:rpool/backups would export it to every host (allowEveryone: true, sharenfs=on)"]);
    const ds = (properties: Record<string, string>) => sharesWithEveryone(TYPES.Dataset, { host: "ovh3", name: "rpool/x", properties });
    expect(ds({ sharesmb: "off" })).toEqual([]);
    expect(ds({ sharesmb: "on" })).toHaveLength(1);
    expect(ds({ sharenfs: "rw=@0.0.0.0/0" })).toHaveLength(1);
    expect(ds({ sharenfs: "rw=@10.0.0.0/28" })).toEqual([]);
    expect(sharesWithEveryone(TYPES.Delegation, { permissions: ["hold"] })).toEqual([]);
  });

  it("refuses a delegation of the share permissions", () => {
    expect(shareGrants({ host: "off2", dataset: "zfs-hdd", who: { user: "off1operator" }, permissions: ["hold", "send"] })).toBeUndefined();
    expect(shareGrants({ host: "off2", dataset: "zfs-hdd", who: { user: "off1operator" }, permissions: ["hold", "sharenfs", "sharesmb"] })).toBe(
      "Delegation to user off1operator on off2:zfs-hdd would grant sharenfs, sharesmb: the grantee could then share that dataset and every one below it with any host. Shares belong in NfsShare resources, reviewed like the rest.",
    );
  });

  it("reads the rules a stack turns off, and refuses a name that is no rule", () => {
    expect([...disabledRules(undefined)]).toEqual([]);
    expect([...disabledRules('["no-share-grants"]')]).toEqual(["no-share-grants"]);
    expect(() => disabledRules('["no-shares"]')).toThrow(/names no rule of this pack: no-shares/);
    expect(() => disabledRules("no-share-grants")).toThrow(/must be a list of rule names/);
  });
});
