// Reading a pool back: `zfs get -Hp ... -r all <pool>` as the lab's OpenZFS 2.1 prints it
// (fixtures captured on off1, see test/fixtures/openzfs-2.1/dataset-*).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseZfsGet, poolQuery } from "../../provider/zfs/inventory";
import { outputsOf } from "../../provider/dataset/provider";
import type { DatasetInputs } from "../../provider/dataset/schema";

const fixture = (name: string) => readFileSync(join(__dirname, "../fixtures/openzfs-2.1", name), "utf8");
const captured = fixture("dataset-zfs-get-all-r-zfs-nvme-off1.txt");
const pool = parseZfsGet(captured);
/** A dataset's guid as the captured output prints it (lab/capture-fixtures makes the datasets afresh). */
const guidIn = (name: string) => captured.split("\n").find((l) => l.startsWith(`${name}\tguid\t`))!.split("\t")[2];

describe("one zfs get per pool answers for every dataset in it", () => {
  it("lists filesystems and volumes, not snapshots, each with its guid and type", () => {
    expect([...pool.byName.keys()].sort()).toEqual([
      "zfs-nvme",
      "zfs-nvme/off",
      "zfs-nvme/off/cache",
      "zfs-nvme/off/images",
      "zfs-nvme/off/products",
      "zfs-nvme/staging-products",
      "zfs-nvme/vol1",
    ]);
    expect(guidIn("zfs-nvme/off")).toMatch(/^\d{6,20}$/);
    expect(pool.byName.get("zfs-nvme/off")?.guid).toBe(guidIn("zfs-nvme/off"));
    expect(pool.byName.get("zfs-nvme/vol1")?.type).toBe("volume");
    expect(pool.byGuid.get(guidIn("zfs-nvme/off/products"))?.name).toBe("zfs-nvme/off/products");
    expect(new Set([...pool.byName.values()].map((d) => d.guid)).size).toBe(pool.byName.size);
  });

  it("keeps values exact (-p) and sources as ZFS names them", () => {
    const off = pool.byName.get("zfs-nvme/off")!.properties;
    expect(off.quota).toEqual({ value: "10737418240", source: "local" });
    expect(off["syncoid:sync"]).toEqual({ value: "false", source: "local" });
    expect(off.mountpoint).toEqual({ value: "/zfs-nvme/off", source: "inherited from zfs-nvme" });
    const images = pool.byName.get("zfs-nvme/off/images")!.properties;
    expect(images.recordsize).toEqual({ value: "1048576", source: "local" });
    expect(images["org.openfoodfacts:role"]).toEqual({ value: "replica", source: "inherited from zfs-nvme/off" });
    expect(pool.byName.get("zfs-nvme/staging-products")!.properties.origin.value).toBe(
      "zfs-nvme/off/products@autosnap_2024-03-01_00:00:01_daily",
    );
  });

  it("reads a user property whose value holds a tab, and skips a line broken by a newline in one", () => {
    const odd = parseZfsGet("p/a\tguid\t1\t-\np/a\tnote:x\tone\ttwo\tlocal\np/a\tnote:y\tfirst line\nsecond\tlocal\n");
    expect(odd.byName.get("p/a")!.properties["note:x"]).toEqual({ value: "one\ttwo", source: "local" });
    expect(odd.byGuid.get("1")?.name).toBe("p/a");
  });

  it("is asked as one command per pool, filesystems and volumes only", () => {
    expect(poolQuery("zfs-hdd").text).toBe("zfs get -Hp -o name,property,value,source -t filesystem,volume -r all zfs-hdd");
  });
});

describe("outputs: what the state records of a dataset", () => {
  const inputs: DatasetInputs = {
    host: "off1",
    name: "zfs-nvme/off",
    properties: { quota: "10G", compression: "lz4", "syncoid:sync": "false" },
    createParents: false,
    onDelete: "retain",
    destroyRecursive: false,
    adopt: true,
  };
  const outs = outputsOf(inputs, pool.byName.get("zfs-nvme/off")!);

  it("records guid, name, pool, mountpoint and the effective value and source of each managed property", () => {
    expect(outs).toMatchObject({ guid: guidIn("zfs-nvme/off"), name: "zfs-nvme/off", pool: "zfs-nvme", mountpoint: "/zfs-nvme/off" });
    expect(outs.effective.quota).toEqual({ value: "10737418240", source: "local" });
    expect(outs.effective.compression).toEqual({ value: "zstd", source: "local" });
  });

  it("keeps the program's spelling when it means the host's value, and the host's value when it differs", () => {
    expect(outs.properties.quota).toBe("10G"); // 10737418240 bytes: no change to show
    expect(outs.properties.compression).toBe("zstd"); // drift: the program wants lz4
    expect(outs.properties["syncoid:sync"]).toBe("false");
  });

  it("does not count an inherited value as managed: it is drift", () => {
    const child = outputsOf({ ...inputs, name: "zfs-nvme/off/images", properties: { "syncoid:sync": "false" } }, pool.byName.get("zfs-nvme/off/images")!);
    expect(child.properties).toEqual({});
    expect(child.effective["syncoid:sync"]).toEqual({ value: "false", source: "inherited from zfs-nvme/off" });
  });
});
