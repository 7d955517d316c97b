// What the provider reads from zfs, case by case: each failure kind of
// provider/zfs/errors.ts by each of its wordings (first match wins, line by
// line), and the zfs get parser of provider/zfs/inventory.ts on small inputs.
import { describe, expect, it } from "vitest";
import { RemoteCommandError } from "../../provider/transport";
import { failedWith, zfsFailures } from "../../provider/zfs/errors";
import { parseZfsGet, poolQuery } from "../../provider/zfs/inventory";

const failed = (stderr: string) => new RemoteCommandError("off2", "zfs ...", 1, stderr);

describe("each failure kind, by each of its wordings", () => {
  it.each([
    ["cannot destroy 'p/a': filesystem has children", "hasChildren"],
    ["cannot destroy 'p/a': filesystem has dependent snapshots", "hasChildren"],
    ["CANNOT DESTROY: HAS CHILDREN", "hasChildren"],
    ["cannot create 'p/a/b': parent does not exist", "parentMissing"],
    ["cannot open 'p/a': dataset does not exist", "missing"],
    ["cannot open 'p': no such pool", "missing"],
    ["cannot mount '/p/a': No such file or directory", "missing"],
    ["cannot open 'P/A': DATASET DOES NOT EXIST", "missing"],
    ["cannot unmount '/p/a': pool or dataset is busy", "busy"],
    ["umount: target is BUSY", "busy"],
    ["cannot create 'p/a': dataset already exists", "exists"],
    ["cannot rename to 'p/b': Already Exists", "exists"],
    ["invalid user 'x'", "unknownGrantee"],
    ["invalid group 'x'", "unknownGrantee"],
    ["cannot allow: no such user 'x'", "unknownGrantee"],
    ["cannot allow: no such group 'x'", "unknownGrantee"],
    ["cannot allow: No Such User 'x'", "unknownGrantee"],
  ] as const)("%j is %s, and only that", (stderr, kind) => {
    expect(zfsFailures(failed(stderr))).toEqual([{ kind, line: stderr }]);
    for (const other of ["missing", "busy", "exists", "parentMissing", "hasChildren", "unknownGrantee"] as const) {
      expect(failedWith(failed(stderr), other), other).toBe(other === kind);
    }
  });

  it("reads every line, in order, trimmed, and skips the lines it does not know", () => {
    const err = failed("  cannot open 'p/a': dataset does not exist  \nsomething else\n\ncannot unmount 'p/b': pool or dataset is busy\n");
    expect(zfsFailures(err)).toEqual([
      { kind: "missing", line: "cannot open 'p/a': dataset does not exist" },
      { kind: "busy", line: "cannot unmount 'p/b': pool or dataset is busy" },
    ]);
    expect(failedWith(err, "missing")).toBe(true);
    expect(failedWith(err, "busy")).toBe(true);
    expect(failedWith(err, "exists")).toBe(false);
  });

  it("knows nothing of a failure that is not a remote command's", () => {
    expect(zfsFailures(new Error("dataset does not exist"))).toEqual([]);
    expect(zfsFailures("dataset does not exist")).toEqual([]);
    expect(zfsFailures(undefined)).toEqual([]);
    expect(failedWith(new Error("dataset does not exist"), "missing")).toBe(false);
    expect(zfsFailures(failed(""))).toEqual([]);
  });
});

describe("zfs get -Hp output, on small cases", () => {
  it("one dataset per name, its guid and type from their lines, every property with value and source", () => {
    const facts = parseZfsGet("p/a\ttype\tfilesystem\t-\np/a\tguid\t42\t-\np/a\tquota\t0\tdefault\np/b\tguid\t43\t-\n");
    expect([...facts.byName.keys()]).toEqual(["p/a", "p/b"]);
    expect(facts.byName.get("p/a")).toEqual({
      name: "p/a",
      guid: "42",
      type: "filesystem",
      properties: { type: { value: "filesystem", source: "-" }, guid: { value: "42", source: "-" }, quota: { value: "0", source: "default" } },
    });
    expect(facts.byName.get("p/b")).toMatchObject({ guid: "43", type: "" });
    expect([...facts.byGuid.keys()]).toEqual(["42", "43"]);
    expect(facts.byGuid.get("43")).toBe(facts.byName.get("p/b"));
  });

  it("skips lines with fewer than four fields, and a dataset without a guid is not found by guid", () => {
    const facts = parseZfsGet("\np/a\tquota\t0\n\tx\ny\np/c\tquota\t0\tlocal\n");
    expect([...facts.byName.keys()]).toEqual(["p/c"]);
    expect(facts.byGuid.size).toBe(0);
    expect(parseZfsGet("").byName.size).toBe(0);
  });

  it("an empty value is a value, and a value with tabs is kept whole", () => {
    const facts = parseZfsGet("p/a\tnote:x\t\tlocal\np/a\tnote:y\ta\tb\tc\tinherited from p\n");
    expect(facts.byName.get("p/a")!.properties).toEqual({ "note:x": { value: "", source: "local" }, "note:y": { value: "a\tb\tc", source: "inherited from p" } });
  });

  it("asks for one pool, its filesystems and volumes, values exact", () => {
    expect(poolQuery("zfs-nvme").text).toBe("zfs get -Hp -o name,property,value,source -t filesystem,volume -r all zfs-nvme");
    expect(poolQuery("a b").text).toBe("zfs get -Hp -o name,property,value,source -t filesystem,volume -r all 'a b'");
  });
});
