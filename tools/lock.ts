// What an operator is told when another run holds a stack: who (user@host, pid), since when, and
// how to wait or cancel. Pure: it reads what the engine printed (or a lock record read from the
// state database) and returns text; the clock, this machine's name and a process probe are passed in.
//
// The DIY backend (file://, postgres://; pkg/backend/diy/lock.go in 3.276) takes a lock object per
// run under .pulumi/locks/organization/<project>/<stack>/<uuid>.json before `up`, `refresh`,
// `destroy`, `import`, `stack import` or `stack rm`, and refuses a run when another one is there:
//
//   error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.
//     postgres://****:****@127.0.0.1:54329/zfs_fleet_state/.pulumi/locks/organization/zfs-fleet/lab-off2/<uuid>.json?sslmode=...: created by root@vm (pid 28619) at 2026-12-01T11:34:35Z
//
//   pulumi up -s lab-off2 2>&1 | node tools/lock.ts -s lab-off2    the message, if the run was refused
//   tools/team-db.sh locks lab-off2 | node tools/lock.ts --records  who holds it now (exit 1: nobody)
//
// The refusal comes before the program runs: a refused run has changed nothing. `preview` takes no
// lock. `pulumi cancel` on a DIY backend deletes every lock object of the stack, a live holder's
// too, and does not stop that process: it is for a holder that is gone.

// For the entry point only:
import { readFileSync } from "node:fs";
import { hostname } from "node:os";

export interface LockHolder {
  user: string;
  host: string;
  pid?: number;
  /** When the holder took the lock. */
  since?: Date;
}

export interface LockedStack {
  /** The stack, when the lock's key names it (`<project>/<stack>`'s stack part). */
  stack?: string;
  project?: string;
  holders: LockHolder[];
}

export interface ExplainContext {
  /** The stack this run was for: used when the engine's text does not name it. */
  stack?: string;
  /** Now, for "since ... (N min ago)". */
  now?: Date;
  /** This machine's name: a holder on it can be probed. */
  hostname?: string;
  /** Whether a pid is a live process on this machine (e.g. `process.kill(pid, 0)`). */
  isAlive?: (pid: number) => boolean;
  /** How to rerun with a wait, e.g. "node tools/fleet.ts up --lab --wait 600". */
  waitHint?: string;
}

const DIY_HEADER = /the stack is currently locked by (\d+) lock\(s\)/;
// The holder line of lock.go: "<lock url>: created by <user>@<host> (pid <n>) at <RFC 3339>".
const DIY_HOLDER = /^\s*(.*?): created by (.*)@([^@\s]*) \(pid (-?\d+)\) at (\S+)\s*$/;
const CLOUD_CONFLICT = "[409] Conflict: Another update is currently in progress.";
// Project mode (organization/<project>/<stack>) or the legacy layout (<stack>).
const LOCK_KEY = /\.pulumi\/locks\/(?:organization\/([^/]+)\/([^/]+)|([^/]+))\/[^/?]+\.json/;

/** The text of an engine failure: a string, an Automation API CommandError, an execFile error. */
export function failureText(failure: unknown): string {
  if (typeof failure === "string") return failure;
  if (failure === null || typeof failure !== "object") return "";
  const f = failure as { commandResult?: { stderr?: unknown }; stderr?: unknown; message?: unknown };
  const parts = [f.commandResult?.stderr, f.stderr, f.message].filter((p): p is string => typeof p === "string");
  return parts.join("\n");
}

function stackOfKey(key: string): { project?: string; stack?: string } {
  const m = LOCK_KEY.exec(key);
  if (!m) return {};
  return m[3] !== undefined ? { stack: m[3] } : { project: m[1], stack: m[2] };
}

