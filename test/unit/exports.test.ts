import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkExports, parseExportfs, parseExportsFile, parseShareList } from "../../provider/nfs/sharenfs";

const fixture = (name: string) => readFileSync(join(__dirname, "..", "fixtures", "openzfs-2.1", name), "utf8");

describe("/etc/exports.d/zfs.exports as OpenZFS 2.1 writes it", () => {
  const lines = parseExportsFile(fixture("nfs-zfs.exports-ovh3.txt"));

  it("one entry per path and client, the warning comment skipped", () => {
    expect(lines.filter((l) => l.path === "/rpool/fx-nfs").map((l) => l.client)).toEqual(["10.0.0.2/32", "10.0.0.1/32", "10.0.0.0/28"]);
    expect(lines.find((l) => l.path === "/rpool/fx-nfs-on")).toEqual({
      path: "/rpool/fx-nfs-on",
      client: "*",
      options: ["sec=sys", "rw", "no_subtree_check", "mountpoint", "crossmnt"],
    });
    expect(lines.some((l) => l.path.startsWith("#"))).toBe(false);
  });

  it("a child inheriting sharenfs gets its own lines (the report's over-exporting)", () => {
    expect(lines.filter((l) => l.path === "/rpool/fx-nfs/child")).toHaveLength(3);
  });
});

describe("exportfs -v", () => {
  const lines = parseExportfs(fixture("nfs-exportfs-v-ovh3.txt"));

  it("joins a long path's line with its client line", () => {
    expect(lines.find((l) => l.path === "/rpool/fx-nfs-plain")).toEqual({
      path: "/rpool/fx-nfs-plain",
      client: "10.0.0.2",
      options: ["async", "wdelay", "hide", "no_subtree_check", "mountpoint", "sec=sys", "rw", "secure", "root_squash", "no_all_squash"],
    });
    expect(lines.filter((l) => l.path === "/rpool/fx-nfs/child").map((l) => l.client)).toEqual(["10.0.0.2/32", "10.0.0.1/32", "10.0.0.0/28"]);
  });

  it("reads sharenfs=on as <world>", () => {
    expect(lines.find((l) => l.path === "/rpool/fx-nfs-on")?.client).toBe("<world>");
    expect(lines).toHaveLength(8);
  });
});

describe("finding stale export lines", () => {
  it("after renames, the exports of old paths are stale and the new paths are missing", () => {
    // Captured before (exports) and after (zfs list) renaming fx-nfs -> fx-nfs-renamed,
    // fx-nfs-plain -> fx-plain2 and moving fx-nfs/child out to fx-moved.
    const check = checkExports(parseExportsFile(fixture("nfs-zfs.exports-ovh3.txt")), parseShareList(fixture("nfs-zfs-list-ovh3.txt")));
    expect([...new Set(check.stale.map((l) => l.path))]).toEqual(["/rpool/fx-nfs", "/rpool/fx-nfs/child", "/rpool/fx-nfs-plain"]);
    expect(check.missing).toEqual(["rpool/fx-nfs-renamed", "rpool/fx-plain2"]);
  });

  it("nothing stale when the file matches", () => {
    const list = "rpool\t/rpool\toff\tyes\nrpool/backups\t/rpool/backups\trw=@10.0.0.0/28\tyes\nrpool/x\tnone\ton\tno\n";
    const file = "/rpool/backups 10.0.0.0/28(sec=sys,rw)\n";
    expect(checkExports(parseExportsFile(file), parseShareList(list))).toEqual({ stale: [], missing: [] });
  });
});
