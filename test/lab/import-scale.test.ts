// What an import costs on a host with 1000 datasets: the bench's fill of
// off2 (bench/scale.run.ts: zfs-hdd/bench, a parent with 50 children and 949
// siblings, each with the bench's properties set on it). Long (the fill takes
// about 20 min under emulation), so only when asked for:
//
//   ZFSFLEET_IMPORT_SCALE=1 vitest run --project lab test/lab/import-scale.test.ts
//
// A fill already on off2 (a bench run with BENCH_REUSE=1 left it, or a run of this file cut short) is
// completed and used; at the end the lab is reset, the fill with it.
// The import is one remote command over one connection whatever the size; the
// module it writes describes every dataset with its properties, and the
// providers' own planning finds nothing to change (as in the unit tests).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROPERTIES } from "../../bench/tools";
import { describeHost } from "../../provider/import/describe";
import { parseHostOutput } from "../../provider/import/facts";
import { costLine, importHost, writesOf } from "./import-support";
import { closeConnections, out, resetLab, run, sh } from "./support";

const N = 1000;
const ROOT = "zfs-hdd/bench";
const CHILDREN = 50;

/** The bench's fill (bench/scale.run.ts, names()): a parent with 50 children, and N - 51 siblings. */
function names(): string[] {
  const children = Array.from({ length: CHILDREN }, (_, i) => `${ROOT}/tree/c${String(i).padStart(2, "0")}`);
  const flat = Array.from({ length: N - CHILDREN - 1 }, (_, i) => `${ROOT}/d${String(i).padStart(4, "0")}`);
  return [`${ROOT}/tree`, ...children, ...flat];
}

describe.skipIf(!process.env.ZFSFLEET_IMPORT_SCALE)(`importing a host with ${N} datasets (the bench's fill of off2)`, () => {
  // The lab caps each VM's ARC at 256 MiB, sized for the suite (lab/vm). A thousand mounted datasets hold
  // about 0.8 MB of ARC metadata each: under that cap the kernel prunes without end and a create takes
  // 30 s and more (seen here at 330 datasets). For this file off2's cap is 1 GiB (of its 2 GiB), as the
  // bench ran, and then put back to the image's value (its /etc/modprobe.d/zfs.conf, what a boot sets).
  const ARC_MAX = "/sys/module/zfs/parameters/zfs_arc_max";
  let arcMax = "";
  beforeAll(async () => {
    const value = String.raw`s/.*zfs_arc_max=\([0-9]*\).*/\1/p`;
    arcMax = (await out("off2", sh`sed -n ${value} /etc/modprobe.d/zfs.conf`)).trim();
    expect(arcMax).toMatch(/^\d+$/);
    await run("off2", sh`echo ${String(1 << 30)} > ${ARC_MAX}`);
    const listed = await run("off2", sh`zfs list -H -o name -r ${ROOT}`, { allowFailure: true });
    const have = new Set(listed.exitCode === 0 ? listed.stdout.split("\n").filter(Boolean) : []);
    if (have.size === 0) {
      await resetLab();
      await run("off2", sh`zfs create ${ROOT}`);
    }
    // One create after the other, 100 to a command, stopping at the first that fails (50 at once thrash
    // the VM's one vCPU); a fill cut short is completed, not started again.
    const opts = Object.entries(PROPERTIES).flatMap(([k, v]) => ["-o", `${k}=${v}`]);
    const missing = names().filter((n) => !have.has(n));
    for (let i = 0; i < missing.length; i += 100) {
      await run("off2", sh`set -e; for d in ${missing.slice(i, i + 100)}; do zfs create ${opts} "$d"; done`, { timeoutMs: 1_800_000 });
    }
    expect(Number((await out("off2", sh`zfs list -H -o name -r ${ROOT} | wc -l`)).trim())).toBe(N + 1);
  });
  // The fill goes before the cap comes back: under the lab's cap the next file's reset, meeting 1001
  // mounted datasets, took minutes for one `zfs list` (seen here). A rerun fills again.
  afterAll(async () => {
    try {
      await resetLab();
    } finally {
      if (arcMax) await run("off2", sh`echo ${arcMax} > ${ARC_MAX}`);
      await closeConnections();
    }
  });

  it("is one remote command over one connection, and describes every dataset with its properties, changing nothing", async () => {
    const i = await importHost("off2");
    console.log(costLine(`off2 with the bench's fill of ${N}`, i.report));
    expect(i.report).toMatchObject({ commands: 1, connections: 1 });
    expect(writesOf(i.commands)).toEqual([]);
    const d = describeHost("off2", parseHostOutput(i.saved.stdout, i.saved.nonce, i.saved.paths));
    const bench = d.datasets.filter((x) => x.name.startsWith(`${ROOT}/`));
    expect(bench).toHaveLength(N);
    for (const x of bench) expect(x.properties).toEqual(Object.fromEntries(Object.entries(PROPERTIES).sort(([a], [b]) => (a < b ? -1 : 1))));
    expect(i.module.split("\n").filter((l) => l.startsWith(`  { key: "${ROOT}`) && l.includes(" guid: "))).toHaveLength(N + 1);
  });
});
