// Helpers for the lab tests: the lab's description (lab.json), one choke point for every command sent
// to a VM over ssh, and quoting by construction. See lab/README.md.
import { spawn } from "node:child_process";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inject } from "vitest";
import { assertLabAlive, track, withDeathsNamed } from "./health";

export type HostName = "off1" | "off2" | "ovh3";
export const HOSTS: readonly HostName[] = ["off1", "off2", "ovh3"];

export interface LabHost {
  host: string;
  port: number;
  user: string;
  privateKeyPath: string;
  hostKey: string;
  knownHostsLine: string;
  address: string;
  fqdn: string;
  pools: string[];
  console: string;
  /** The socket of labctl's master connection to the VM (it answers once the VM is ready). */
  controlPath: string;
}

export interface Lab {
  hosts: Record<HostName, LabHost>;
  knownHostsPath: string;
  imageId: string;
  runDir: string;
  labctl: string;
  privateNetwork: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    zfslabJson: string;
    /** One id per test run: a dead VM is restarted once per run (test/lab/health.ts). */
    zfslabRunId: string;
  }
}

/** Path of lab.json, as global-setup.ts handed it over. */
export function labJsonPath(): string {
  let path = process.env.ZFSLAB_JSON;
  if (!path) {
    try {
      path = inject("zfslabJson");
    } catch {
      path = undefined;
    }
  }
  if (!path) {
    throw new Error("no lab: ZFSLAB_JSON is not set (test/lab/global-setup.ts runs `lab/labctl up`)");
  }
  return path;
}

let cached: Lab | undefined;
export function lab(): Lab {
  cached ??= JSON.parse(readFileSync(labJsonPath(), "utf8")) as Lab;
  return cached;
}

// ------------------------------------------------------------------------------------------------
// Quoting by construction: every interpolated value is single-quoted for the remote shell.

/** A string that `sh` inserts verbatim (already quoted, or a fixed piece of shell). */
export class Raw {
  constructor(readonly text: string) {}
}
export const raw = (text: string): Raw => new Raw(text);

