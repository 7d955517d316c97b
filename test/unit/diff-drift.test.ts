// What each provider's diff adds to the kind's input-by-input comparison
// (diff-inputs.test.ts): drift seen by the last read, a state read before the
// outputs existed, values unknown at preview, and the Dataset's guard against
// moves ZFS cannot do. No remote command runs.
import { afterEach, describe, expect, it, vi } from "vitest";

vi.mock("../../provider/transport", async () => (await import("../support/no-remote")).transportWithoutRemote("in diff"));
import { remote } from "../support/no-remote";

import * as dataset from "../../provider/dataset/provider";
import * as delegation from "../../provider/delegation/provider";
import { UNKNOWN } from "../../provider/kind";
import * as nfs from "../../provider/nfs/provider";
import * as sanoid from "../../provider/sanoid/provider";
import * as syncoid from "../../provider/syncoid/provider";

afterEach(() => expect(remote.calls).toBe(0));

const d = (f: unknown) => f as never;

describe("Dataset", () => {
  const state = {
    host: "off2",
    name: "rpool/off",
    properties: {},
    createParents: false,
    onDelete: "destroy" as const,
    destroyRecursive: false,
    adopt: false,
    waitForSyncoidSeconds: 0,
    guid: "1",
    pool: "rpool",
    mountpoint: "/rpool/off",
    effective: {},
    adoptedDifferences: [],
  };
  const warnings = async (f: () => Promise<unknown>) => {
    const said: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((m: string) => void said.push(m));
    try {
      return { result: await f(), said };
    } finally {
      spy.mockRestore();
    }
  };

  it("a rename in the same pool of a dataset whose policy is destroy is an update, not refused, and says nothing", async () => {
    const { result, said } = await warnings(() => dataset.diff("1", state, { ...state, name: "rpool/off2" }));
    expect(result).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(said).toEqual([]);
  });

  it("a move to another host is refused when the old dataset would be destroyed, naming both ends and the way out", async () => {
    await expect(dataset.diff("1", state, { ...state, host: "off1" })).rejects.toThrow(
      'Dataset off2:rpool/off -> off1:rpool/off: moving from host off2 to host off1 is not a rename ZFS can do; it would create an empty rpool/off and then destroy rpool/off (its onDelete is "destroy"), data and all. Copy the data first (syncoid or zfs send), or set onDelete to "retain" or "renameAside" and run up before moving it.',
    );
  });

  it("a move to another pool names the pools", async () => {
    await expect(dataset.diff("1", state, { ...state, name: "zfs-hdd/off" })).rejects.toThrow(/moving from pool rpool to pool zfs-hdd is not a rename ZFS can do/);
  });

  it("a move whose host or name is unknown at preview is a replacement, not yet refused", async () => {
    expect((await dataset.diff("1", state, { ...state, host: UNKNOWN })).replaces).toEqual(["host"]);
  });

  it("a move to another host with a name inside the old one is a replacement, not the rename error", async () => {
    const { result } = await warnings(() => dataset.diff("1", { ...state, onDelete: "retain" }, { ...state, onDelete: "retain", host: "off1", name: "rpool/off/x" }));
    expect((result as { replaces: string[] }).replaces).toEqual(["host"]);
  });

  it("the warning of an allowed move says what becomes of the old dataset, by its policy", async () => {
    const aside = await warnings(() => dataset.diff("1", { ...state, onDelete: "renameAside" }, { ...state, onDelete: "renameAside", host: "off1" }));
    expect(aside.said).toEqual([
      "warning: Dataset off2:rpool/off -> off1:rpool/off: moving from host off2 to host off1 is not a rename ZFS can do: off1:rpool/off is created empty and off2:rpool/off is renamed aside to rpool/off-removed-<date>; copy the data yourself (syncoid or zfs send).",
    ]);
    const { onDelete: _o, ...older } = state;
    const kept = await warnings(() => dataset.diff("1", d(older), { ...older, name: "zfs-hdd/off" } as never));
    expect(kept.said).toEqual([
      "warning: Dataset off2:rpool/off -> off2:zfs-hdd/off: moving from pool rpool to pool zfs-hdd is not a rename ZFS can do: off2:zfs-hdd/off is created empty and off2:rpool/off is left in place with its data (onDelete: retain); copy the data yourself (syncoid or zfs send).",
    ]);
  });

  it("a move inside itself is refused with the way out", async () => {
    await expect(dataset.diff("1", state, { ...state, name: "rpool/off/old" })).rejects.toThrow(
      "Dataset rpool/off: cannot move it to rpool/off/old, inside itself (ZFS refuses to rename a dataset under its own descendant). Move it to a temporary name first, or create the new parent as its own Dataset.",
    );
  });
});

