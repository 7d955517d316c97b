// diff, input by input, for every kind: a change of any one input alone shows
// as a change, an update or a replacement as that input says, both in the
// kind's diff (provider/kind.ts) and in the provider's (what the engine calls,
// with its drift checks), and neither sends a remote command. A setting that
// does nothing on the host by itself (onDelete, adopt, createParents,
// resolveDuplicates...) must still show: otherwise the state keeps the old
// value and the next delete or adoption acts on it.
import { describe, expect, it, vi } from "vitest";

vi.mock("../../provider/transport", async () => (await import("../support/no-remote")).transportWithoutRemote("in diff"));
import { remote } from "../support/no-remote";

import * as dataset from "../../provider/dataset/provider";
import { datasetKind } from "../../provider/dataset/schema";
import * as delegation from "../../provider/delegation/provider";
import { delegationKind } from "../../provider/delegation/schema";
import { type ResourceKind, UNKNOWN } from "../../provider/kind";
import * as nfs from "../../provider/nfs/provider";
import { nfsShareKind } from "../../provider/nfs/schema";
import * as sanoid from "../../provider/sanoid/provider";
import { sanoidPolicyKind } from "../../provider/sanoid/schema";
import * as syncoid from "../../provider/syncoid/provider";
import { syncoidPullKind } from "../../provider/syncoid/schema";

type Diff = (id: string, olds: never, news: never) => Promise<{ changes?: boolean; replaces?: string[] }>;

interface Case {
  kind: ResourceKind<any, any>;
  diff: Diff;
  /** A state as create writes it: the inputs check returned, and outputs that agree with them (no drift). */
  state: Record<string, unknown>;
  /** Another value for each input, and what the provider's diff makes of a change to it alone. */
  changes: Record<string, [unknown, "update" | "replace"]>;
}

const CASES: Case[] = [
  {
    kind: datasetKind,
    diff: dataset.diff as Diff,
    state: {
      host: "off2",
      name: "zfs-hdd/off-backups",
      properties: { compression: "lz4" },
      createParents: false,
      onDelete: "retain",
      destroyRecursive: false,
      adopt: false,
      waitForReplicationSeconds: 600,
      acknowledgeHazards: [],
      guid: "1",
      pool: "zfs-hdd",
      mountpoint: "/zfs-hdd/off-backups",
      effective: { compression: { value: "lz4", source: "local" } },
      adoptedDifferences: [],
    },
    changes: {
      host: ["off1", "replace"],
      name: ["zfs-hdd/off-backups-2", "update"],
      properties: [{ compression: "zstd" }, "update"],
      createParents: [true, "update"],
      onDelete: ["renameAside", "update"],
      destroyRecursive: [true, "update"],
      adopt: [true, "update"],
      waitForReplicationSeconds: [60, "update"],
      acknowledgeHazards: [["bindMount:101"], "update"],
    },
  },
  {
    kind: delegationKind,
    diff: delegation.diff as Diff,
    state: {
      host: "off2",
      dataset: "zfs-hdd",
      who: { user: "ovh3operator" },
      permissions: ["hold", "send"],
      scope: "both",
      datasetGuid: "1",
      live: { local: ["hold", "send"], descendent: ["hold", "send"] },
      held: ["hold", "send"],
    },
    changes: {
      host: ["off1", "replace"],
      dataset: ["zfs-nvme", "update"],
      who: [{ group: "ovh3operator" }, "replace"],
      permissions: [["hold", "send", "snapshot"], "update"],
      scope: ["local", "update"],
    },
  },
  {
    kind: nfsShareKind,
    diff: nfs.diff as Diff,
    state: {
      host: "ovh3",
      dataset: "rpool/backups",
      clients: [{ address: "10.0.0.2/32", access: "rw" }],
      options: ["no_root_squash"],
      allowEveryone: false,
      datasetGuid: "1",
      sharenfs: "rw=@10.0.0.2/32,no_root_squash",
      mountpoint: "/rpool/backups",
      exports: [],
      inheritedBy: [],
      staleExports: [],
    },
    changes: {
      host: ["off1", "replace"],
      dataset: ["rpool/backups-2", "update"],
      clients: [[{ address: "10.0.0.2/32", access: "ro" }], "update"],
      options: [["no_root_squash", "crossmnt"], "update"],
      // With clients listed, allowEveryone changes nothing on the host; it is still the program's input.
      allowEveryone: [true, "update"],
    },
  },
  {
    kind: sanoidPolicyKind,
    diff: sanoid.diff as Diff,
    state: {
      host: "off1",
      dataset: "zfs-hdd/off-backups",
      templates: ["synced_sys"],
      recursive: "yes",
      processChildrenOnly: true,
      settings: { hourly: "10" },
      resolveDuplicates: false,
      section: "zfs-hdd/off-backups",
      live: { use_template: "synced_sys", recursive: "yes", process_children_only: "yes", hourly: "10" },
      duplicates: [],
    },
    changes: {
      host: ["off2", "replace"],
      dataset: ["zfs-hdd/off-backups-2", "update"],
      // A policy that becomes a template is another section.
      template: ["synced_sys", "replace"],
      templates: [["local_sys"], "update"],
      recursive: ["zfs", "update"],
      processChildrenOnly: [false, "update"],
      settings: [{ hourly: "11" }, "update"],
      resolveDuplicates: [true, "update"],
    },
  },
  {
    kind: syncoidPullKind,
    diff: syncoid.diff as Diff,
    state: {
      host: "ovh3",
      source: { user: "ovh3operator", host: "off2.openfoodfacts.org", dataset: "zfs-hdd/off" },
      target: "rpool/off",
      flags: ["--no-sync-snap"],
      enabled: true,
      waitForRunningSeconds: 600,
      runOnCreate: false,
      resolveDuplicates: false,
      line: "--no-sync-snap ovh3operator@off2.openfoodfacts.org:zfs-hdd/off rpool/off",
      duplicates: [],
    },
    changes: {
      host: ["off1", "replace"],
      source: [{ user: "ovh3operator", host: "off2.openfoodfacts.org", dataset: "zfs-hdd/off-2" }, "update"],
      target: ["rpool/off-2", "update"],
      flags: [["--no-sync-snap", "--recursive"], "update"],
      enabled: [false, "update"],
      waitForRunningSeconds: [60, "update"],
      runOnCreate: [true, "update"],
      resolveDuplicates: [true, "update"],
    },
  },
];

