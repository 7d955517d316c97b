import { describe, expect, it } from "vitest";
import { digest, type Exported, type MoveRecord, planMove, resourceCount, sameState } from "../../tools/team-migrate";

// Shaped as `pulumi stack export` prints them (3.276): version 3, manifest, secrets provider, resources.
const state = (names: string[], extra: Partial<NonNullable<Exported["deployment"]>> = {}): Exported => ({
  version: 3,
  deployment: {
    manifest: { time: "2026-12-01T11:34:39Z", magic: "m", version: "v3.276.0" },
    secrets_providers: { type: "passphrase", state: { salt: "v1:jbhRMQCjtks=:v1:nVmjHY9xen4g7b2n:9g4Q" } },
    resources: names.map((n) => ({ urn: `urn:pulumi:lab-off2::zfs-fleet::pulumi-nodejs:dynamic:Resource::${n}`, outputs: { name: n } })),
    ...extra,
  },
});

const record = (leftBehind: "file" | "postgres", of: Exported): MoveRecord => ({
  stack: "lab-off2",
  leftBehind,
  digest: digest(of),
  resources: resourceCount(of),
  at: "2026-12-01T12:00:00.000Z",
});

const base = { stack: "lab-off2", from: "file", to: "postgres" } as const;

describe("moving a stack's state between backends", () => {
  it("a stack new to the target is created there and imported", () => {
    expect(planMove({ ...base, source: state(["a", "b"]) })).toEqual({
      action: "import",
      init: true,
      backup: false,
      why: "lab-off2: new in the postgres backend",
    });
  });

  it("a stack the source does not have is skipped, not created empty", () => {
    expect(planMove({ ...base, source: undefined, target: state(["a"]) }).action).toBe("skip");
  });

  it("the same state on both sides is left alone (a second migrate is a no-op)", () => {
    expect(planMove({ ...base, source: state(["a"]), target: state(["a"]), same: true })).toEqual({
      action: "skip",
      why: "lab-off2: the postgres backend holds the same state already (1 resources)",
    });
  });

  it("an empty stack in the target is filled", () => {
    expect(planMove({ ...base, source: state(["a"]), target: state([]) })).toMatchObject({ action: "import", init: false });
  });

  it("overwrites the copy an earlier move left behind, when nobody touched it since", () => {
    // Moved to postgres earlier (file left behind), the team ran ups on postgres, now back to file.
    const leftInFile = state(["a"]);
    const plan = planMove({ stack: "lab-off2", from: "postgres", to: "file", source: state(["a", "b"]), target: leftInFile, record: record("file", leftInFile) });
    expect(plan).toMatchObject({ action: "import", backup: false });
    expect(plan.why).toBe("lab-off2: the file copy is the one the move of 2026-12-01T12:00:00.000Z left behind, unchanged since");
  });

  it("refuses to overwrite a left-behind copy someone updated since: the stale picture the team setup avoids", () => {
    const leftInFile = state(["a"]);
    const updatedSince = state(["a", "c"]);
    const plan = planMove({ stack: "lab-off2", from: "postgres", to: "file", source: state(["a", "b"]), target: updatedSince, record: record("file", leftInFile) });
    expect(plan).toEqual({
      action: "refuse",
      why:
        "lab-off2: the file backend holds a different state (2 resources in both, not the same), changed since the move of " +
        "2026-12-01T12:00:00.000Z left it behind (someone ran an update there); compare the two, keep one; --force overwrites the file copy (after saving its export)",
    });
  });

  it("refuses a different target with no record of a move, and overwrites it with --force after saving it", () => {
    const p = { ...base, source: state(["a"]), target: state(["x", "y"]) };
    expect(planMove(p)).toMatchObject({ action: "refuse", why: expect.stringContaining("(2 resources, against 1 in file)") });
    expect(planMove({ ...p, force: true })).toMatchObject({ action: "import", backup: true });
  });

  it("a record of a move the other way does not allow an overwrite", () => {
    const target = state(["x"]);
    expect(planMove({ ...base, source: state(["a"]), target, record: record("file", target) }).action).toBe("refuse");
  });

  it("refuses a source with pending operations (an interrupted run): stack import would drop them", () => {
    const killed = state(["a"], { pending_operations: [{ type: "updating", resource: { urn: "urn:...::b" } }] });
    expect(planMove({ ...base, source: killed })).toEqual({
      action: "refuse",
      why: "lab-off2: 1 pending operation(s) in the file state (an interrupted run); `pulumi refresh -s lab-off2` there first (stack import would drop them)",
    });
  });

  it("a copy's digest ignores the manifest's time and key order, not a resource or a secret's ciphertext", () => {
    const a = state(["a"]);
    const later = state(["a"], { manifest: { time: "2027-01-01T00:00:00Z" } });
    const reordered: Exported = JSON.parse(JSON.stringify({ deployment: { resources: a.deployment?.resources, secrets_providers: a.deployment?.secrets_providers } }));
    expect(digest(later)).toBe(digest(a));
    expect(digest(reordered)).toBe(digest(a));
    expect(sameState(a, later)).toBe(true);
    expect(digest(state(["a", "b"]))).not.toBe(digest(a));
    const withSecret = (ciphertext: string) =>
      state(["a"], { resources: [{ urn: "u", outputs: { key: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext } } }] });
    expect(digest(withSecret("v1:ygi7z63t"))).not.toBe(digest(withSecret("v1:CwGhaLwf")));
  });
});
