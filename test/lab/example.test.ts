// The example project (examples/tank-backup), run as its README says, word
// for word: packed and installed from the tarball into a copy of the project
// in a scratch directory outside the repository, against off1 laid out as no
// operator's (a pool tank on a file vdev, a user archivist, a group
// research). Create; rename the projects' dataset with its children (updates
// only: same guids, files kept, the grants, sanoid section, pull line and
// share follow); a preview with no change; the pull runs for real; destroy of
// the stack keeps every dataset and its data.
import { execFile } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllow } from "../../provider/delegation/allow";
import { parseIni, settingsOf } from "../../provider/sanoid/conf";
import { parseArgs } from "../../provider/syncoid/args";
import { repo } from "./engine";
import { track } from "./health";
import { checksums, closeConnections, guid, lab, out, resetLab, run, sh, waitFor } from "./support";

const README = readFileSync(join(repo, "examples/tank-backup/README.md"), "utf8");
/** The README's commands: its ```sh blocks, in order (the first sets the variables this test sets). */
const BLOCKS = [...README.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
const VERSION = (JSON.parse(readFileSync(join(repo, "provider/package.json"), "utf8")) as { version: string }).version;

const DATASETS = ["tank/projects", "tank/projects/alpha", "tank/projects/beta", "tank/projects/beta/raw"];
const renamed = (d: string) => d.replace("tank/projects", "tank/work");

describe("the example project tank-backup, as its README runs it", () => {
  let scratch: string;
  let env: NodeJS.ProcessEnv;
  const guids = new Map<string, string>();
  const sums = new Map<string, Record<string, string>>();

  /** Runs README block `n` with bash, in `cwd`, with the variables of the first block set for the lab. */
  const block = (n: number, cwd: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const child = track(
        execFile("bash", ["-euo", "pipefail", "-c", BLOCKS[n]], { cwd, env, maxBuffer: 64 << 20, timeout: 1_800_000 }, (err, stdout, stderr) =>
          err ? reject(new Error(`README block ${n} failed:\n${BLOCKS[n]}\n${stdout}\n${stderr}`)) : resolve(stdout + stderr),
        ),
      );
      child.stdin?.end();
    });

  beforeAll(async () => {
    await resetLab();
    await run("off1", sh`set -e
truncate -s 1G /var/tmp/tank.img && zpool create -f tank /var/tmp/tank.img
id archivist >/dev/null 2>&1 || useradd -m archivist
getent group research >/dev/null || groupadd research`);
    scratch = mkdtempSync(join(tmpdir(), "zfs-fleet-example-"));
    const passphrase = join(scratch, "passphrase");
    writeFileSync(passphrase, "tank-backup example, lab\n", { mode: 0o600 });
    const h = lab().hosts.off1;
    env = {
      ...process.env,
      ZFS_FLEET: repo,
      HOST_ADDRESS: h.host,
      HOST_PORT: String(h.port),
      HOST_KEY: h.hostKey,
      SSH_KEY: h.privateKeyPath,
      PULUMI_CONFIG_PASSPHRASE_FILE: passphrase,
      PULUMI_BACKEND_URL: `file://${scratch}/state`,
      ZFSFLEET_STATS_FILE: join(scratch, "commands.jsonl"),
      ZFSFLEET_LOG_FILE: join(scratch, "provider.log"),
      npm_config_prefer_offline: "true",
      npm_config_audit: "false",
      npm_config_fund: "false",
    };
    // The README's passphrase file, not one this process may have.
    delete env.PULUMI_CONFIG_PASSPHRASE;
    mkdirSync(join(scratch, "state"));
  });
  afterAll(async () => {
    await run("off1", "zpool destroy -f tank; rm -f /var/tmp/tank.img; userdel -r archivist; groupdel research; true", { allowFailure: true });
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    await closeConnections();
  });

  it("the README sets the variables this test sets, and installs the tarball of this version", () => {
    expect(BLOCKS).toHaveLength(6);
    const exported = [...BLOCKS[0].matchAll(/(?:export |\s)([A-Z_]+)=/g)].map((m) => m[1]).sort();
    expect(exported).toEqual(["HOST_ADDRESS", "HOST_KEY", "HOST_PORT", "PULUMI_CONFIG_PASSPHRASE_FILE", "SSH_KEY", "ZFS_FLEET"]);
    expect(BLOCKS[1]).toContain(`zfs-fleet-provider-${VERSION}.tgz`);
  });

  it("packs the provider and installs it into a copy of the project outside the repository, which type-checks", async () => {
    await block(1, scratch);
    const installed = join(scratch, "tank-backup/node_modules/zfs-fleet-provider");
    expect(lstatSync(installed).isSymbolicLink()).toBe(false);
    expect(JSON.parse(readFileSync(join(installed, "package.json"), "utf8")).version).toBe(VERSION);
    expect(scratch.startsWith(repo)).toBe(false);
  });

  it("configures a stack of the project tank-backup with zfs-fleet:hosts and the key as a secret", async () => {
    await block(2, join(scratch, "tank-backup"));
    const yaml = readFileSync(join(scratch, "tank-backup/Pulumi.dev.yaml"), "utf8");
    expect(yaml).toMatch(/zfs-fleet:hosts:\n\s+store1:/);
    expect(yaml).toMatch(/zfs-fleet:sshPrivateKey:\n\s+secure: /);
    expect(yaml).not.toContain("PRIVATE KEY");
  });

  it("creates the datasets, the grants, the sanoid section, the pull line and the share", async () => {
    await block(3, join(scratch, "tank-backup"));
    for (const d of DATASETS) {
      guids.set(d, await guid("off1", d));
      await run("off1", sh`head -c 4096 /dev/urandom > "$(zfs get -H -o value mountpoint ${d})/work.bin"`);
      sums.set(d, await checksums("off1", d));
    }
    expect(await out("off1", "zfs get -H -o property,value,source compression,com.example:owner tank/projects")).toBe(
      "compression\tzstd\tlocal\ncom.example:owner\tresearch\tlocal\n",
    );
    expect(await out("off1", "zfs get -Hp -o value,source recordsize tank/projects/beta/raw")).toBe("1048576\tlocal\n");
    expect(parseAllow(await out("off1", "zfs allow tank/projects"), "tank/projects").grants).toEqual({
      "user archivist": { local: ["hold", "send"], descendent: ["hold", "send"] },
      "group research": { local: ["userprop"], descendent: [] },
    });
    const conf = parseIni(await out("off1", "cat /etc/sanoid/sanoid.conf"));
    expect(settingsOf(conf, "tank/projects")).toEqual({ use_template: "hourly", recursive: "yes" });
    expect(settingsOf(conf, "template_hourly")).toMatchObject({ hourly: "24", daily: "7", autosnap: "yes" });
    expect(parseArgs(await out("off1", "cat /etc/sanoid/syncoid-args.conf")).map((l) => l.raw)).toEqual(["--recursive tank/projects tank/replicas/projects\n"]);
    const exported = await out("off1", "exportfs -v");
    expect(exported).toMatch(/\/tank\/projects\s+10\.0\.0\.2\(.*\brw\b/);
    expect(exported).toMatch(/\/tank\/projects\s+10\.0\.0\.3\(.*\bro\b/);
  });

  it("the pull runs: the operators' syncoid service fills tank/replicas/projects with the children", async () => {
    await run("off1", "systemctl start syncoid.service", { timeoutMs: 900_000 });
    await waitFor("the replica", async () => ((await out("off1", "zfs list -H -o name -r tank/replicas")).includes("tank/replicas/projects/beta/raw") ? true : undefined), 300_000);
    expect(await checksums("off1", "tank/replicas/projects/alpha")).toEqual(sums.get("tank/projects/alpha"));
  });

  it("renames the projects' dataset with its children: updates only, same guids, files kept, and the rest follows", async () => {
    const said = await block(4, join(scratch, "tank-backup"));
    expect(said).not.toMatch(/replace|\+-|deleted|created/);
    expect(said).toMatch(/~ +pulumi-nodejs:dynamic\/zfs:Dataset +projects +updated/);
    for (const d of DATASETS) {
      expect(await guid("off1", renamed(d))).toBe(guids.get(d));
      expect(await checksums("off1", renamed(d))).toEqual(sums.get(d));
    }
    expect(parseAllow(await out("off1", "zfs allow tank/work"), "tank/work").grants["user archivist"]).toEqual({ local: ["hold", "send"], descendent: ["hold", "send"] });
    const conf = parseIni(await out("off1", "cat /etc/sanoid/sanoid.conf"));
    expect(settingsOf(conf, "tank/work")).toEqual({ use_template: "hourly", recursive: "yes" });
    expect(settingsOf(conf, "tank/projects")).toBeUndefined();
    expect(parseArgs(await out("off1", "cat /etc/sanoid/syncoid-args.conf")).map((l) => l.raw)).toEqual(["--recursive tank/work tank/replicas/projects\n"]);
    const exported = await out("off1", "exportfs -v");
    expect(exported).toMatch(/\/tank\/work\s+10\.0\.0\.2\(/);
    expect(exported).not.toMatch(/\/tank\/projects\b/);
    // The block ends with `pulumi preview --expect-no-changes`, which fails on any change.
  });

  it("destroys the stack: the grants, sections, line and share go, every dataset stays with its data", async () => {
    await block(5, join(scratch, "tank-backup"));
    for (const d of DATASETS) {
      expect(await guid("off1", renamed(d))).toBe(guids.get(d));
      expect(await checksums("off1", renamed(d))).toEqual(sums.get(d));
    }
    expect(parseAllow(await out("off1", "zfs allow tank/work"), "tank/work").grants).toEqual({});
    const conf = parseIni(await out("off1", "cat /etc/sanoid/sanoid.conf 2>/dev/null || true"));
    expect(conf.sections.map((s) => s.name)).toEqual([]);
    expect(parseArgs(await out("off1", "cat /etc/sanoid/syncoid-args.conf 2>/dev/null || true")).filter((l) => l.pull)).toEqual([]);
    expect(await out("off1", "zfs get -H -o value sharenfs tank/work")).toBe("off\n");
    expect(await out("off1", "exportfs -v")).not.toContain("/tank/work");
  });
});