const inputsOf = (c: Case) => Object.fromEntries(Object.entries(c.state).filter(([k]) => !c.kind.outputNames.includes(k)));

describe.each(CASES.map((c) => ({ name: c.kind.kind, c })))("$name: a change of one input alone", ({ c }) => {
  it("the table names every input of the kind, and the state checks and shows no change", async () => {
    expect(Object.keys(c.changes).sort()).toEqual(c.kind.fields.map((f) => f.name).sort());
    expect(c.kind.check(inputsOf(c)).failures).toEqual([]);
    expect(await c.diff("id", c.state as never, inputsOf(c) as never)).toMatchObject({ changes: false, replaces: [] });
    expect(c.kind.diff(c.state, inputsOf(c))).toMatchObject({ changes: false, replaces: [] });
  });

  const silenced = async <T>(f: () => Promise<T>): Promise<T> => {
    // A replacement of a Dataset explains itself on stderr (guardReplacement).
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      return await f();
    } finally {
      spy.mockRestore();
    }
  };

  it.each(Object.entries(c.changes))("%s shows in the provider's diff", async (name, [value, effect]) => {
    const news = { ...inputsOf(c), [name]: value };
    const result = await silenced(() => c.diff("id", c.state as never, news as never));
    expect(result.changes).toBe(true);
    expect(result.replaces).toEqual(effect === "replace" ? [name] : []);
    expect(remote.calls).toBe(0);
  });

  it.each(Object.entries(c.changes))("%s shows in the kind's diff, an update or a replacement as its schema says", (name, [value]) => {
    const field = c.kind.fields.find((f) => f.name === name)!;
    const result = c.kind.diff(c.state, { ...inputsOf(c), [name]: value });
    expect(result.changes).toBe(true);
    expect(result.replaces).toEqual(field.onChange === "replace" ? [name] : []);
    expect(result.deleteBeforeReplace).toBe(c.kind.deleteBeforeReplace);
  });

  it.each(Object.keys(c.changes))("%s unknown at preview is a change, and a replacement where a change replaces", (name) => {
    const field = c.kind.fields.find((f) => f.name === name)!;
    const result = c.kind.diff(c.state, { ...inputsOf(c), [name]: UNKNOWN });
    expect(result.changes).toBe(true);
    expect(result.replaces).toEqual(field.onChange === "replace" ? [name] : []);
  });

  it("a change back to the old value is no change, whatever was changed in between", () => {
    for (const [name, [value]] of Object.entries(c.changes)) {
      const changed = { ...c.state, [name]: value };
      expect(c.kind.diff(changed, inputsOf(c)).changes, name).toBe(true);
      expect(c.kind.diff(changed, { ...inputsOf(c), [name]: value }).changes, name).toBe(false);
    }
  });
});

// Since issue 15 the file is the host's (zfs-fleet:hosts.<host>.sanoidConf,
// .syncoidArgs), no input: a state written before then still carries a path,
// which neither diff reads (check refuses it as an input).
describe.each([
  { name: "SanoidPolicy", c: CASES[3], path: "/tmp/sanoid.conf" },
  { name: "SyncoidPull", c: CASES[4], path: "/tmp/syncoid-args.conf" },
])("$name: path, no longer an input", ({ name, c, path }) => {
  it("the case is the kind's", () => expect(c.kind.kind).toBe(name));
  it("is no field of the kind", () => {
    expect(c.kind.fields.map((f) => f.name)).not.toContain("path");
    expect(c.kind.complete({ ...inputsOf(c), path })).not.toHaveProperty("path");
  });
  it("an old state's path is no change, in the kind's diff or the provider's", async () => {
    const old = { ...c.state, path };
    expect(c.kind.diff(old, inputsOf(c))).toMatchObject({ changes: false, replaces: [] });
    expect(await c.diff("id", old as never, inputsOf(c) as never)).toMatchObject({ changes: false, replaces: [] });
    expect(remote.calls).toBe(0);
  });
});

describe("what the kind's diff adds to the input-by-input comparison", () => {
  const c = CASES[0];
  it("a replacement asked for by the provider is reported, once, with changes", () => {
    expect(c.kind.diff(c.state, inputsOf(c), { replaces: ["name"] })).toMatchObject({ changes: true, replaces: ["name"] });
    expect(c.kind.diff(c.state, { ...inputsOf(c), host: "off1" }, { replaces: ["host"] }).replaces).toEqual(["host"]);
  });
  it("drift seen by the last read is a change with nothing to replace", () => {
    expect(c.kind.diff(c.state, inputsOf(c), { changed: true })).toMatchObject({ changes: true, replaces: [] });
    expect(c.kind.diff(c.state, inputsOf(c), { changed: false }).changes).toBe(false);
  });
  it("tells the engine whether a replacement deletes first, as the kind says", () => {
    expect(datasetKind.diff({}, {}).deleteBeforeReplace).toBe(false);
    expect(sanoidPolicyKind.diff({}, {}).deleteBeforeReplace).toBe(true);
    expect(syncoidPullKind.diff({}, {}).deleteBeforeReplace).toBe(true);
  });
});
