// Moves stacks' state between the file backend and PostgreSQL with `pulumi stack export | import`,
// config files untouched, and verifies the result (tools/team-db.sh migrate-to-pg | migrate-to-file).
//
//   node tools/team-migrate.ts to-pg|to-file --file URL --pg URL [--stacks "lab-off1 lab-off2 lab-ovh3"] [--force]
//
// Per stack: refuse while a run holds it (a lock in the source) or when a run was interrupted
// (pending operations: `stack import` would drop them silently; `pulumi refresh` first); export the
// source; import into the target (`stack init` first when it has no such stack: with the config
// file's encryptionsalt, so the same passphrase opens it and the file is not rewritten); export the
// target again and compare: same resource count and the same resources, byte for byte.
//
// The source keeps its copy, which is stale from then on: the second picture the team setup exists
// to avoid. So each move records (in .pulumi/team-migrations/<stack>.json) the digest of the copy it
// left behind, and a later move overwrites a target that differs only when the target is exactly that
// left-behind copy. A target someone updated since (an `up` on the old backend) is refused; --force
// overwrites it after saving its export beside the record.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lockedFromRecords, type LockRecord, renderLocked } from "./lock.ts";

export type BackendKind = "file" | "postgres";

/** What `pulumi stack export` prints (the parts this tool reads). */
export interface Exported {
  version?: number;
  deployment?: {
    manifest?: unknown;
    secrets_providers?: unknown;
    resources?: unknown[];
    pending_operations?: unknown[];
  };
}

/** What a move left behind, kept in .pulumi/team-migrations/<stack>.json. */
export interface MoveRecord {
  stack: string;
  /** The backend that kept the (now stale) copy. */
  leftBehind: BackendKind;
  /** digest() of that copy. */
  digest: string;
  resources: number;
  at: string;
}

export type Plan =
  | { action: "skip"; why: string }
  | { action: "refuse"; why: string }
  | { action: "import"; init: boolean; backup: boolean; why: string };

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * A copy's identity, byte for byte: resources, pending operations and secrets provider, not the
 * manifest's time. Secrets count as their ciphertext, so this tells an untouched copy from a changed
 * one but not two backends' copies apart: an import encrypts every secret again (new nonces).
 */
export function digest(e: Exported): string {
  const d = e.deployment ?? {};
  const body = canonical({
    resources: d.resources ?? [],
    pending: d.pending_operations ?? [],
    secrets: d.secrets_providers ?? null,
  });
  return createHash("sha256").update(JSON.stringify(body)).digest("hex");
}

export const resourceCount = (e: Exported) => e.deployment?.resources?.length ?? 0;

/** Two exports made with --show-secrets hold the same state (compared in memory, never written). */
export function sameState(a: Exported, b: Exported): boolean {
  return digest(a) === digest(b);
}

export function planMove(p: {
  stack: string;
  from: BackendKind;
  to: BackendKind;
  source?: Exported;
  target?: Exported;
  /** Whether source and target hold the same state, secrets compared in clear (sameState). */
  same?: boolean;
  record?: MoveRecord;
  force?: boolean;
}): Plan {
  const { stack, from, to, source, target, record } = p;
  if (!source) return { action: "skip", why: `${stack}: not in the ${from} backend; nothing to move` };
  const pending = source.deployment?.pending_operations?.length ?? 0;
  if (pending > 0) {
    return {
      action: "refuse",
      why: `${stack}: ${pending} pending operation(s) in the ${from} state (an interrupted run); \`pulumi refresh -s ${stack}\` there first (stack import would drop them)`,
    };
  }
  if (!target) return { action: "import", init: true, backup: false, why: `${stack}: new in the ${to} backend` };
  if (p.same) {
    return { action: "skip", why: `${stack}: the ${to} backend holds the same state already (${resourceCount(source)} resources)` };
  }
  if (resourceCount(target) === 0) {
    return { action: "import", init: false, backup: false, why: `${stack}: empty in the ${to} backend` };
  }
  if (record && record.leftBehind === to && record.digest === digest(target)) {
    return {
      action: "import",
      init: false,
      backup: false,
      why: `${stack}: the ${to} copy is the one the move of ${record.at} left behind, unchanged since`,
    };
  }
  const why =
    `${stack}: the ${to} backend holds a different state (` +
    (resourceCount(target) === resourceCount(source)
      ? `${resourceCount(source)} resources in both, not the same)`
      : `${resourceCount(target)} resources, against ${resourceCount(source)} in ${from})`) +
    (record?.leftBehind === to ? ", changed since the move of " + record.at + " left it behind (someone ran an update there)" : "");
  if (p.force) return { action: "import", init: false, backup: true, why: `${why}; overwriting it (--force), its export saved first` };
  return { action: "refuse", why: `${why}; compare the two, keep one; --force overwrites the ${to} copy (after saving its export)` };
}

