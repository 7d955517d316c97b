// The kinds' own rules and equalities (provider/<kind>/schema.ts), each from
// both sides: what a cross-field rule accepts as well as what it refuses, and
// what each custom equality counts as the same and as different.
import { describe, expect, it } from "vitest";
import { datasetKind } from "../../provider/dataset/schema";
import { delegationKind, whoOf } from "../../provider/delegation/schema";
import { UNKNOWN } from "../../provider/kind";
import { nfsShareKind } from "../../provider/nfs/schema";
import { sanoidPolicyKind } from "../../provider/sanoid/schema";
import { syncoidPullKind } from "../../provider/syncoid/schema";

const fields = (r: { failures: { property: string }[] }) => r.failures.map((f) => f.property);

describe("Dataset", () => {
  const ds = { host: "off2", name: "zfs-hdd/a" };
  it("destroyRecursive goes with onDelete destroy, and an unknown onDelete is not refused for it", () => {
    expect(fields(datasetKind.check({ ...ds, onDelete: "destroy", destroyRecursive: true }))).toEqual([]);
    expect(fields(datasetKind.check({ ...ds, onDelete: "renameAside", destroyRecursive: true }))).toEqual(["destroyRecursive"]);
    expect(fields(datasetKind.check({ ...ds, onDelete: UNKNOWN, destroyRecursive: true }))).toEqual([]);
    expect(fields(datasetKind.check({ ...ds, onDelete: "retain", destroyRecursive: false }))).toEqual([]);
  });
  it("a refused property names the key before the reason; good properties pass", () => {
    expect(datasetKind.check({ ...ds, properties: { atime: "maybe" } }).failures).toEqual([{ property: "properties.atime", reason: 'atime cannot be "maybe": expected on or off' }]);
    expect(datasetKind.check({ ...ds, properties: { atime: "off", "a:b": "c" } }).failures).toEqual([]);
  });
});

describe("Delegation", () => {
  const grant = { host: "off2", dataset: "zfs-hdd", permissions: ["hold"] };
  it("the grantee: exactly one of user, group or everyone: true", () => {
    expect(whoOf({ everyone: true })).toEqual({ kind: "everyone" });
    expect(whoOf({ group: "g" })).toEqual({ kind: "group", name: "g" });
    expect(whoOf({ user: "u" })).toEqual({ kind: "user", name: "u" });
    expect(fields(delegationKind.check({ ...grant, who: { everyone: true } }))).toEqual([]);
    expect(fields(delegationKind.check({ ...grant, who: { group: "backup" } }))).toEqual([]);
    expect(fields(delegationKind.check({ ...grant, who: { everyone: false } }))).toEqual(["who"]);
    expect(fields(delegationKind.check({ ...grant, who: { group: "G" } }))).toEqual(["who"]);
    expect(fields(delegationKind.check({ ...grant, who: { user: UNKNOWN } }))).toEqual([]);
    expect(fields(delegationKind.check({ ...grant, who: { user: "Bad", group: UNKNOWN } }))).toEqual(["who"]);
  });
  it("stores the permissions sorted", () => {
    expect(delegationKind.check({ ...grant, who: { user: "u" }, permissions: ["send", "hold"] }).inputs.permissions).toEqual(["hold", "send"]);
  });
  it("the same grantee and the same set of permissions are no change; another grantee or set is", () => {
    const state = { ...grant, who: { user: "u" }, permissions: ["hold", "send"], scope: "both" };
    expect(delegationKind.diff(state, { ...state, permissions: ["send", "hold"] }).changes).toBe(false);
    expect(delegationKind.diff(state, { ...state, permissions: ["hold", "send", "send"] }).changes).toBe(true);
    expect(delegationKind.diff(state, { ...state, permissions: ["hold", "snapshot"] }).changes).toBe(true);
    expect(delegationKind.diff(state, { ...state, permissions: ["hold"] }).changes).toBe(true);
    expect(delegationKind.diff(state, { ...state, who: { user: "u", everyone: false } }).changes).toBe(false);
    expect(delegationKind.diff(state, { ...state, who: { group: "u" } }).replaces).toEqual(["who"]);
    expect(delegationKind.diff({ ...state, who: { everyone: true } }, { ...state, who: { everyone: true } }).changes).toBe(false);
    // A state written by hand or before check sorted them; one entry with a comma is not two permissions.
    expect(delegationKind.diff({ ...state, permissions: ["send", "hold"] }, { ...state, permissions: ["hold", "send"] }).changes).toBe(false);
    expect(delegationKind.diff({ ...state, permissions: ["hold,send"] }, { ...state, permissions: ["hold", "send"] }).changes).toBe(true);
  });
});