function validDate(text: string): Date | undefined {
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** The lock holders named in the engine's refusal, or undefined when the text is no lock refusal. */
export function parseLocked(text: string): LockedStack | undefined {
  if (!DIY_HEADER.test(text)) return text.includes(CLOUD_CONFLICT) ? { holders: [] } : undefined;
  const locked: LockedStack = { holders: [] };
  const seen = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const m = DIY_HOLDER.exec(line);
    if (!m) continue;
    const [, where, user, host, pid, at] = m;
    if (locked.stack === undefined) Object.assign(locked, stackOfKey(where));
    // The Automation API's error repeats the engine's stderr (stderr, then err): one holder once.
    if (seen.has(line.trim())) continue;
    seen.add(line.trim());
    locked.holders.push({ user, host, pid: Number(pid), since: validDate(at) });
  }
  return locked;
}

/** A lock record as stored by the DIY backend (the JSON of `tools/team-db.sh locks`, one per line). */
export interface LockRecord {
  key: string;
  lock: { pid?: number; username?: string; hostname?: string; timestamp?: string };
}

export function lockedFromRecords(records: LockRecord[]): LockedStack | undefined {
  if (records.length === 0) return undefined;
  const locked: LockedStack = { ...stackOfKey(records[0].key), holders: [] };
  for (const r of records) {
    locked.holders.push({
      user: r.lock.username ?? "?",
      host: r.lock.hostname ?? "?",
      pid: r.lock.pid,
      since: r.lock.timestamp ? validDate(r.lock.timestamp) : undefined,
    });
  }
  return locked;
}

function utc(d: Date): string {
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min ago`;
  return `${Math.floor(h / 24)} days ago`;
}

/** A holder known to be gone: on this machine, with a pid that is not a live process. */
export function isStale(holder: LockHolder, ctx: ExplainContext): boolean {
  return (
    holder.pid !== undefined &&
    holder.pid > 0 &&
    ctx.hostname !== undefined &&
    ctx.isAlive !== undefined &&
    holder.host === ctx.hostname &&
    !ctx.isAlive(holder.pid)
  );
}

function describeHolder(h: LockHolder, ctx: ExplainContext): string {
  const who = `${h.user}@${h.host}${h.pid !== undefined ? `, pid ${h.pid}` : ""}`;
  const since = h.since ? `, since ${utc(h.since)}${ctx.now ? ` (${age(ctx.now.getTime() - h.since.getTime())})` : ""}` : "";
  const state = isStale(h, ctx)
    ? ": that process is gone (this machine has no pid " + h.pid + "); the lock was left by a killed run"
    : h.host === ctx.hostname && ctx.isAlive && h.pid !== undefined
      ? ": still running on this machine"
      : "";
  return `  held by ${who}${since}${state}`;
}

/** The operator's message for a locked stack. */
export function renderLocked(locked: LockedStack, ctx: ExplainContext = {}): string {
  const stack = locked.stack ?? ctx.stack;
  const s = stack ? ` -s ${stack}` : "";
  const name = stack ?? "the stack";
  const lines: string[] = [];
  if (locked.holders.length === 0) {
    lines.push(`${name} is locked: another update is in progress (the backend does not say whose).`);
  } else {
    lines.push(`${name} is locked by another run (an up, refresh, destroy or import); this run changed nothing.`);
    for (const h of locked.holders) lines.push(describeHolder(h, ctx));
  }
  const stale = locked.holders.length > 0 && locked.holders.every((h) => isStale(h, ctx));
  if (!stale) {
    lines.push(
      `To wait: ${ctx.waitHint ?? "rerun with --wait SECONDS"} (retries while the stack is locked, previewing again once it is free: the other run changes what this one has to do).`,
    );
  }
  const check = locked.holders
    .filter((h) => !isStale(h, ctx))
    .map((h) => (h.pid !== undefined ? `ps -p ${h.pid} on ${h.host}` : `ask ${h.user} on ${h.host}`));
  lines.push(
    stale
      ? "To release it (its holder is gone):"
      : `If the holder is gone (killed, its machine down; check: ${check.join(", ") || "ask its owner"}), release it:`,
    `  pulumi cancel --yes${s}     (deletes every lock of the stack, a live run's too: never while it runs)`,
    `  pulumi refresh --yes${s}    (records what the interrupted run already did on the hosts)`,
    "then run again.",
  );
  return lines.join("\n");
}