// ---------------------------------------------------------------------------------------------------
// The edges: the CLI, the lock records, the files.

const kindOf = (url: string): BackendKind => (url.startsWith("postgres://") ? "postgres" : "file");

function pulumi(url: string, args: string[], input?: string) {
  const res = spawnSync("pulumi", [...args, "--non-interactive"], {
    encoding: "utf8",
    env: { ...process.env, PULUMI_BACKEND_URL: url },
    input,
    maxBuffer: 512 << 20,
  });
  if (res.error) throw res.error;
  return { status: res.status ?? 1, stdout: res.stdout, stderr: res.stderr };
}

function exportStack(url: string, stack: string, showSecrets = false): Exported | undefined {
  const r = pulumi(url, ["stack", "export", "-s", stack, ...(showSecrets ? ["--show-secrets"] : [])]);
  if (r.status !== 0) {
    if (/no stack named/.test(r.stderr)) return undefined;
    throw new Error(`pulumi stack export -s ${stack} (${kindOf(url)}) failed:\n${r.stderr}`);
  }
  return JSON.parse(r.stdout) as Exported;
}

function projectOf(dir: string): { name: string; configDir: string } {
  const y = readFileSync(join(dir, "Pulumi.yaml"), "utf8");
  const name = /^name:\s*(\S+)/m.exec(y)?.[1];
  if (!name) throw new Error(`no project name in ${join(dir, "Pulumi.yaml")}`);
  return { name, configDir: join(dir, /^stackConfigDir:\s*(\S+)/m.exec(y)?.[1] ?? ".") };
}

/** Lock records of a stack: files of a file backend, rows of the PostgreSQL one (read with psql). */
function locksOf(url: string, project: string, stack: string): LockRecord[] {
  const rel = `.pulumi/locks/organization/${project}/${stack}`;
  if (kindOf(url) === "file") {
    const dir = join(new URL(url).pathname, rel);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .map((f) => ({ key: `${rel}/${f}`, lock: JSON.parse(readFileSync(join(dir, f), "utf8")) }));
  }
  const u = new URL(url);
  const table = u.searchParams.get("table") ?? "pulumi_state";
  if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(table)) throw new Error(`unexpected table name '${table}' in the backend URL`);
  u.searchParams.delete("table"); // the engine's parameter, not libpq's
  const sql =
    `SELECT json_build_object('key', key, 'lock', convert_from(decode(data->>'data', 'base64'), 'UTF8')::json) ` +
    `FROM ${table} WHERE key LIKE '%' || :'rel' || '/%' ORDER BY key;`;
  const res = spawnSync("psql", ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-v", `rel=${rel}`, u.toString()], {
    encoding: "utf8",
    input: sql,
  });
  if (res.error) throw new Error(`psql is needed to read the locks (apt-get install postgresql-client): ${res.error.message}`);
  if (res.status !== 0) throw new Error(`reading the locks of ${stack} failed:\n${res.stderr}`);
  return res.stdout
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as LockRecord);
}

function refuseIfLocked(url: string, project: string, stack: string, when: string) {
  const locked = lockedFromRecords(locksOf(url, project, stack));
  if (locked) {
    throw new Error(`${when}: ${renderLocked(locked, { stack })}`);
  }
}

function readRecord(dir: string, stack: string): MoveRecord | undefined {
  const f = join(dir, `${stack}.json`);
  return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as MoveRecord) : undefined;
}

function writeRecord(dir: string, rec: MoveRecord) {
  writePrivate(join(dir, `${rec.stack}.json`), JSON.stringify(rec, null, 2) + "\n");
}