describe("Delegation", () => {
  const grant = { host: "off2", dataset: "zfs-hdd", who: { user: "op" }, permissions: ["hold", "send"], scope: "both" as const };
  const live = { local: ["hold", "send"], descendent: ["hold", "send"] };
  const state = { ...grant, datasetGuid: "1", live, held: ["hold", "send"] };

  it("drift in either scope is a change; live grants as wanted are none", async () => {
    expect((await delegation.diff("id", state, grant)).changes).toBe(false);
    expect((await delegation.diff("id", { ...state, live: { ...live, descendent: ["hold"] } }, grant)).changes).toBe(true);
    expect((await delegation.diff("id", { ...state, live: { ...live, local: ["hold", "send", "snapshot"] } }, grant)).changes).toBe(true);
  });
  it("a state read before the live grants were recorded has no drift", async () => {
    const { live: _l, ...older } = state;
    expect(await delegation.diff("id", d(older), grant)).toMatchObject({ changes: false, replaces: [] });
  });
  it("a state without scope or permissions reads them as their defaults", async () => {
    const { scope: _s, ...noScope } = grant;
    expect((await delegation.diff("id", state, d(noScope))).changes).toBe(false);
  });
  it("permissions unknown at preview are a change, not drift worked out from the marker", async () => {
    expect(await delegation.diff("id", state, { ...grant, permissions: d(UNKNOWN) })).toMatchObject({ changes: true, replaces: [] });
  });
});

describe("NfsShare", () => {
  const share = { host: "ovh3", dataset: "rpool/b", clients: [{ address: "10.0.0.2", access: "rw" as const }], options: [], allowEveryone: false };
  const state = { ...share, datasetGuid: "1", sharenfs: "rw=10.0.0.2", mountpoint: "/rpool/b", exports: [], inheritedBy: [], staleExports: [] };

  it("the share as wanted is no change; the value changed by hand, or stale export lines, are", async () => {
    expect((await nfs.diff("id", d(state), d(share))).changes).toBe(false);
    expect((await nfs.diff("id", d({ ...state, sharenfs: "rw=10.0.0.3" }), d(share))).changes).toBe(true);
    expect((await nfs.diff("id", d({ ...state, staleExports: ["/old 10.0.0.2(rw)"] }), d(share))).changes).toBe(true);
  });
  it("a state read before the outputs existed has no drift", async () => {
    const { sharenfs: _s, staleExports: _e, ...older } = state;
    expect((await nfs.diff("id", d(older), d(share))).changes).toBe(false);
    const { staleExports: _x, ...noStale } = state;
    expect((await nfs.diff("id", d(noStale), d(share))).changes).toBe(false);
  });
  it("a share to everyone is sharenfs=on only with no clients and allowEveryone", async () => {
    const everyone = { ...share, clients: [], allowEveryone: true };
    expect(nfs.shareOf(d(everyone))).toEqual({ clients: [], options: [], everyone: true });
    expect(nfs.shareOf(d({ ...share, allowEveryone: true })).everyone).toBe(false);
    expect(nfs.shareOf(d({ ...everyone, allowEveryone: false })).everyone).toBe(false);
    expect((await nfs.diff("id", d({ ...state, ...everyone, sharenfs: "on" }), d(everyone))).changes).toBe(false);
    expect((await nfs.diff("id", d({ ...state, ...everyone, sharenfs: "off" }), d(everyone))).changes).toBe(true);
  });
  it("an input unknown at preview is a change, without working out drift", async () => {
    expect((await nfs.diff("id", d(state), d({ ...share, clients: UNKNOWN }))).changes).toBe(true);
  });
});

