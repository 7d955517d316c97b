// What every kind derives from its schema (provider/kind.ts, resource.ts):
// the class registers the defaults check applies, an input unknown at preview
// passes check, a state written before an input existed reads as its default,
// and a change of the provider's code alone is no change.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { datasetKind } from "../../provider/dataset/schema";
import { delegationKind } from "../../provider/delegation/schema";
import { type ResourceKind, UNKNOWN, defineKind, hostInput, renderInputs } from "../../provider/kind";
import { nfsShareKind } from "../../provider/nfs/schema";
import { propsOf } from "../../provider/resource";
import { sanoidPolicyKind } from "../../provider/sanoid/schema";
import { syncoidPullKind } from "../../provider/syncoid/schema";

const KINDS: [ResourceKind<any, any>, Record<string, unknown>][] = [
  [datasetKind, { host: "off2", name: "zfs-hdd/off-backups" }],
  [delegationKind, { host: "off2", dataset: "zfs-hdd", who: { user: "ovh3operator" }, permissions: ["hold", "send"] }],
  [nfsShareKind, { host: "ovh3", dataset: "rpool/backups", clients: [{ address: "10.0.0.0/28", access: "rw" }] }],
  [sanoidPolicyKind, { host: "off1", dataset: "zfs-hdd/off-backups", templates: ["synced_sys"], recursive: "yes" }],
  [syncoidPullKind, { host: "ovh3", source: { user: "ovh3operator", host: "off2.openfoodfacts.org", dataset: "zfs-hdd/off" }, target: "rpool/off" }],
];

describe.each(KINDS.map(([kind, given]) => ({ name: kind.kind, kind, given })))("$name", ({ kind, given }) => {
  const checked = kind.check(given).inputs;

  it("registers from the class what check stores: the same defaults", () => {
    const props = propsOf(kind, given as never);
    expect(kind.check(props).inputs).toEqual(checked);
    for (const name of kind.outputNames) expect(props).toHaveProperty(name, undefined);
  });

  it("gives every input a doc line and every input not given its default in check", () => {
    for (const f of kind.fields) expect(f.doc.length, f.name).toBeGreaterThan(10);
    const notGiven = Object.fromEntries(Object.entries(kind.defaults).filter(([name]) => !(name in given)));
    expect(checked).toMatchObject(notGiven);
  });

  it("passes an input unknown at preview through check, whatever its type", () => {
    // (A SanoidPolicy with a template as well as a dataset is refused whatever the template.)
    for (const f of kind.fields.filter((f) => f.name !== "host" && !(kind === sanoidPolicyKind && f.name === "template"))) {
      const { inputs, failures } = kind.check({ ...given, [f.name]: UNKNOWN });
      expect(failures, f.name).toEqual([]);
      expect(inputs[f.name], f.name).toBe(UNKNOWN);
    }
  });

  it("reads a state written before a defaulted input existed as that default: no change", () => {
    for (const name of Object.keys(kind.defaults).filter((name) => !(name in given))) {
      const { [name]: _dropped, ...older } = checked;
      expect(kind.diff(older, checked).changes, name).toBe(false);
    }
  });

  it("ignores a change of the provider's code, and replaces on a new host", () => {
    expect(kind.diff({ ...checked, __provider: "old" }, { ...checked, __provider: "new" }).changes).toBe(false);
    expect(kind.diff(checked, { ...checked, host: "off9" })).toMatchObject({ changes: true, replaces: ["host"] });
    expect(kind.diff(checked, { ...checked, host: UNKNOWN }).replaces).toEqual(["host"]);
  });
});

describe("an input a kind no longer has (path, before the files became the host's)", () => {
  const pull = KINDS.find(([k]) => k === syncoidPullKind)![1];
  const policy = KINDS.find(([k]) => k === sanoidPolicyKind)![1];

  it.each([
    ["SyncoidPull", syncoidPullKind, pull, "/etc/sanoid/syncoid-args.conf"],
    ["SanoidPolicy", sanoidPolicyKind, policy, "/etc/sanoid/sanoid.conf"],
  ] as const)("%s: a state that still holds it shows no change, and reads as if it did not", (_n, kind, given, path) => {
    const checked = kind.check(given).inputs;
    const older = { ...checked, path, line: "", duplicates: [] };
    expect(kind.diff(older, checked).changes).toBe(false);
    expect(kind.complete(older)).not.toHaveProperty("path");
    // Even one that named another file: the file is the host's now.
    expect(kind.diff({ ...older, path: "/tmp/test.conf" }, checked).changes).toBe(false);
  });

  it.each([
    ["SyncoidPull", syncoidPullKind, pull],
    ["SanoidPolicy", sanoidPolicyKind, policy],
  ] as const)("%s: a program that still gives it is refused, saying where the file is now", (_n, kind, given) => {
    const { failures } = kind.check({ ...given, path: "/etc/sanoid/x.conf" });
    expect(failures).toEqual([{ property: "path", reason: expect.stringMatching(/is no longer an input of .*: the file is the host's, zfs-fleet:hosts\.<host>\.(sanoidConf|syncoidArgs)/) }]);
  });
});

describe("check stores only the declared inputs", () => {
  it.each(KINDS.map(([kind, given]) => ({ name: kind.kind, kind, given })))("$name", ({ kind, given }) => {
    const { inputs, failures } = kind.check({ ...given, __provider: "serialized shim" });
    expect(failures).toEqual([]);
    expect(Object.keys(inputs).every((k) => kind.fields.some((f) => f.name === k))).toBe(true);
    expect(kind.check({ ...given, extra: 1 }).failures).toEqual([{ property: "extra", reason: expect.stringMatching(new RegExp(`is not an input of ${kind.kind}`)) }]);
  });
});

describe("a secret input", () => {
  const kind = defineKind({
    kind: "Dataset",
    inputs: z.object({ host: hostInput(), token: z.string().meta({ description: "a credential the state must not hold in clear", secret: true }) }),
    outputs: z.object({}),
    deleteBeforeReplace: false,
  });

  it("is registered by the class as a secret, and the doc table says so", async () => {
    const props = propsOf(kind, { host: "off2", token: "hunter2" });
    expect(pulumi.Output.isInstance(props.token)).toBe(true);
    expect(await pulumi.isSecret(props.token as pulumi.Output<string>)).toBe(true);
    expect(renderInputs(kind)).toContain("| `token` | a credential the state must not hold in clear (secret) | required | updates |");
  });
});
