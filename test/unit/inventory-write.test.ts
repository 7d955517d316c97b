// What the provider knows of a pool after it wrote there (provider/zfs/inventory.ts): the subtree
// the write changed is read again, not the pool, but only when the write ran alone and the pool
// had been read; in every other case everything known of the host is forgotten, as before.
import { beforeEach, describe, expect, it, vi } from "vitest";

/** The host as `zfs get -r` would print it now: one line per dataset (guid and type are enough here). */
let datasets: Record<string, string> = {};
const sent: string[] = [];
let failNext: RegExp | undefined;
vi.mock("../../provider/transport", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../provider/transport")>();
  return {
    ...real,
    run: async (_host: string, command: { text: string }) => {
      sent.push(command.text);
      if (failNext?.test(command.text)) {
        failNext = undefined;
        throw new Error(`lost: ${command.text}`);
      }
      const root = command.text.split(" ").pop()!;
      if (command.text.startsWith("zfs create -p ")) {
        for (let n = root; n.includes("/") && !(n in datasets); n = n.slice(0, n.lastIndexOf("/"))) datasets[n] = String(100 + Object.keys(datasets).length);
        return { stdout: "", stderr: "", exitCode: 0 };
      }
      const lines = Object.entries(datasets)
        .filter(([name]) => name === root || name.startsWith(`${root}/`))
        .flatMap(([name, guid]) => [`${name}\tguid\t${guid}\t-`, `${name}\ttype\tfilesystem\t-`]);
      return { stdout: lines.join("\n") + "\n", stderr: "", exitCode: 0 };
    },
  };
});
import { create } from "../../provider/dataset/provider";
import { findByGuid, invalidate, knownFacts, patchFacts, parseZfsGet, poolFacts, write } from "../../provider/zfs/inventory";

let host = 0;
/** Each test on a host of its own: the cache lives as long as the process. */
const fresh = () => `h${++host}`;
const reads = () => sent.filter((c) => c.startsWith("zfs get")).map((c) => c.split(" ").pop());
/** A rename on the fake host, as `zfs rename` does it: the dataset and everything below it. */
const rename = (from: string, to: string) => {
  datasets = Object.fromEntries(Object.entries(datasets).map(([n, g]) => [n === from || n.startsWith(`${from}/`) ? to + n.slice(from.length) : n, g]));
};

beforeEach(() => {
  datasets = { tank: "1", "tank/a": "2", "tank/a/x": "3", "tank/a/y": "4", "tank/b": "5", "tank/c": "6" };
  sent.length = 0;
  failNext = undefined;
});

describe("patchFacts", () => {
  it("drops the gone and reread subtrees, adds what was read again, and finds each guid at its new name", () => {
    const base = parseZfsGet(Object.entries(datasets).map(([n, g]) => `${n}\tguid\t${g}\t-`).join("\n"));
    const moved = parseZfsGet("tank/b/a\tguid\t2\t-\ntank/b/a/x\tguid\t3\t-\ntank/b/a/y\tguid\t4\t-\ntank/b\tguid\t5\t-\n");
    const after = patchFacts(base, ["tank/a"], [moved], ["tank/b"]);
    expect([...after.byName.keys()].sort()).toEqual(["tank", "tank/b", "tank/b/a", "tank/b/a/x", "tank/b/a/y", "tank/c"]);
    expect(after.byGuid.get("3")?.name).toBe("tank/b/a/x");
    expect(after.byName.get("tank/c")).toBe(base.byName.get("tank/c")); // untouched: the same facts
    // A name that only starts like a dropped one is not below it.
    const lookalike = patchFacts(parseZfsGet("tank/a\tguid\t2\t-\ntank/ab\tguid\t9\t-\n"), ["tank/a"], [], []);
    expect([...lookalike.byName.keys()]).toEqual(["tank/ab"]);
    // What the base still had below a reread root, but the host no longer has, is gone.
    const stale = patchFacts(parseZfsGet("tank/b\tguid\t5\t-\ntank/b/old\tguid\t8\t-\n"), [], [parseZfsGet("tank/b\tguid\t5\t-\n")], ["tank/b"]);
    expect([...stale.byName.keys()]).toEqual(["tank/b"]);
    expect(stale.byGuid.has("8")).toBe(false);
  });
});

