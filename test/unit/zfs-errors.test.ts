// zfs errors recognised once (provider/zfs/errors.ts): stderr as OpenZFS 2.1
// words it (libzfs; the missing dataset captured on the lab, see
// test/fixtures/openzfs-2.1/dataset-zfs-get-missing.txt), and what each
// provider asks for.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RemoteCommandError } from "../../provider/transport";
import { failedWith, zfsFailures } from "../../provider/zfs/errors";

const failed = (stderr: string) => new RemoteCommandError("off2", "zfs ...", 1, stderr);
const captured = readFileSync(join(__dirname, "../fixtures/openzfs-2.1/dataset-zfs-get-missing.txt"), "utf8").split("\n")[0];

describe("zfs errors, recognised once", () => {
  it.each([
    [captured, "missing"],
    ["cannot open 'rpool/x': no such pool", "missing"],
    ["cannot mount 'rpool/staging-clones/products': No such file or directory", "missing"],
    ["cannot create 'rpool/a/b': parent does not exist", "parentMissing"],
    ["cannot rename 'zfs-hdd/backups': pool or dataset is busy", "busy"],
    ["umount: /zfs-hdd/backups: target is busy.", "busy"],
    ["cannot create 'rpool/off': dataset already exists", "exists"],
    ["cannot destroy 'rpool/off': filesystem has children\nuse '-r' to destroy the following datasets:\nrpool/off@daily", "hasChildren"],
    ["cannot set permission on 'zfs-hdd': invalid user 'ovh9operator'", "unknownGrantee"],
  ] as const)("%j is %s", (stderr, kind) => {
    expect(zfsFailures(failed(stderr))[0].kind).toBe(kind);
    expect(failedWith(failed(stderr), kind)).toBe(true);
  });

  it("names the line that says so, and knows nothing of other errors", () => {
    const err = failed("working on it\ncannot share 'rpool/backups/x': dataset does not exist\n");
    expect(zfsFailures(err)).toEqual([{ kind: "missing", line: "cannot share 'rpool/backups/x': dataset does not exist" }]);
    expect(zfsFailures(failed("permission denied"))).toEqual([]);
    expect(zfsFailures(new Error("cannot open 'x': dataset does not exist"))).toEqual([]);
    expect(failedWith(failed("cannot create 'rpool/a/b': parent does not exist"), "missing")).toBe(false);
  });
});
