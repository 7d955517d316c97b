// tools/review.ts, step by step: which heading each kind of step lands under,
// what a deletion means for the data by the recorded policy, what is skipped,
// and how the text is laid out. review.test.ts has the whole-preview cases.
import { describe, expect, it } from "vitest";
import { DESTRUCTIVE_OPS, type Preview, type PreviewStep, type Review, render, review } from "../../tools/review";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const urn = (type: string, name: string) => `urn:pulumi:lab-off2::zfs-fleet::${type}::${name}`;
const T = (kind: string) => `pulumi-nodejs:zfs:${kind}`;

function step(op: string, kind: string, name: string, olds?: Record<string, unknown>, news?: Record<string, unknown>): PreviewStep {
  return { op, urn: urn(T(kind), name), oldState: olds && { inputs: olds, outputs: olds }, newState: news && { type: T(kind), inputs: news } };
}

const only = (steps: PreviewStep[], more: Partial<Preview> = {}): Review => review("s", { steps, ...more });
const EMPTY = { destroys: [], renames: [], creates: [], adopts: [], updates: [], releases: [], errors: [], warnings: [] };

describe("a deletion, by the policy recorded in the old state", () => {
  it.each([
    [{ name: "zfs-hdd/x", onDelete: "destroy" }, { destroys: ["Dataset zfs-hdd/x: zfs destroy"] }],
    [{ name: "zfs-hdd/x", onDelete: "destroy", destroyRecursive: true }, { destroys: ["Dataset zfs-hdd/x: zfs destroy WITH ITS CHILDREN"] }],
    [{ name: "zfs-hdd/x", onDelete: "destroy", destroyRecursive: false }, { destroys: ["Dataset zfs-hdd/x: zfs destroy"] }],
    [{ name: "zfs-hdd/x", onDelete: "renameAside" }, { releases: ["Dataset zfs-hdd/x (renamed aside, data kept)"] }],
    [{ name: "zfs-hdd/x", onDelete: "retain" }, { releases: ["Dataset zfs-hdd/x (left on the host, data kept)"] }],
    [{ name: "zfs-hdd/x" }, { releases: ["Dataset zfs-hdd/x (left on the host, data kept)"] }],
  ])("Dataset %j", (olds, expected) => {
    expect(only([step("delete", "Dataset", "x", olds)])).toEqual({ stack: "s", ...EMPTY, ...expected });
  });

  it("another kind removed is only configuration, whatever onDelete says", () => {
    const r = only([step("delete", "SanoidPolicy", "p", { dataset: "zfs-hdd/x", onDelete: "destroy" })]);
    expect(r).toEqual({ stack: "s", ...EMPTY, releases: ["SanoidPolicy zfs-hdd/x (removed from the host's configuration)"] });
  });

  // The engine's step ops that remove a resource (the others are tested below as replacements).
  it("the destructive ops are the engine's", () => {
    expect([...DESTRUCTIVE_OPS].sort()).toEqual(["create-replacement", "delete", "delete-replaced", "discard", "replace"]);
  });
  it.each(["delete", "discard"])("%s is a deletion", (op) => {
    expect(only([step(op, "Dataset", "x", { name: "zfs-hdd/x", onDelete: "destroy" })]).destroys).toEqual(["Dataset zfs-hdd/x: zfs destroy"]);
  });
});

describe("a replacement", () => {
  it.each(["replace", "create-replacement"])("%s is reported first, with the inputs that force it", (op) => {
    const r = only([step(op, "SyncoidPull", "p", { target: "rpool/a", host: "ovh3", __provider: "x" }, { target: "rpool/a", host: "off1", __provider: "y" })]);
    expect(r).toEqual({ stack: "s", ...EMPTY, destroys: ["SyncoidPull p is REPLACED (delete + create) because of: host"] });
  });
  it("delete-replaced is part of its replace, not another entry", () => {
    expect(only([step("delete-replaced", "Dataset", "x", { name: "a/b", onDelete: "destroy" })])).toEqual({ stack: "s", ...EMPTY });
  });
  it("with no input changed, the provider asked for it", () => {
    expect(only([step("replace", "Dataset", "x", { name: "a/b" }, { name: "a/b" })]).destroys).toEqual([
      "Dataset x is REPLACED (delete + create) because of: a change the provider requires",
    ]);
  });
  it("lists every changed input, sorted, and nothing unchanged", () => {
    const r = only([step("replace", "Dataset", "x", { name: "a/b", host: "off1", adopt: false }, { name: "c/b", host: "off2", adopt: false })]);
    expect(r.destroys).toEqual(["Dataset x is REPLACED (delete + create) because of: host, name"]);
  });
});