describe("SanoidPolicy", () => {
  const policy = { host: "off1", dataset: "a/b", templates: ["t1", "t2"], recursive: "yes", processChildrenOnly: false, settings: { hourly: "1" }, resolveDuplicates: false, path: "/etc/sanoid/sanoid.conf" };
  const live = { use_template: "t1,t2", recursive: "yes", process_children_only: "no", hourly: "1" };
  const state = { ...policy, section: "a/b", live, duplicates: [] };

  it("writes the section's lines in order: use_template, recursive, process_children_only, then the settings", () => {
    expect(sanoid.entriesOf(d(policy))).toEqual([["use_template", "t1,t2"], ["recursive", "yes"], ["process_children_only", "no"], ["hourly", "1"]]);
    expect(sanoid.entriesOf({ processChildrenOnly: true })).toEqual([["process_children_only", "yes"]]);
    expect(sanoid.entriesOf({ templates: [], settings: {} })).toEqual([]);
    expect(sanoid.entriesOf({})).toEqual([]);
  });
  it("the section as wanted is no change; any setting changed, added or removed by hand is", async () => {
    expect((await sanoid.diff("id", d(state), d(policy))).changes).toBe(false);
    for (const drifted of [{ ...live, hourly: "2" }, { ...live, daily: "1" }, { use_template: "t1,t2", recursive: "yes", process_children_only: "no" }, { ...live, use_template: "t2,t1" }]) {
      expect((await sanoid.diff("id", d({ ...state, live: drifted }), d(policy))).changes, JSON.stringify(drifted)).toBe(true);
    }
  });
  it("a state read before the live settings existed, or an input unknown at preview, works out no drift", async () => {
    const { live: _l, ...older } = state;
    expect((await sanoid.diff("id", d(older), d(policy))).changes).toBe(false);
    expect((await sanoid.diff("id", d(state), d({ ...policy, settings: UNKNOWN }))).replaces).toEqual([]);
  });
  it("a policy that becomes a template, or back, replaces the section by the input now given", async () => {
    const tpl = { host: "off1", template: "t1", settings: { hourly: "1" } };
    const tplState = { ...tpl, section: "template_t1", live: { hourly: "1" }, duplicates: [] };
    expect((await sanoid.diff("id", d(state), d(tpl))).replaces).toEqual(["template"]);
    expect((await sanoid.diff("id", d(tplState), d(policy))).replaces).toEqual(["dataset"]);
    expect((await sanoid.diff("id", d(tplState), d(tpl))).changes).toBe(false);
  });
});

describe("SyncoidPull", () => {
  const pull = { host: "ovh3", source: { host: "off2", dataset: "a/b" }, target: "rpool/b", flags: ["-r"], enabled: true };
  const state = { ...pull, waitForRunningSeconds: 600, runOnCreate: false, resolveDuplicates: false, line: "-r off2:a/b rpool/b", duplicates: [] };

  it("the line as wanted is no change; a line edited by hand, or gone, is", async () => {
    expect((await syncoid.diff("id", d(state), d(pull))).changes).toBe(false);
    expect((await syncoid.diff("id", d({ ...state, line: "-r --debug off2:a/b rpool/b" }), d(pull))).changes).toBe(true);
    expect((await syncoid.diff("id", d({ ...state, line: "" }), d(pull))).changes).toBe(true);
  });
  it("a state read before the line was recorded, or an input unknown at preview, works out no drift", async () => {
    const { line: _l, ...older } = state;
    expect((await syncoid.diff("id", d(older), d(pull))).changes).toBe(false);
    expect((await syncoid.diff("id", d(state), d({ ...pull, flags: UNKNOWN }))).replaces).toEqual([]);
  });
  it("the pull as the line is written: defaults filled in", () => {
    expect(syncoid.pullOf(d({ host: "ovh3", source: { dataset: "a/b" }, target: "rpool/b" }))).toEqual({ flags: [], source: { dataset: "a/b" }, target: "rpool/b", enabled: true });
  });
});
