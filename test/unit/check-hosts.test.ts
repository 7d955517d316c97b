// The host rule every kind shares (provider/config.ts, hostNameProblem): a
// host must be a host name and, once the provider is configured, one of the
// stack's `zfs-fleet:hosts`; and SyncoidPull's target forms. Pure checks.
import { describe, expect, it } from "vitest";
import { datasetKind } from "../../provider/dataset/schema";
import { delegationKind } from "../../provider/delegation/schema";
import { nfsShareKind } from "../../provider/nfs/schema";
import { sanoidPolicyKind } from "../../provider/sanoid/schema";
import { syncoidPullKind } from "../../provider/syncoid/schema";

const hosts = ["ovh3"];
const pull = { host: "ovh3", source: { user: "ovh3operator", host: "off2.openfoodfacts.org", dataset: "zfs-hdd/off" }, target: "rpool/off" };

const KINDS: [string, (news: Record<string, unknown>, configured: readonly string[]) => { failures: { property: string; reason: string }[] }, Record<string, unknown>][] = [
  ["Dataset", datasetKind.check, { host: "ovh3", name: "rpool/off" }],
  ["Delegation", delegationKind.check, { host: "ovh3", dataset: "rpool", who: { user: "ovh3operator" }, permissions: ["hold", "send"] }],
  ["NfsShare", nfsShareKind.check, { host: "ovh3", dataset: "rpool/backups", clients: [{ address: "10.0.0.0/28", access: "rw" }], options: [] }],
  ["SanoidPolicy", sanoidPolicyKind.check, { host: "ovh3", dataset: "rpool/off", templates: ["synced_data"], recursive: "yes" }],
  ["SyncoidPull", syncoidPullKind.check, pull],
];

describe("every kind refuses a host the stack does not configure", () => {
  it.each(KINDS)("%s", (_kind, check, inputs) => {
    expect(check(inputs, hosts).failures).toEqual([]);
    expect(check({ ...inputs, host: "off9" }, hosts).failures).toEqual([
      { property: "host", reason: '"off9" is not in the stack\'s zfs-fleet:hosts (known: ovh3)' },
    ]);
    expect(check({ ...inputs, host: "Off 9" }, hosts).failures.map((f) => f.property)).toEqual(["host"]);
    // Before the provider is configured only the name's form is checked.
    expect(check({ ...inputs, host: "off9" }, []).failures).toEqual([]);
  });
});

describe("SyncoidPull targets", () => {
  it("accepts a push line's remote target, so a program can adopt the old pushes and remove them", () => {
    expect(syncoidPullKind.check({ ...pull, source: { dataset: "zfs-hdd/obf" }, target: "root@ovh3.openfoodfacts.org:rpool/obf" }).failures).toEqual([]);
  });
  it("refuses a target the service would split or that is no dataset", () => {
    expect(syncoidPullKind.check({ ...pull, target: "rpool/a b" }).failures.map((f) => f.property)).toEqual(["target"]);
    expect(syncoidPullKind.check({ ...pull, target: "root@bad host:rpool/x" }).failures.map((f) => f.property)).toEqual(["target"]);
  });
});