describe("creates, adoptions and updates", () => {
  it("a create is named by what it is on the host; an adopting one is an adoption", () => {
    const r = only([
      step("create", "SanoidPolicy", "res-a", undefined, { dataset: "zfs-hdd/a" }),
      step("create", "SyncoidPull", "res-b", undefined, { target: "rpool/b" }),
      step("create", "Dataset", "res-c", undefined, { name: "zfs-hdd/c", adopt: true }),
      step("create", "Dataset", "res-d", undefined, { name: "zfs-hdd/d", adopt: false }),
      step("create", "Delegation", "off2-ovh3operator-zfs-hdd", undefined, { dataset: "zfs-hdd" }),
      step("create", "NfsShare", "res-e", undefined, { dataset: UNKNOWN }),
    ]);
    expect(r.creates).toEqual(["SanoidPolicy zfs-hdd/a", "SyncoidPull rpool/b", "Dataset zfs-hdd/d", "Delegation off2-ovh3operator-zfs-hdd", "NfsShare res-e"]);
    expect(r.adopts).toEqual(["Dataset zfs-hdd/c"]);
  });

  it("an update lists the inputs that changed, by the dataset's name when it has one", () => {
    const r = only([
      step("update", "Dataset", "res", { name: "zfs-hdd/a", onDelete: "retain", adopt: true }, { name: "zfs-hdd/a", onDelete: "destroy", adopt: false }),
      step("update", "SyncoidPull", "pull-res", { target: "rpool/a", flags: ["-r"] }, { target: "rpool/a", flags: [] }),
    ]);
    expect(r.updates).toEqual(["Dataset zfs-hdd/a: adopt, onDelete", "SyncoidPull pull-res: flags"]);
    expect(r.renames).toEqual([]);
  });

  it("a rename that changes more says so", () => {
    const r = only([
      step("update", "Dataset", "res", { name: "zfs-hdd/a", createParents: false }, { name: "zfs-hdd/b", createParents: true }),
      step("update", "NfsShare", "share", { dataset: "rpool/a", options: [] }, { dataset: "rpool/b", options: ["crossmnt"] }),
    ]);
    expect(r.renames).toEqual(["Dataset zfs-hdd/a -> zfs-hdd/b"]);
    expect(r.updates).toEqual(["Dataset zfs-hdd/b: createParents", "NfsShare rpool/a -> rpool/b (follows the rename); also options"]);
  });

  it("a step of an unchanged resource, the stack and the providers are left out", () => {
    const r = review("s", {
      steps: [
        step("same", "Dataset", "x", { name: "a/b" }, { name: "a/b" }),
        { op: "create", urn: "urn:pulumi:s::zfs-fleet::pulumi:pulumi:Stack::zfs-fleet-s", newState: { type: "pulumi:pulumi:Stack", inputs: {} } },
        { op: "create", urn: "urn:pulumi:s::zfs-fleet::pulumi:pulumi:Stack::zfs-fleet-s" },
        { op: "create", urn: "urn:pulumi:s::zfs-fleet::pulumi:providers:pulumi-nodejs::default", newState: { type: "pulumi:providers:pulumi-nodejs", inputs: {} } },
        step("refresh", "Dataset", "y", { name: "a/y" }, { name: "a/y" }),
      ],
    });
    expect(r).toEqual({ stack: "s", ...EMPTY });
  });

  // No resource has a kind input (inputs are declared only since issue 15): the
  // kind is the last part of the type token, the new state's or else the URN's.
  it("the kind comes from the type token, never from an input named kind or __kind", () => {
    const r = only([
      { op: "create", urn: urn(T("SyncoidPull"), "r1"), newState: { type: T("SyncoidPull"), inputs: { kind: "Dataset", target: "rpool/x" } } },
      { op: "create", urn: urn(T("NfsShare"), "r2"), newState: { type: T("NfsShare"), inputs: { __kind: "Dataset", dataset: "rpool/y" } } },
      { op: "create", urn: urn("zfs:index:Thing", "r3"), newState: { inputs: { name: "rpool/z" } } },
      { op: "create", urn: urn(T("Dataset"), "r5"), newState: { type: "zfs:index:Other", inputs: { name: "rpool/v" } } },
      // A kind input cannot make another resource's removal read as a destroy, nor hide a Dataset's.
      { op: "delete", urn: urn(T("SanoidPolicy"), "r4"), oldState: { inputs: { kind: "Dataset", dataset: "rpool/w", onDelete: "destroy" } } },
      { op: "delete", urn: urn(T("Dataset"), "r6"), oldState: { inputs: { kind: "SanoidPolicy", name: "rpool/u", onDelete: "destroy" } } },
    ]);
    expect(r.creates).toEqual(["SyncoidPull rpool/x", "NfsShare rpool/y", "Thing rpool/z", "Other rpool/v"]);
    expect(r.destroys).toEqual(["Dataset rpool/u: zfs destroy"]);
    expect(r.releases).toEqual(["SanoidPolicy rpool/w (removed from the host's configuration)"]);
  });

  it("an identity read from the outputs wins over the inputs (the name as the host has it)", () => {
    const r = only([{ op: "delete", urn: urn(T("Dataset"), "x"), oldState: { inputs: { name: "a/old" }, outputs: { name: "a/new", onDelete: "destroy" } } }]);
    expect(r.destroys).toEqual(["Dataset a/new: zfs destroy"]);
  });

  it("a value that is not a string is shown as JSON", () => {
    const r = only([step("delete", "Dataset", "x", { name: { pool: "a" }, onDelete: "retain" })]);
    expect(r.releases).toEqual(['Dataset {"pool":"a"} (left on the host, data kept)']);
  });
});