export function quote(value: string | number): string {
  const s = String(value);
  if (/^[A-Za-z0-9_./:@%+=,-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

type ShValue = string | number | Raw | readonly (string | number)[];

/** sh`zfs rename ${from} ${to}`: arrays become several quoted words, Raw is inserted as is. */
export function sh(strings: TemplateStringsArray, ...values: ShValue[]): string {
  let out = strings[0];
  values.forEach((value, i) => {
    if (value instanceof Raw) out += value.text;
    else if (Array.isArray(value)) out += value.map(quote).join(" ");
    else out += quote(value as string | number);
    out += strings[i + 1];
  });
  return out;
}

// ------------------------------------------------------------------------------------------------
// Processes

export interface Result {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export function spawnCollect(
  command: string,
  args: readonly string[],
  options: { input?: string; timeoutMs?: number; detaches?: boolean } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = track(spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] }));
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = options.timeoutMs
      ? setTimeout(() => child.kill("SIGKILL"), options.timeoutMs)
      : undefined;
    child.on("error", reject);
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      if (timer) clearTimeout(timer);
      resolve({ stdout, stderr, exitCode: code ?? (signal ? 128 : 1) });
    };
    // A process that leaves a daemon behind (ssh -f) may keep the pipes open: its exit is the end.
    if (options.detaches) child.on("exit", done);
    else child.on("close", done);
    // A child that exits without reading its input (a failed ssh, a master gone to the background)
    // closes the pipe: its exit code says what happened, the EPIPE adds nothing.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}

export class RemoteCommandError extends Error {
  constructor(
    readonly host: HostName,
    readonly command: string,
    readonly exitCode: number,
    readonly stderr: string,
    readonly stdout: string,
  ) {
    super(`${host}: \`${command}\` exited ${exitCode}: ${stderr.trim() || stdout.trim()}`);
    this.name = "RemoteCommandError";
  }
}

// ------------------------------------------------------------------------------------------------
// ssh: one master connection per host (a new connection costs one to five seconds under emulation, a
// command on an open one a fraction of that). The lab's own master (lab/labctl opens one per VM for
// its resets and checks) is used when it answers; otherwise this file opens one of its own, and
// closes it at its end.

const controlDir = mkdtempSync(join(tmpdir(), "zfslab-"));
const masters = new Map<HostName, Promise<void>>();
/** The control socket each host's commands go through: the lab's, or this file's own. */
const controlPaths = new Map<HostName, string>();
const ownSocket = (host: HostName) => join(controlDir, host);
export const stats = { commands: new Map<HostName, number>(), totalMs: 0 };

/** ssh options for a VM: its key, its pinned host key, batch mode, the shared master's control path. */
export function baseArgs(host: HostName): string[] {
  const h = lab().hosts[host];
  return [
    "-i", h.privateKeyPath,
    "-o", "IdentitiesOnly=yes",
    "-o", `UserKnownHostsFile=${lab().knownHostsPath}`,
    "-o", "GlobalKnownHostsFile=/dev/null",
    "-o", "StrictHostKeyChecking=yes",
    "-o", "BatchMode=yes",
    "-o", "ConnectTimeout=20",
    "-o", "LogLevel=ERROR",
    "-o", `ControlPath=${controlPaths.get(host) ?? ownSocket(host)}`,
    "-p", String(h.port),
  ];
}

export function target(host: HostName): string {
  const h = lab().hosts[host];
  return `${h.user}@${h.host}`;
}

async function ensureMaster(host: HostName): Promise<void> {
  let ready = masters.get(host);
  if (!ready) {
    ready = (async () => {
      const shared = lab().hosts[host].controlPath;
      controlPaths.set(host, shared);
      const check = await spawnCollect("ssh", [...baseArgs(host), "-O", "check", target(host)], { timeoutMs: 10_000 });
      if (check.exitCode === 0) return;
      controlPaths.delete(host);
      // -f: ssh goes to the background once authenticated; its stdio is released (no pipe held).
      const r = await spawnCollect(
        "ssh",
        [...baseArgs(host), "-o", "ControlMaster=yes", "-o", "ControlPersist=600", "-f", "-N", target(host)],
        { timeoutMs: 60_000, detaches: true },
      );
      if (r.exitCode !== 0) throw new Error(`${host}: cannot open an ssh master connection: ${r.stderr}`);
    })();
    masters.set(host, ready);
    ready.catch(() => masters.delete(host));
  }
  return ready;
}

/** Closes the master connections this test file opened (the lab's stay open). */
export async function closeConnections(): Promise<void> {
  await Promise.all(
    [...masters.keys()]
      .filter((host) => !controlPaths.has(host))
      .map((host) => spawnCollect("ssh", [...baseArgs(host), "-O", "exit", target(host)], { timeoutMs: 10_000 })),
  );
  masters.clear();
  controlPaths.clear();
  rmSync(controlDir, { recursive: true, force: true });
}

export interface RunOptions {
  input?: string;
  /** Resolve with the exit code instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  timeoutMs?: number;
}

/** Runs a shell command as root on a VM. The only way tests talk to the VMs. */
export async function run(host: HostName, command: string, options: RunOptions = {}): Promise<Result> {
  assertLabAlive();
  await ensureMaster(host);
  const started = Date.now();
  const r = await spawnCollect("ssh", [...baseArgs(host), "-o", "ControlMaster=no", target(host), command], {
    input: options.input,
    timeoutMs: options.timeoutMs ?? 600_000,
  });
  const ms = Date.now() - started;
  stats.totalMs += ms;
  stats.commands.set(host, (stats.commands.get(host) ?? 0) + 1);
  if (process.env.ZFSLAB_VERBOSE) console.log(`[${host}] ${command} -> ${r.exitCode} (${ms} ms)`);
  if (r.exitCode !== 0 && !options.allowFailure) {
    const error = new RemoteCommandError(host, command, r.exitCode, r.stderr, r.stdout);
    // 255 is ssh's own failure (no connection, or a connection lost): a dead VM, if one is, is the cause.
    if (r.exitCode === 255) error.message = await withDeathsNamed(error.message);
    throw error;
  }
  return r;
}

/** stdout of a command that must succeed. */
export async function out(host: HostName, command: string, options: RunOptions = {}): Promise<string> {
  return (await run(host, command, options)).stdout;
}

/** Runs lab/labctl (reset, seed-legacy, ...); throws with its output if it fails. */
export async function labctl(...args: string[]): Promise<string> {
  const r = await spawnCollect(lab().labctl, args, { timeoutMs: 1_800_000 });
  if (r.exitCode !== 0) {
    throw new Error(await withDeathsNamed(`labctl ${args.join(" ")} failed (${r.exitCode}):\n${r.stderr}\n${r.stdout}`));
  }
  return r.stdout + r.stderr;
}

/** Pools and config files back to the baseline (every test file starts with it). */
export async function resetLab(): Promise<void> {
  await labctl("reset");
}

export interface SeedManifest {
  seed: string;
  hosts: Record<HostName, Record<string, { guid: string; files: Record<string, string> }>>;
}

/** The fleet as it was before the 2024-03 restructure (resets first); returns its manifest. */
export async function seedLegacy(): Promise<SeedManifest> {
  await labctl("seed-legacy");
  return JSON.parse(readFileSync(join(lab().runDir, "seed-manifest.json"), "utf8")) as SeedManifest;
}

/** Polls until check() returns a value other than undefined, or fails after the deadline. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    assertLabAlive();
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** guid of a dataset (never changes during its life, renames included). */
export async function guid(host: HostName, dataset: string): Promise<string> {
  return (await out(host, sh`zfs get -Hp -o value guid ${dataset}`)).trim();
}

/** sha256 of each file directly in a dataset's mountpoint, by file name. */
export async function checksums(host: HostName, dataset: string): Promise<Record<string, string>> {
  const text = await out(
    host,
    sh`cd "$(zfs get -H -o value mountpoint ${dataset})" && find . -maxdepth 1 -type f -printf '%f\\n' | LC_ALL=C sort | xargs -r sha256sum`,
  );
  const sums: Record<string, string> = {};
  for (const line of text.split("\n").filter(Boolean)) {
    const [sum, file] = line.split(/\s+/);
    sums[file] = sum;
  }
  return sums;
}
