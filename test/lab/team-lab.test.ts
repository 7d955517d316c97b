// The team setup of docs/team.md on the lab: the lab stacks' state in a real PostgreSQL (tools/team-db.sh,
// a cluster of this test's own: its run directory and port), the real engine, the three VMs. Three
// scenarios: the demo end to end on PostgreSQL; two working copies of the project sharing lab-off2's
// state, one holding the stack while the other tries; the demo's restructure killed with SIGKILL in the
// middle of lab-off2's renames, then recovered. Long (about half an hour: two restructures), so not part
// of `make test`; only when asked for (`make team-lab`):
//
//   ZFSFLEET_TEAM_LAB=1 vitest run --project lab test/lab/team-lab.test.ts
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATASETS, HOSTS } from "../../stacks/fleet";
import { isAlive, lockedFromRecords, type LockRecord, renderLocked } from "../../tools/lock";
import { freePort, teamDb, tempDir } from "../engine/team-project";
import { repo } from "./engine";
import { track } from "./health";
import { closeConnections, out, run, sh, waitFor } from "./support";

const execFileAsync = promisify(execFile);
const STACKS = HOSTS.map((h) => `lab-${h}`);

interface Done {
  code: number;
  text: string;
  seconds: number;
}

/** Runs a command in a working copy, its output kept (and shown live unless quiet); `onText` sees it as it grows. */
function start(
  cwd: string,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  onText?: (text: string, child: ChildProcess) => void,
  quiet = false,
) {
  const started = Date.now();
  const child = track(spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] }));
  let text = "";
  const keep = (d: Buffer) => {
    text += d.toString();
    if (!quiet) process.stdout.write(d);
    onText?.(text, child);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const done = new Promise<Done>((resolvePromise, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code: code ?? 1, text, seconds: (Date.now() - started) / 1000 }));
  });
  return { child, done };
}

/** `source tools/env.sh` then the command, in a working copy (the copy's own CLI wrapper, PULUMI_HOME and log). */
const inCopy = (cwd: string, command: string, env: NodeJS.ProcessEnv, onText?: (text: string, child: ChildProcess) => void, quiet = false) =>
  start(cwd, "bash", ["-c", `source tools/env.sh && ${command}`], env, onText, quiet);

/** The processes of a working copy's engine (CLI, language host, provider plugins): their cwd is in it. */
function processesIn(dir: string, match: RegExp): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "latin1").split("\0").join(" ");
      if ((cwd === dir || cwd.startsWith(`${dir}/`)) && match.test(cmdline)) pids.push(Number(entry));
    } catch {} // gone, or not ours to read
  }
  return pids;
}

/** A second working copy of the project: the checkout's files, its build and the lab stacks' config files. */
async function secondCopy(parent: string): Promise<string> {
  const dir = join(parent, "copy-b");
  mkdirSync(dir);
  const { stdout } = await execFileAsync("git", ["ls-files", "-z"], { cwd: repo, maxBuffer: 64 << 20 });
  for (const file of stdout.split("\0").filter(Boolean)) {
    if (existsSync(join(repo, file))) cpSync(join(repo, file), join(dir, file), { recursive: true, verbatimSymlinks: true });
  }
  // The same packages (the provider is this copy's own, as in a clone after `npm ci`), the same CLI and build.
  mkdirSync(join(dir, "node_modules"));
  for (const entry of readdirSync(join(repo, "node_modules"))) {
    symlinkSync(entry === "zfs-fleet-provider" ? join(dir, "provider") : join(repo, "node_modules", entry), join(dir, "node_modules", entry));
  }
  cpSync(join(repo, "provider", "dist"), join(dir, "provider", "dist"), { recursive: true });
  mkdirSync(join(dir, ".pulumi"));
  cpSync(join(repo, ".pulumi", "bin-dir"), join(dir, ".pulumi", "bin-dir"));
  // The stacks' config (each VM's port and host key, the key as a secret) as tools/lab-stacks.sh left it in
  // the first copy: in a team these files are committed; the lab writes them per boot.
  for (const s of STACKS) cpSync(join(repo, "stacks", `Pulumi.${s}.yaml`), join(dir, "stacks", `Pulumi.${s}.yaml`));
  return dir;
}

/** Every dataset of a host with its guid: guid -> name. */
async function namesByGuid(host: (typeof HOSTS)[number]): Promise<Map<string, string>> {
  const text = await out(host, sh`zfs get -H -p -o name,value -t filesystem guid`);
  return new Map(
    text
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split("\t"))
      .map(([name, guid]) => [guid, name]),
  );
}