describe("diagnostics", () => {
  it("errors all, warnings once each, empty messages and other severities not at all", () => {
    const r = only([], {
      diagnostics: [
        { severity: "error", message: "  boom\n" },
        { severity: "error", message: "boom" },
        { severity: "warning", message: "careful" },
        { severity: "warning", message: "careful " },
        { severity: "info", message: "fyi" },
        { severity: "warning", message: "   " },
        { severity: "error" },
      ],
    });
    expect(r.errors).toEqual(["boom", "boom"]);
    expect(r.warnings).toEqual(["careful"]);
  });
});

describe("the text", () => {
  const full: Review = {
    stack: "lab-off2",
    destroys: ["Dataset a: zfs destroy"],
    renames: ["Dataset a -> b"],
    creates: ["SanoidPolicy c"],
    adopts: ["Dataset d"],
    updates: ["Dataset e: adopt"],
    releases: ["Dataset f (left on the host, data kept)"],
    errors: ["bad"],
    warnings: ["careful"],
  };

  it("puts the destroys of every stack first, then each stack's sections in order", () => {
    const other: Review = { ...EMPTY, stack: "lab-ovh3", destroys: ["Dataset g: zfs destroy"] };
    expect(render([full, other]).split("\n")).toEqual([
      "!!! DATA WOULD BE DESTROYED OR REPLACED: read these first !!!",
      "  !! lab-off2: Dataset a: zfs destroy",
      "  !! lab-ovh3: Dataset g: zfs destroy",
      "",
      "== lab-off2",
      "  errors:",
      "    bad",
      "  renames (zfs rename, data and identity kept):",
      "    Dataset a -> b",
      "  creates (a section, line, grant or share the host already has as wanted is taken over unchanged):",
      "    SanoidPolicy c",
      "  adopts (taken over unchanged if it exists, created otherwise):",
      "    Dataset d",
      "  updates:",
      "    Dataset e: adopt",
      "  no longer managed (data kept):",
      "    Dataset f (left on the host, data kept)",
      "  warnings:",
      "    careful",
      "== lab-ovh3",
      "  no changes",
    ]);
  });

  it("says when nothing is destroyed, and a stack with only warnings has no changes", () => {
    expect(render([{ ...EMPTY, stack: "s", warnings: ["w"] }]).split("\n")).toEqual(["No dataset is destroyed or replaced.", "", "== s", "  warnings:", "    w", "  no changes"]);
  });

  it.each(["errors", "renames", "creates", "adopts", "updates", "releases"] as const)("a stack with %s alone has changes", (key) => {
    expect(render([{ ...EMPTY, stack: "s", [key]: ["x"] }])).not.toContain("no changes");
  });
});