describe("NfsShare", () => {
  const share = { host: "ovh3", dataset: "rpool/b", clients: [{ address: "10.0.0.2", access: "rw" }] };
  it("a client listed twice is refused whatever its access; with allowEveryone, no clients is fine", () => {
    expect(fields(nfsShareKind.check({ ...share, clients: [...share.clients, { address: "10.0.0.3", access: "rw" }] }))).toEqual([]);
    expect(fields(nfsShareKind.check({ ...share, clients: [] , allowEveryone: true }))).toEqual([]);
    expect(fields(nfsShareKind.check({ ...share, clients: UNKNOWN }))).toEqual([]);
  });
  it("the same clients in any order and the same options in any order are no change; the order of nothing else is ignored", () => {
    const state = { ...share, clients: [{ address: "10.0.0.2", access: "rw" }, { address: "10.0.0.3", access: "ro" }], options: ["sync", "crossmnt"], allowEveryone: false };
    expect(nfsShareKind.diff(state, { ...state, clients: [...state.clients].reverse(), options: ["crossmnt", "sync"] }).changes).toBe(false);
    expect(nfsShareKind.diff(state, { ...state, clients: [{ address: "10.0.0.2/32", access: "rw" }, state.clients[1]] }).changes).toBe(false);
    expect(nfsShareKind.diff(state, { ...state, clients: [state.clients[0]] }).changes).toBe(true);
    expect(nfsShareKind.diff(state, { ...state, options: ["sync"] }).changes).toBe(true);
    expect(nfsShareKind.diff(state, { ...state, options: ["sync", "crossmnt", "sync"] }).changes).toBe(true);
  });
});

describe("SanoidPolicy and SanoidTemplate", () => {
  const policy = { host: "off1", dataset: "a/b" };
  const template = { host: "off1", template: "t" };
  it("a template takes settings only; a policy takes templates, recursive and processChildrenOnly too", () => {
    expect(fields(sanoidPolicyKind.check({ ...policy, templates: ["t"], recursive: "zfs", processChildrenOnly: false }))).toEqual([]);
    expect(fields(sanoidPolicyKind.check({ ...template, settings: { hourly: "1" } }))).toEqual([]);
    expect(fields(sanoidPolicyKind.check({ ...template, templates: ["x"], recursive: "yes", processChildrenOnly: false }))).toEqual(["templates", "recursive", "processChildrenOnly"]);
  });
  it("names are checked where they are: the dataset's section, the template's name, each template used", () => {
    expect(fields(sanoidPolicyKind.check({ ...policy, dataset: "a/b c" }))).toEqual(["dataset"]);
    expect(fields(sanoidPolicyKind.check({ ...template, template: "a b" }))).toEqual(["template"]);
    expect(fields(sanoidPolicyKind.check({ ...policy, templates: ["ok", "not ok"] }))).toEqual(["templates[1]"]);
    expect(fields(sanoidPolicyKind.check({ ...policy, dataset: UNKNOWN }))).toEqual([]);
    expect(fields(sanoidPolicyKind.check({ host: "off1" }))).toEqual(["dataset"]);
  });
  it("keys with an input of their own are refused in settings, in a policy and in a template alike", () => {
    for (const [key, input] of [["use_template", "templates"], ["recursive", "recursive"], ["process_children_only", "processChildrenOnly"]]) {
      const { failures } = sanoidPolicyKind.check({ ...policy, settings: { [key]: "yes" } });
      expect(failures, key).toEqual([{ property: `settings.${key}`, reason: `set ${key} with the ${input} input` }]);
    }
    expect(fields(sanoidPolicyKind.check({ ...template, settings: { hourly: "x", daily: "1" } }))).toEqual(["settings.hourly"]);
    expect(fields(sanoidPolicyKind.check({ ...policy, settings: UNKNOWN }))).toEqual([]);
  });
  it("templates: none and an empty list are the same; order counts", () => {
    const state = { ...policy, settings: {}, resolveDuplicates: false };
    expect(sanoidPolicyKind.diff(state, { ...state, templates: [] }).changes).toBe(false);
    expect(sanoidPolicyKind.diff({ ...state, templates: [] }, state).changes).toBe(false);
    expect(sanoidPolicyKind.diff({ ...state, templates: ["a", "b"] }, { ...state, templates: ["b", "a"] }).changes).toBe(true);
    expect(sanoidPolicyKind.diff({ ...state, templates: ["a,b"] }, { ...state, templates: ["a", "b"] }).changes).toBe(false);
  });
});