function writePrivate(file: string, text: string) {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

export function move(opts: {
  to: BackendKind;
  fileUrl: string;
  pgUrl: string;
  stacks: string[];
  projectDir: string;
  recordsDir: string;
  force?: boolean;
  log?: (line: string) => void;
}): number {
  const log = opts.log ?? console.log;
  const from: BackendKind = opts.to === "postgres" ? "file" : "postgres";
  const src = from === "file" ? opts.fileUrl : opts.pgUrl;
  const dst = opts.to === "file" ? opts.fileUrl : opts.pgUrl;
  const { name: project, configDir } = projectOf(opts.projectDir);
  mkdirSync(opts.recordsDir, { recursive: true, mode: 0o700 });
  let failures = 0;
  let held = 0; // stacks whose state the target now holds
  for (const stack of opts.stacks) {
    try {
      refuseIfLocked(src, project, stack, `${stack}: a run holds it in the ${from} backend`);
      const source = exportStack(src, stack);
      const target = source && exportStack(dst, stack);
      const clear = (url: string) => exportStack(url, stack, true);
      const same = source && target ? sameState(clear(src)!, clear(dst)!) : false;
      const record = readRecord(opts.recordsDir, stack);
      const plan = planMove({ stack, from, to: opts.to, source, target, same, record, force: opts.force });
      if (plan.action === "refuse") throw new Error(plan.why);
      if (plan.action === "skip") {
        // The same state on both sides: the source's copy is now the one left behind, as after a move.
        if (source && same) held++;
        if (source && same) writeRecord(opts.recordsDir, { stack, leftBehind: from, digest: digest(source), resources: resourceCount(source), at: new Date().toISOString() });
        log(plan.why);
        continue;
      }
      if (!source) continue;
      refuseIfLocked(dst, project, stack, `${stack}: a run holds it in the ${opts.to} backend`);
      const stamp = new Date().toISOString().replace(/[:.]/g, "-");
      if (plan.backup && target) {
        const saved = join(opts.recordsDir, `${stack}.${opts.to}.${stamp}.json`);
        writePrivate(saved, JSON.stringify(target, null, 2));
        log(`${stack}: the ${opts.to} state it replaces is saved in ${saved}`);
      }
      const configFile = join(configDir, `Pulumi.${stack}.yaml`);
      const configBefore = existsSync(configFile) ? readFileSync(configFile) : undefined;
      if (plan.init) {
        const provider = configBefore && /^secretsprovider:\s*(\S+)/m.exec(configBefore.toString())?.[1];
        const init = pulumi(dst, ["stack", "init", stack, "--no-select", ...(provider ? ["--secrets-provider", provider] : [])]);
        if (init.status !== 0) throw new Error(`pulumi stack init ${stack} (${opts.to}) failed:\n${init.stderr}`);
      }
      // Secrets stay encrypted end to end: the export is not --show-secrets.
      const file = join(opts.recordsDir, `.${stack}.${stamp}.import.json`);
      writePrivate(file, JSON.stringify(source));
      try {
        const imp = pulumi(dst, ["stack", "import", "-s", stack, "--file", file]);
        if (imp.status !== 0) throw new Error(`pulumi stack import -s ${stack} (${opts.to}) failed:\n${imp.stderr}`);
      } finally {
        rmSync(file, { force: true });
      }
      const configAfter = existsSync(configFile) ? readFileSync(configFile) : undefined;
      if (configBefore && !(configAfter && configBefore.equals(configAfter))) {
        writeFileSync(configFile, configBefore);
        throw new Error(`${stack}: the CLI rewrote ${configFile}; put back as it was. Nothing else to undo: the state moved`);
      }
      const moved = clear(dst);
      if (!moved || resourceCount(moved) !== resourceCount(source) || !sameState(moved, clear(src)!)) {
        throw new Error(
          `${stack}: verification failed: ${resourceCount(source)} resources in ${from}, ${moved ? resourceCount(moved) : "no stack"} in ${opts.to}` +
            (moved && resourceCount(moved) === resourceCount(source) ? " (same count, different content)" : ""),
        );
      }
      writeRecord(opts.recordsDir, { stack, leftBehind: from, digest: digest(source), resources: resourceCount(source), at: new Date().toISOString() });
      held++;
      log(`${stack}: ${resourceCount(source)} resources ${from} -> ${opts.to}, verified (same count, same resources); ${plan.why.replace(/^[^:]*: /, "")}`);
    } catch (err) {
      failures++;
      console.error((err as Error).message);
    }
  }
  if (failures === 0 && held > 0) log(`the ${from} copies are stale from now on: use the ${opts.to} backend (PULUMI_BACKEND_URL)`);
  return failures === 0 ? 0 : 1;
}

function main(argv: string[]): number {
  const [direction, ...rest] = argv;
  const arg = (name: string) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const fileUrl = arg("--file");
  const pgUrl = arg("--pg");
  if ((direction !== "to-pg" && direction !== "to-file") || !fileUrl?.startsWith("file://") || !pgUrl?.startsWith("postgres://")) {
    console.error('usage: node tools/team-migrate.ts to-pg|to-file --file file://DIR --pg postgres://... [--stacks "a b"] [--force]');
    return 2;
  }
  const projectDir = process.cwd();
  return move({
    to: direction === "to-pg" ? "postgres" : "file",
    fileUrl,
    pgUrl,
    stacks: (arg("--stacks") ?? "lab-off1 lab-off2 lab-ovh3").split(/\s+/).filter(Boolean),
    projectDir,
    recordsDir: process.env.ZFSFLEET_MIGRATIONS_DIR ?? join(projectDir, ".pulumi", "team-migrations"),
    force: rest.includes("--force") || process.env.ZFSFLEET_MIGRATE_FORCE === "1",
  });
}

if (process.argv[1]?.endsWith("tools/team-migrate.ts")) process.exit(main(process.argv.slice(2)));