describe("steps with parts missing", () => {
  it("no steps or diagnostics at all is an empty review", () => {
    expect(review("s", {})).toEqual({ stack: "s", ...EMPTY });
  });
  it("a step without inputs on either side, or without an old state, is read without failing", () => {
    const r = only([
      { op: "create", urn: urn(T("Dataset"), "a"), newState: { type: T("Dataset") } },
      { op: "create", urn: urn(T("Dataset"), "a2") },
      { op: "delete", urn: urn(T("Dataset"), "b") },
      { op: "delete", urn: urn(T("Dataset"), "c"), oldState: { outputs: { onDelete: "destroy" } } },
      { op: "replace", urn: urn(T("Dataset"), "d"), newState: { type: T("Dataset"), inputs: { name: "p/d" } } },
      { op: "replace", urn: urn(T("Dataset"), "e"), oldState: { inputs: { name: "p/e" } } },
    ]);
    expect(r.creates).toEqual(["Dataset a", "Dataset a2"]);
    expect(r.releases).toEqual(["Dataset b (left on the host, data kept)"]);
    expect(r.destroys).toEqual(["Dataset c: zfs destroy", "Dataset d is REPLACED (delete + create) because of: name", "Dataset e is REPLACED (delete + create) because of: name"]);
  });
  it("a type without parts leaves the kind empty rather than inventing one", () => {
    expect(only([{ op: "create", urn: "odd", newState: { inputs: { name: "p/x" } } }]).creates).toEqual([" p/x"]);
  });
  it("the stack is recognised by its type alone too", () => {
    expect(only([{ op: "create", urn: "urn:pulumi:s::p::odd::s", newState: { type: "pulumi:pulumi:Stack", inputs: {} } }])).toEqual({ stack: "s", ...EMPTY });
  });
  it("only an update lists changes: a read or refresh that differs is not one", () => {
    const r = only([step("read", "Dataset", "x", { name: "a/b", adopt: false }, { name: "a/b", adopt: true }), step("refresh", "Dataset", "y", { name: "a/y" }, { name: "a/z" })]);
    expect(r).toEqual({ stack: "s", ...EMPTY });
  });
  it("a name only the new inputs have is an update, not a rename from nothing", () => {
    const r = only([step("update", "Dataset", "x", { adopt: true }, { name: "a/b", adopt: true })]);
    expect(r.renames).toEqual([]);
    expect(r.updates).toEqual(["Dataset a/b: name"]);
  });
  it("a name the host already has (renamed by hand, seen by refresh) is no rename", () => {
    const r = only([{ op: "update", urn: urn(T("Dataset"), "x"), oldState: { inputs: { name: "a/old" }, outputs: { name: "a/new" } }, newState: { type: T("Dataset"), inputs: { name: "a/new" } } }]);
    expect(r.renames).toEqual([]);
    expect(r.updates).toEqual(["Dataset a/new: name"]);
  });
  it("a follower's other changes are listed, comma-separated", () => {
    const r = only([step("update", "SyncoidPull", "p", { target: "a/b", flags: [], enabled: true }, { target: "a/c", flags: ["-r"], enabled: false })]);
    expect(r.updates).toEqual(["SyncoidPull a/b -> a/c (follows the rename); also enabled, flags"]);
  });
});