describe("SyncoidPull", () => {
  const pull = { host: "ovh3", source: { dataset: "a/b" }, target: "rpool/b" };
  it("--skip-parent goes with --recursive or -r, wherever they are", () => {
    for (const flags of [["--recursive", "--skip-parent"], ["--skip-parent", "-r"], ["--no-sync-snap", "-r", "--skip-parent"]]) {
      expect(fields(syncoidPullKind.check({ ...pull, flags })), flags.join(" ")).toEqual([]);
    }
    expect(fields(syncoidPullKind.check({ ...pull, flags: ["--skip-parent", "--no-sync-snap"] }))).toEqual(["flags"]);
    expect(fields(syncoidPullKind.check({ ...pull, flags: UNKNOWN }))).toEqual([]);
  });
  it("source and target are checked as endpoints; a source with an unknown part is left for later", () => {
    expect(fields(syncoidPullKind.check({ ...pull, source: { dataset: "a b" } }))).toEqual(["source"]);
    expect(syncoidPullKind.check({ ...pull, source: { user: "Op", host: "off2", dataset: "a/b" } }).failures[0].reason).toMatch(/^source user "Op" /);
    expect(syncoidPullKind.check({ ...pull, target: "a b" }).failures[0].reason).toMatch(/^target dataset "a b" /);
    expect(fields(syncoidPullKind.check({ ...pull, source: { host: UNKNOWN, dataset: "a b" } }))).toEqual([]);
    expect(fields(syncoidPullKind.check({ ...pull, target: "op@off2:zfs-hdd/off" }))).toEqual([]);
    expect(fields(syncoidPullKind.check({ ...pull, target: "op@:x" }))).toEqual(["target"]);
  });
  // Since issue 15 the file is the host's (zfs-fleet:hosts.<host>.syncoidArgs): path is no input.
  it("path, the default or another, is refused as an input, and no part of the comparison", () => {
    for (const path of ["/etc/sanoid/syncoid-args.conf", "/a"]) {
      const { inputs, failures } = syncoidPullKind.check({ ...pull, path });
      expect(failures, path).toEqual([
        { property: "path", reason: "is no longer an input of SyncoidPull: the file is the host's, zfs-fleet:hosts.<host>.syncoidArgs in the stack config (default /etc/sanoid/syncoid-args.conf)" },
      ]);
      expect(inputs, path).not.toHaveProperty("path");
    }
    const state = { ...pull, flags: [], enabled: true, waitForRunningSeconds: 600, runOnCreate: false, resolveDuplicates: false };
    expect(syncoidPullKind.diff({ ...state, path: "/a" }, { ...state, path: "/b" })).toMatchObject({ changes: false, replaces: [] });
    expect(syncoidPullKind.diff({ ...state, path: "/a" }, state)).toMatchObject({ changes: false, replaces: [] });
  });
});
