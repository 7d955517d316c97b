import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, teamDb, tempDir, workingCopy } from "./team-project";

// tools/team-db.sh migrate-to-pg / migrate-to-file on a throwaway project, the real CLI and a
// PostgreSQL of the test's own: the state moves and back, config files untouched, secrets intact,
// and a copy someone changed after it was left behind is not overwritten.
const repo = resolve(__dirname, "../..");

describe("moving the stacks' state into PostgreSQL and back", () => {
  let root: string;
  let pgRun: string;
  let project: string;
  let fileState: string;
  let records: string;
  let env: NodeJS.ProcessEnv;
  let pgUrl: string;
  let db: ReturnType<typeof teamDb>;

  const pulumi = (backend: string, ...args: string[]) =>
    new Promise<string>((done, fail) =>
      execFile("pulumi", [...args, "--non-interactive"], { cwd: project, env: { ...env, PULUMI_BACKEND_URL: backend }, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
        err ? fail(new Error(`pulumi ${args.join(" ")} failed:\n${stdout}\n${stderr}`)) : done(stdout),
      ),
    );
  /** The script's own output (both streams) and exit status. */
  const migrate = (direction: "migrate-to-pg" | "migrate-to-file", extra: NodeJS.ProcessEnv = {}) =>
    new Promise<{ status: number; out: string }>((done) =>
      execFile(join(repo, "tools/team-db.sh"), [direction], { env: { ...env, ...extra } }, (err, stdout, stderr) =>
        done({ status: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
      ),
    );
  const configHashes = () =>
    readdirSync(project)
      .filter((f) => /^Pulumi\..*\.yaml$/.test(f))
      .sort()
      .map((f) => `${f} ${createHash("sha256").update(readFileSync(join(project, f))).digest("hex")}`);
  const fileUrl = () => `file://${fileState}`;

  beforeAll(async () => {
    root = tempDir("zfs-fleet-migrate-");
    pgRun = tempDir("zfs-fleet-migrate-pg-");
    fileState = join(root, "state");
    records = join(root, "records");
    mkdirSync(fileState);
    project = workingCopy(root, "project", repo);
    env = {
      ...process.env,
      ZFSFLEET_PG_RUN: pgRun,
      ZFSFLEET_PG_PORT: String(await freePort()),
      ZFSFLEET_PROJECT_DIR: project,
      ZFSFLEET_FILE_URL: `file://${fileState}`,
      ZFSFLEET_MIGRATIONS_DIR: records,
      ZFSFLEET_TEAM_STACKS: "lab-off1 lab-off2 lab-ovh3",
      PULUMI_CONFIG_PASSPHRASE: "team-migrate-test",
      PULUMI_CONFIG_PASSPHRASE_FILE: "",
    };
    db = teamDb(repo, env);
    await db("start");
    pgUrl = (await db("url")).trim();
    // As the lab stacks today: on the file backend; lab-off2 applied with a secret, lab-off1 only
    // initialised, lab-ovh3 never created.
    for (const s of ["lab-off1", "lab-off2"]) {
      await pulumi(fileUrl(), "stack", "init", s, "--no-select");
      await pulumi(fileUrl(), "config", "set-all", "-s", s, "--plaintext", `zfs-fleet-team:hostDir=${join(root, "host-" + s)}`, "--secret", "zfs-fleet-team:token=s3cr3t-" + s);
      mkdirSync(join(root, "host-" + s));
    }
    await pulumi(fileUrl(), "up", "--yes", "--skip-preview", "-s", "lab-off2");
  });

  afterAll(async () => {
    if (db) await db("remove");
    for (const d of [root, pgRun]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it("moves every stack in with its resources and secrets, leaves the config files alone, the stacks read each other's outputs there, and a second move is a no-op", async () => {
    const before = configHashes();
    const moved = await migrate("migrate-to-pg");
    expect(moved.status, moved.out).toBe(0);
    expect(moved.out).toContain("lab-off1: 0 resources file -> postgres, verified (same count, same resources); new in the postgres backend");
    expect(moved.out).toContain("lab-off2: 5 resources file -> postgres, verified (same count, same resources); new in the postgres backend");
    expect(moved.out).toContain("lab-ovh3: not in the file backend; nothing to move");
    expect(configHashes()).toEqual(before);

    // The moved state works on PostgreSQL with the same config file and passphrase.
    const preview = JSON.parse(await pulumi(pgUrl, "preview", "--json", "--expect-no-changes", "-s", "lab-off2"));
    expect(preview.changeSummary).toEqual({ same: 4 });
    expect((await pulumi(pgUrl, "stack", "output", "token", "--show-secrets", "-s", "lab-off2")).trim()).toBe("s3cr3t-lab-off2");

    // Another stack reads lab-off2's outputs from PostgreSQL, as the fleet's stacks read each other's.
    await pulumi(pgUrl, "config", "set", "zfs-fleet-team:readFrom", "lab-off2", "-s", "lab-off1");
    await pulumi(pgUrl, "up", "--yes", "--skip-preview", "-s", "lab-off1");
    expect(JSON.parse(await pulumi(pgUrl, "stack", "output", "fromOther", "--json", "-s", "lab-off1"))).toEqual({
      alpha: "old/alpha",
      bravo: "old/bravo",
      charlie: "old/charlie",
    });

    const again = await migrate("migrate-to-pg", { ZFSFLEET_TEAM_STACKS: "lab-off2 lab-ovh3" });
    expect(again.status, again.out).toBe(0);
    expect(again.out).toContain("lab-off2: the postgres backend holds the same state already (5 resources)");
  });

  it("refuses to move a stack while a run holds it", async () => {
    const locks = join(fileState, ".pulumi/locks/organization/team-engine/lab-off2");
    mkdirSync(locks, { recursive: true });
    const lock = join(locks, "5e1f0c1e-0000-4000-8000-000000000001.json");
    writeFileSync(lock, JSON.stringify({ pid: 4242, username: "alice", hostname: "ops-laptop", timestamp: "2026-12-01T10:58:02Z" }));
    try {
      const r = await migrate("migrate-to-pg");
      expect(r.status).not.toBe(0);
      expect(r.out).toContain("lab-off2: a run holds it in the file backend: lab-off2 is locked by another run");
      expect(r.out).toContain("held by alice@ops-laptop, pid 4242, since 2026-12-01 10:58:02 UTC");
    } finally {
      rmSync(lock);
    }
  });

  it("moves back out over the copy it left behind, and will not overwrite a copy someone changed since", async () => {
    // The team works on PostgreSQL (a state change), then moves back to the file backend.
    const urn = "urn:pulumi:lab-off2::team-engine::pulumi-nodejs:dynamic:Resource::alpha";
    await pulumi(pgUrl, "state", "protect", urn, "--yes", "-s", "lab-off2");
    const out = await migrate("migrate-to-file", { ZFSFLEET_TEAM_STACKS: "lab-off2" });
    expect(out.status, out.out).toBe(0);
    expect(out.out).toMatch(/lab-off2: 5 resources postgres -> file, verified \(same count, same resources\); the file copy is the one the move of \S+ left behind, unchanged since/);
    const back = JSON.parse(await pulumi(fileUrl(), "stack", "export", "-s", "lab-off2"));
    expect(back.deployment.resources.find((r: { urn: string }) => r.urn === urn).protect).toBe(true);

    // Someone keeps using the PostgreSQL copy left behind: moving in again would lose their change.
    await pulumi(pgUrl, "state", "unprotect", urn, "--yes", "-s", "lab-off2");
    const refused = await migrate("migrate-to-pg", { ZFSFLEET_TEAM_STACKS: "lab-off2" });
    expect(refused.status).not.toBe(0);
    expect(refused.out).toContain("(5 resources in both, not the same), changed since the move of");
    expect(refused.out).toContain("--force overwrites the postgres copy");

    const forced = await migrate("migrate-to-pg", { ZFSFLEET_TEAM_STACKS: "lab-off2", ZFSFLEET_MIGRATE_FORCE: "1" });
    expect(forced.status, forced.out).toBe(0);
    const saved = readdirSync(records).filter((f) => f.startsWith("lab-off2.postgres."));
    expect(saved).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(records, saved[0]), "utf8")).deployment.resources.find((r: { urn: string }) => r.urn === urn).protect).toBeUndefined();
    expect(existsSync(join(records, "lab-off2.json"))).toBe(true);
  });
});