/**
 * For a failed engine command: the operator's message when it failed because the stack is locked,
 * undefined otherwise. Accepts stderr, an Automation API error (ConcurrentUpdateError) or any Error.
 */
export function explainLocked(stderrOrError: unknown, ctx: ExplainContext = {}): string | undefined {
  const locked = parseLocked(failureText(stderrOrError));
  return locked && renderLocked(locked, ctx);
}

export interface WaitOptions extends ExplainContext {
  /** How long to keep retrying while the stack is locked. 0: fail at once with the message. */
  waitSeconds: number;
  /** Between attempts (default 5 s: a refused attempt costs about a second of CLI start-up). */
  pollSeconds?: number;
  sleep?: (ms: number) => Promise<void>;
  clock?: () => number;
  /** Progress, e.g. console.error. */
  log?: (line: string) => void;
}

/**
 * `--wait SECONDS`: runs `attempt` (which throws on failure) again while it fails because the stack
 * is locked by a live holder, up to waitSeconds. A holder known to be gone fails at once (waiting
 * cannot help); any other failure is rethrown as it is. The attempt should be the whole
 * preview-review-apply of a stack, not the apply alone: the run that held the lock changed the state.
 */
export async function retryWhileLocked<T>(attempt: () => Promise<T>, opts: WaitOptions): Promise<T> {
  const clock = opts.clock ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const pollMs = (opts.pollSeconds ?? 5) * 1000;
  const start = clock();
  let told = false;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      const locked = parseLocked(failureText(err));
      if (!locked) throw err;
      const ctx = { ...opts, now: new Date(clock()) };
      const waited = clock() - start;
      const stale = locked.holders.length > 0 && locked.holders.every((h) => isStale(h, ctx));
      if (stale || waited + pollMs > opts.waitSeconds * 1000) {
        const gaveUp = !stale && opts.waitSeconds > 0 ? `\n(gave up after waiting ${Math.round(waited / 1000)} s)` : "";
        throw new LockedError(renderLocked(locked, ctx) + gaveUp, locked, err);
      }
      if (!told) {
        opts.log?.(renderLocked(locked, ctx));
        opts.log?.(`waiting up to ${opts.waitSeconds} s for the lock, retrying every ${pollMs / 1000} s`);
        told = true;
      }
      await sleep(pollMs);
    }
  }
}

/** A run refused because the stack is locked; `cause` is the engine's own failure. */
// No parameter properties here: node runs tools/*.ts by stripping types, which cannot rewrite them.
export class LockedError extends Error {
  readonly locked: LockedStack;
  constructor(message: string, locked: LockedStack, cause: unknown) {
    super(message, { cause });
    this.name = "LockedError";
    this.locked = locked;
  }
}

/** Whether a pid is a live process on this machine (for a lock holder's state). */
export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // alive, someone else's
  }
};

// The entry point above: the only I/O here (stdin, this machine's name, the process probe).
function main(argv: string[]): number {
  const text = readFileSync(0, "utf8");
  const at = argv.indexOf("-s");
  const ctx: ExplainContext = {
    stack: at >= 0 ? argv[at + 1] : undefined,
    now: new Date(),
    hostname: hostname(),
    isAlive,
  };
  const locked = argv.includes("--records")
    ? lockedFromRecords(text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as LockRecord))
    : parseLocked(text);
  if (!locked) return 1;
  console.log(renderLocked(locked, ctx));
  return 0;
}

if (process.argv[1]?.endsWith("tools/lock.ts")) process.exit(main(process.argv.slice(2)));
