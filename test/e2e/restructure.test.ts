// The 2024-03 restructure end to end, exactly as `make demo` runs it
// (tools/demo.sh), on its own Pulumi backend: the lab seeded with the legacy
// layout, adopted, previewed and applied as the current layout, verified on the
// hosts. The assertions read what the demo left: the engine's JSON previews,
// the hosts themselves and a second preview of every stack.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATASETS, HOSTS } from "../../stacks/fleet";
import { parseIni, duplicates as sanoidDuplicates } from "../../provider/sanoid/conf";
import { duplicateTargets, parseArgs } from "../../provider/syncoid/args";
import { DESTRUCTIVE_OPS, type Preview, review } from "../../tools/review";
import { track } from "../lab/health";
import { repo } from "../lab/engine";
import { closeConnections, out, run, sh } from "../lab/support";

function runDemo(env: NodeJS.ProcessEnv, log: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = track(spawn(join(repo, "tools", "demo.sh"), [], { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"], detached: true }));
    let text = "";
    const keep = (d: Buffer) => {
      text += d.toString();
      process.stdout.write(d); // the demo's progress, live
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", reject);
    child.on("close", (code) => {
      writeFileSync(log, text);
      resolvePromise(code ?? 1);
    });
  });
}

describe("the restructure, replayed on the lab as make demo does it", () => {
  const dir = mkdtempSync(join(tmpdir(), "zfs-fleet-e2e-"));
  const previews = join(dir, "previews");
  const log = join(dir, "demo.log");
  let exitCode = -1;

  beforeAll(async () => {
    const started = Date.now();
    exitCode = await runDemo(
      { ...process.env, PULUMI_BACKEND_URL: `file://${dir}`, ZFSFLEET_DEMO_OUT: previews, ZFSFLEET_LOG_FILE: join(dir, "provider.log") },
      log,
    );
    console.log(`[figures] the demo on the file backend took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  });
  afterAll(async () => {
    await closeConnections();
    rmSync(dir, { recursive: true, force: true });
  });

  const preview = (host: string): Preview => JSON.parse(readFileSync(join(previews, `lab-${host}.json`), "utf8")) as Preview;
  const demoLog = () => readFileSync(log, "utf8");

  it("runs to the end: an adoption that leaves the operators' files as they are, preview, up, verify, and a second preview with no changes on all three stacks", () => {
    expect(exitCode, demoLog().slice(-4000)).toBe(0);
    // The review's hazard scan (a preview --refresh of each stack that moves datasets) read every host.
    expect(demoLog()).not.toContain("preview --refresh failed");
    for (const host of HOSTS) {
      expect(demoLog()).toContain(`${host}: sanoid.conf and syncoid-args.conf byte for byte as the operators left them`);
      expect(demoLog()).toContain(`lab-${host}: no changes`);
    }
  });

  it.each(HOSTS)("%s: the preview deletes or replaces no dataset, and its review shows every move as a rename old -> new", (host) => {
    const steps = preview(host).steps ?? [];
    const datasetSteps = steps.filter((s) => s.urn.includes(":Dataset::"));
    expect(datasetSteps.filter((s) => DESTRUCTIVE_OPS.has(s.op)).map((s) => `${s.op} ${s.urn}`)).toEqual([]);
    const r = review(`lab-${host}`, preview(host));
    expect(r.destroys).toEqual([]);
    const moves = DATASETS[host].filter((d) => d.names.legacy && d.names.current && d.names.legacy !== d.names.current);
    expect(moves.length).toBeGreaterThan(0);
    expect(r.renames.sort()).toEqual(moves.map((d) => `Dataset ${d.names.legacy} -> ${d.names.current}`).sort());
    for (const d of moves) {
      const step = datasetSteps.find((s) => s.urn.endsWith(`::${d.key}`));
      expect(step?.op, d.key).toBe("update");
    }
  });

  it("the configuration files end as the restructure wants them: pulls instead of pushes, no duplicate", async () => {
    const ovh3 = parseArgs(await out("ovh3", "cat /etc/sanoid/syncoid-args.conf")).filter((l) => l.pull?.enabled);
    const fromOff2 = ovh3.filter((l) => l.pull!.source.host === "off2.openfoodfacts.org");
    expect(fromOff2.map((l) => l.pull!.target).sort()).toEqual(
      ["rpool/obf", "rpool/off", "rpool/off-backups/off2-nvme-pve", "rpool/off-backups/off2-pve", "rpool/off-backups/off2-rpool", "rpool/off-pro", "rpool/off/products", "rpool/opf", "rpool/opff"],
    );
    expect(fromOff2.every((l) => l.pull!.source.user === "ovh3operator")).toBe(true);
    expect(ovh3.filter((l) => l.pull!.target.startsWith("rpool/backups/"))).toEqual([]);
    const off2 = parseArgs(await out("off2", "cat /etc/sanoid/syncoid-args.conf"));
    expect(off2.filter((l) => l.pull?.enabled && l.pull.target.includes(":")).map((l) => l.raw)).toEqual([]);
    for (const host of HOSTS) {
      expect(duplicateTargets(parseArgs(await out(host, "cat /etc/sanoid/syncoid-args.conf"))), host).toEqual([]);
      expect(sanoidDuplicates(parseIni(await out(host, "cat /etc/sanoid/sanoid.conf"))), host).toEqual([]);
    }
  });

  it("every seeded dataset is found by guid with every file's checksum, and ovh3's line pulls from off2", () => {
    expect(demoLog()).toContain("verified: no data lost, no identity lost");
    expect(demoLog()).toContain("ovh3: the line for rpool/off-backups/off2-pve pulls for real");
  });

  it("ovh3 exports nothing under off-backups", async () => {
    const exported = await out("ovh3", "exportfs -v");
    expect(exported).toContain("/rpool/backups");
    expect(exported).not.toContain("off-backups");
  });

  it("ovh3 pulls a moved backup from off2 as ovh3operator, with the delegation the stacks keep", async () => {
    const source = "zfs-hdd/off-backups/off2";
    await run("off2", sh`zfs snapshot ${`${source}@e2e-pull`}`);
    const r = await run(
      "ovh3",
      sh`syncoid --no-sync-snap --no-privilege-elevation ${`ovh3operator@off2.openfoodfacts.org:${source}`} rpool/e2e-pull`,
      { allowFailure: true, timeoutMs: 300_000 },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await out("ovh3", "zfs list -H -o name -t snapshot rpool/e2e-pull")).toBe("rpool/e2e-pull@e2e-pull\n");
  });
});