describe("write", () => {
  it("alone on a pool that was read: reads only the changed subtree again, and the pool answers from the patch", async () => {
    const h = fresh();
    await poolFacts(h, "tank");
    await write(h, "tank", async () => rename("tank/a", "tank/b/a"), () => ({ gone: ["tank/a"], reread: ["tank/b/a"] }));
    expect((await findByGuid(h, "tank", "4"))?.name).toBe("tank/b/a/y");
    expect((await poolFacts(h, "tank")).byName.has("tank/a")).toBe(false);
    expect(reads()).toEqual(["tank", "tank/b/a"]); // one full read, then the subtree: no second full read
    expect(knownFacts(h, "tank")?.byGuid.get("2")?.name).toBe("tank/b/a"); // check and diff see it too
  });

  it("the change is computed from the facts before the write (a create's first missing parent)", async () => {
    const h = fresh();
    await poolFacts(h, "tank");
    let seen: string[] = [];
    await write(h, "tank", async () => Object.assign(datasets, { "tank/n": "7", "tank/n/m": "8" }), (before) => {
      seen = [...before.byName.keys()];
      return { gone: [], reread: ["tank/n"] };
    });
    expect(seen).not.toContain("tank/n");
    expect((await findByGuid(h, "tank", "8"))?.name).toBe("tank/n/m");
    expect(reads()).toEqual(["tank", "tank/n"]);
  });

  it("on a pool not read yet: forgets the host, the next question reads the whole pool", async () => {
    const h = fresh();
    await write(h, "tank", async () => rename("tank/a", "tank/z"), () => ({ gone: ["tank/a"], reread: ["tank/z"] }));
    expect((await findByGuid(h, "tank", "2"))?.name).toBe("tank/z");
    expect(reads()).toEqual(["tank"]);
  });

  it("beside another write on the host: neither patches, the next question reads the whole pool", async () => {
    const h = fresh();
    await poolFacts(h, "tank");
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = write(h, "tank", async () => {
      await held;
      rename("tank/a", "tank/z");
    }, () => ({ gone: ["tank/a"], reread: ["tank/z"] }));
    const second = write(h, "tank", async () => rename("tank/c", "tank/w"), () => ({ gone: ["tank/c"], reread: ["tank/w"] }));
    await second;
    release();
    await first;
    const facts = await poolFacts(h, "tank");
    expect(facts.byGuid.get("2")?.name).toBe("tank/z");
    expect(facts.byGuid.get("6")?.name).toBe("tank/w");
    expect(reads()).toEqual(["tank", "tank"]);
  });

  it("invalidated while it ran (a wait that polls the pool): does not patch", async () => {
    const h = fresh();
    await poolFacts(h, "tank");
    await write(h, "tank", async () => {
      rename("tank/a", "tank/z");
      invalidate(h);
    }, () => ({ gone: ["tank/a"], reread: ["tank/z"] }));
    expect((await findByGuid(h, "tank", "2"))?.name).toBe("tank/z");
    expect(reads()).toEqual(["tank", "tank"]);
  });

  it("a failed write forgets the host and fails with the write's error", async () => {
    const h = fresh();
    await poolFacts(h, "tank");
    const failing = write(h, "tank", async () => {
      rename("tank/a", "tank/z"); // half done, as a command that failed late may leave it
      throw new Error("zfs said no");
    }, () => ({ gone: ["tank/a"], reread: ["tank/z"] }));
    await expect(failing).rejects.toThrow("zfs said no");
    expect(knownFacts(h, "tank")).toBeUndefined();
    expect((await findByGuid(h, "tank", "2"))?.name).toBe("tank/z");
    expect(reads()).toEqual(["tank", "tank"]);
  });

  it("a subtree that cannot be read again: the whole pool is read instead", async () => {
    const h = fresh();
    await poolFacts(h, "tank");
    failNext = /-r all tank\/z$/;
    await write(h, "tank", async () => rename("tank/a", "tank/z"), () => ({ gone: ["tank/a"], reread: ["tank/z"] }));
    expect((await findByGuid(h, "tank", "3"))?.name).toBe("tank/z/x");
    expect(reads()).toEqual(["tank", "tank/z", "tank"]);
  });

  it("a destroy reads nothing again: the subtree is dropped", async () => {
    const h = fresh();
    await poolFacts(h, "tank");
    await write(h, "tank", async () => {
      for (const n of Object.keys(datasets)) if (n === "tank/a" || n.startsWith("tank/a/")) delete datasets[n];
    }, () => ({ gone: ["tank/a"], reread: [] }));
    expect([...(await poolFacts(h, "tank")).byName.keys()].sort()).toEqual(["tank", "tank/b", "tank/c"]);
    expect(reads()).toEqual(["tank"]);
  });
});

describe("the Dataset provider's writes", () => {
  it("a create with parents reads again from the first parent that was missing", async () => {
    const h = fresh();
    await poolFacts(h, "tank");
    const made = await create({ host: h, name: "tank/a/p/q", properties: {}, createParents: true, onDelete: "retain", destroyRecursive: false, adopt: false, waitForReplicationSeconds: 0, acknowledgeHazards: [] });
    const facts = await poolFacts(h, "tank");
    expect(["tank/a/p", "tank/a/p/q"].map((n) => facts.byName.has(n))).toEqual([true, true]);
    expect(facts.byGuid.get(made.id)?.name).toBe("tank/a/p/q");
    expect(reads()).toEqual(["tank", "tank/a/p"]);
  });
});
