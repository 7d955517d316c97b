// What a Dataset's read (a refresh) asks of its host (provider/dataset/provider.ts): the pool's one
// `zfs get` and the host's one hazard scan, the two side by side, whatever the number of Datasets.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";

const fixture = (name: string) => readFileSync(join(__dirname, "..", "fixtures", "openzfs-2.1", name), "utf8");
const sent: string[] = [];
/** The pool read answers only when the test says so. */
let answerPool: () => void = () => undefined;
vi.mock("../../provider/transport", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../provider/transport")>();
  return {
    ...real,
    run: async (_host: string, command: { text: string }) => {
      sent.push(command.text);
      if (command.text.includes("@@zfs-fleet:")) return { stdout: fixture("hazards-scan-off2.txt"), stderr: "", exitCode: 0 };
      await new Promise<void>((r) => (answerPool = r));
      return { stdout: fixture("dataset-zfs-get-all-r-zfs-nvme-off1.txt"), stderr: "", exitCode: 0 };
    },
  };
});
import { read } from "../../provider/dataset/provider";
import type { DatasetOutputs } from "../../provider/dataset/schema";

const stored = (name: string) => ({ host: "off2", name, pool: "zfs-nvme", properties: {}, adoptedDifferences: [] }) as unknown as DatasetOutputs;

describe("read", () => {
  it("begins the hazard scan beside the pool read, once for every Dataset of the host", async () => {
    const reads = [read("12565058316894232560", stored("zfs-nvme/off")), read("5405151411214704045", stored("zfs-nvme/off/cache"))];
    await vi.waitFor(() => expect(sent.some((c) => c.startsWith("zfs get"))).toBe(true));
    // The pool has not answered yet, and the scan is already on its way.
    expect(sent.filter((c) => c.includes("@@zfs-fleet:"))).toHaveLength(1);
    answerPool();
    const [off, cache] = await Promise.all(reads);
    expect(off).toMatchObject({ id: "12565058316894232560", props: { name: "zfs-nvme/off" } });
    expect(cache.props).toMatchObject({ name: "zfs-nvme/off/cache", hazards: [] });
    expect(sent.map((c) => (c.includes("@@zfs-fleet:") ? "scan" : c.split(" ").slice(0, 2).join(" ")))).toEqual(["scan", "zfs get"]);
  });
});