describe.skipIf(!process.env.ZFSFLEET_TEAM_LAB)("the lab stacks' state in a real PostgreSQL", () => {
  const root = tempDir("zfs-fleet-team-lab-");
  // A run directory of its own (tools/team-db.sh gives it to the server's OS user; one inside `root`,
  // mode 0700, would be out of its reach).
  const pgRun = tempDir("zfs-fleet-team-lab-pg-");
  let env: NodeJS.ProcessEnv;
  let db: (...args: string[]) => Promise<string>;
  const locks = async (stack: string) =>
    (await db("locks", stack))
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LockRecord);

  beforeAll(async () => {
    const port = await freePort();
    db = teamDb(repo, { ...process.env, ZFSFLEET_PG_RUN: pgRun, ZFSFLEET_PG_PORT: String(port) });
    await db("start");
    const url = (await db("url")).trim();
    expect(url).toMatch(/^postgres:\/\//);
    env = { ...process.env, PULUMI_BACKEND_URL: url, ZFSFLEET_DEMO_OUT: join(root, "previews") };
  }, 600_000);
  afterAll(async () => {
    await closeConnections();
    await db?.("remove").catch(() => "");
    rmSync(root, { recursive: true, force: true });
    rmSync(pgRun, { recursive: true, force: true });
  });

  it("the demo runs end to end with every stack's state in PostgreSQL", async () => {
    const demo = await start(repo, join(repo, "tools", "demo.sh"), [], { ...env, ZFSFLEET_LOG_FILE: join(root, "demo-provider.log") }).done;
    console.log(`[figures] the demo on PostgreSQL took ${demo.seconds.toFixed(0)} s`);
    expect(demo.code, demo.text.slice(-4000)).toBe(0);
    expect(demo.text).not.toContain("preview --refresh failed");
    for (const s of STACKS) expect(demo.text).toContain(`${s}: no changes`);
    // The backend is the database: the stacks are listed there, each with its resources.
    const ls = await inCopy(repo, "pulumi stack ls --json", env, undefined, true).done;
    expect(ls.code, ls.text).toBe(0);
    const listed = JSON.parse(ls.text.slice(ls.text.indexOf("["))) as { name: string; resourceCount?: number }[];
    for (const s of STACKS) expect(listed.find((x) => x.name === s)?.resourceCount ?? 0, s).toBeGreaterThan(10);
  }, 3_600_000);

  it("two working copies: while one's up holds lab-off2, the other's up is refused with who and since when, running nothing; then it previews no change", async () => {
    const copyB = await secondCopy(root);
    const logB = join(root, "copy-b-provider.log");
    // Drift for the first copy's up to put back: a grant the program keeps, removed by hand.
    expect(await out("off2", sh`zfs allow zfs-nvme`)).toMatch(/user ovh3operator [^\n]*send/);
    await run("off2", sh`zfs unallow -u ovh3operator send zfs-nvme`);

    const a = inCopy(repo, "pulumi up --refresh --yes --non-interactive -s lab-off2", env);
    const held = await waitFor(
      "the first copy's up to take lab-off2's lock",
      async () => {
        const rows = await locks("lab-off2");
        return rows.length > 0 ? rows : undefined;
      },
      120_000,
    );
    // The engine's own words, then what tools/lock.ts makes of them; the status is the up's.
    const raw = join(root, "copy-b-up.txt");
    const b = await inCopy(copyB, `pulumi up --yes --non-interactive -s lab-off2 >${raw} 2>&1; s=$?; cat ${raw}; node tools/lock.ts -s lab-off2 <${raw}; exit $s`, {
      ...env,
      ZFSFLEET_LOG_FILE: logB,
    }).done;
    // Still held by the first copy when the second was refused (its up outlasts the refusal).
    expect((await locks("lab-off2")).map((r) => r.key)).toEqual(held.map((r) => r.key));
    expect(b.code).not.toBe(0);
    expect(b.text).toContain("lab-off2 is locked by another run");
    expect(b.text).toMatch(/held by \S+@\S+, pid \d+, since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(b.text).toContain("still running on this machine");
    expect(b.text).toContain("To wait:");
    // Refused before its program ran: no step, and its provider ran no command on any host.
    expect(b.text).not.toMatch(/^\s*[~+-] /m);
    expect(existsSync(logB) ? readFileSync(logB, "utf8").trim() : "").toBe("");

    const doneA = await a.done;
    expect(doneA.code, doneA.text.slice(-3000)).toBe(0);
    expect(await out("off2", sh`zfs allow zfs-nvme`)).toMatch(/user ovh3operator [^\n]*send/);
    expect(await locks("lab-off2")).toEqual([]);
    // The second copy reads the state the first left: nothing to do.
    const previewB = await inCopy(copyB, "pulumi preview --expect-no-changes --non-interactive -s lab-off2", { ...env, ZFSFLEET_LOG_FILE: logB }).done;
    expect(previewB.code, previewB.text.slice(-3000)).toBe(0);
  }, 1_800_000);

  it("SIGKILL in the middle of the restructure's renames: the state parses, the lock goes with cancel, refresh finds what was done, a rerun converges with every seeded file intact", async () => {
    const fleetEnv = { ...env, ZFSFLEET_LOG_FILE: join(root, "kill-provider.log") };
    // A stack's export (megabytes) is kept, not shown.
    const step = async (command: string) => {
      const r = await inCopy(repo, command, fleetEnv, undefined, command.includes("stack export")).done;
      expect(r.code, `${command}\n${r.text.slice(-3000)}`).toBe(0);
      return r;
    };
    // The demo's steps 2 to 5: the legacy fleet, adopted, then the program switched to the current one.
    await step("lab/labctl seed-legacy");
    for (const s of STACKS) await step(`pulumi config set zfs-fleet:layout legacy -s ${s} --non-interactive`);
    await step("node tools/fleet.ts up --lab");
    for (const s of STACKS) await step(`pulumi config set zfs-fleet:layout current -s ${s} --non-interactive`);
    const legacyNames = new Map([...(await namesByGuid("off2"))].map(([g, n]) => [n, g]));

    // Killed as soon as lab-off2's first rename is recorded: its other updates (the policies and pull lines
    // that follow the renames, and any rename not yet recorded) are in flight or to come.
    let killed: number[] = [];
    const up = inCopy(repo, "node tools/fleet.ts up --lab", fleetEnv, (text) => {
      if (killed.length === 0 && /\[lab-off2\] ~ Dataset \S+ updated/.test(text)) {
        killed = processesIn(repo, /\sup\s.*lab-off2/).filter((p) => {
          try {
            return readlinkSync(`/proc/${p}/exe`).endsWith("/pulumi");
          } catch {
            return false;
          }
        });
        for (const p of killed) process.kill(p, "SIGKILL");
      }
    });
    const interrupted = await up.done;
    expect(killed.length, interrupted.text.slice(-3000)).toBeGreaterThan(0);
    expect(interrupted.code).not.toBe(0);
    // What the killed CLI leaves running (docs/team.md): its language host and provider, ended here.
    await new Promise((r) => setTimeout(r, 3000));
    for (const p of processesIn(repo, /pulumi-language-nodejs|dynamic-provider\/index\.js|pulumi-resource-pulumi-nodejs/)) {
      try {
        process.kill(p, "SIGTERM");
      } catch {}
    }

    // The state in PostgreSQL parses and holds the stack's resources; the dead run's lock is still there.
    const exported = await step("pulumi stack export -s lab-off2");
    const deployment = JSON.parse(exported.text.slice(exported.text.indexOf("{"))) as { deployment: { resources?: unknown[] } };
    expect(deployment.deployment.resources?.length ?? 0).toBeGreaterThan(10);
    const left = await locks("lab-off2");
    expect(left).toHaveLength(1);
    const message = renderLocked(lockedFromRecords(left)!, { hostname: hostname(), isAlive });
    expect(message).toContain("that process is gone");
    await step("pulumi cancel --yes --non-interactive -s lab-off2");
    expect(await locks("lab-off2")).toEqual([]);

    // Every rename the host did is in the state after a refresh: each Dataset's recorded name is its name on
    // off2 now (found by guid), whether the killed run recorded it or not.
    await step("pulumi refresh --yes --non-interactive -s lab-off2");
    const refreshed = await step("pulumi stack export -s lab-off2");
    const resources = (
      JSON.parse(refreshed.text.slice(refreshed.text.indexOf("{"))) as {
        deployment: { resources: { urn: string; id?: string; outputs?: { name?: string } }[] };
      }
    ).deployment.resources.filter((r) => r.urn.includes(":Dataset::"));
    const now = await namesByGuid("off2");
    const moved = DATASETS.off2.filter((d) => d.names.legacy && d.names.current && d.names.legacy !== d.names.current);
    let renamedBeforeKill = 0;
    for (const d of moved) {
      const g = legacyNames.get(d.names.legacy!);
      expect(g, d.names.legacy).toBeDefined();
      const recorded = resources.find((r) => r.id === g);
      expect(recorded?.outputs?.name, d.key).toBe(now.get(g!));
      if (now.get(g!) === d.names.current) renamedBeforeKill++;
    }
    console.log(`[figures] lab-off2 renames done before the kill: ${renamedBeforeKill} of ${moved.length}`);
    expect(renamedBeforeKill).toBeGreaterThan(0);

    // The rerun converges: every seeded dataset by guid with every file's checksum, and no change left.
    await step("node tools/fleet.ts up --lab");
    await step("node tools/verify-lab.ts");
    for (const s of STACKS) await step(`pulumi preview --expect-no-changes --non-interactive -s ${s}`);
  }, 3_600_000);
});
