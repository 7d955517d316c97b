// The one way this provider touches a host. API (stable; other resources build on it):
//
//   import { run, sh, and, Secret, RemoteCommandError, ConnectionError } from "../transport";
//
//   const r = await run(host, sh`zfs get -Hp -o value guid ${name}`, { idempotent: true });
//   r.stdout, r.stderr, r.exitCode
//   await run(host, sh`tee ${path}`, { stdin: content })          // content on standard input
//   await run(host, sh`zfs list ${name}`, { okExitCodes: [1] })   // "not found" is an answer
//   await run(host, and(sh`zfs create ${a}`, sh`zfs set ${kv} ${a}`))
//   sh`echo ${new Secret(token)}`        // quoted in the command, '[secret]' in logs and errors
//   stats()                               // { [host]: { connections, commands, failures, millis } }
//
// - `host` is the logical name of `zfs-fleet:hosts` (the provider's configure
//   fills the table through configureHosts); an unknown name fails with a
//   ConnectionError listing the known ones.
// - Commands are ShellCommands built with the `sh` tag (sh.ts): every
//   interpolated value is one quoted word, arrays several words. There is no
//   other way to build one: no string concatenation of commands.
// - RunOptions: `idempotent` (sent again on a new connection if the
//   connection dropped before an answer; others are never sent twice),
//   `timeoutMs` (default 120 s, env ZFSFLEET_TIMEOUT_MS), `stdin`,
//   `okExitCodes`. A command's output is capped (64 MiB, env
//   ZFSFLEET_MAX_OUTPUT_BYTES): past it the command fails, saying so.
// - Errors: a command that ran and failed, timed out or lost its connection
//   rejects with RemoteCommandError {host, command (redacted), exitCode (null
//   when none came back), stderr}. Not getting a connection rejects with
//   ConnectionError, or HostKeyError (hostkey.ts) when the host's key is not
//   the pinned one: nothing is sent to such a host.
// - With `sudo: true` for the host, the command runs as `sudo -n sh -c '<cmd>'`.
//
// Connections are pooled per host for the whole provider process (all the
// resources of one engine operation share them, via globalThis), kept alive,
// at most ZFSFLEET_MAX_CHANNELS (8) commands at once per host (OpenSSH's
// MaxSessions is 10), and verified against the pinned host key. `run` is the
// single choke point: it logs each command (redacted) with its time and exit
// code to ZFSFLEET_LOG_FILE, counts it per host, and appends one JSON line per
// connection and command to ZFSFLEET_STATS_FILE when set, so tests and
// benchmarks driving the real engine can count round trips from outside.
import { appendFileSync, readFileSync } from "node:fs";
import type { Client, ClientChannel } from "ssh2";
import { type ConfigFiles, DEFAULT_FILES, type HostConnection, type HostTable } from "./connection";
import { HostKeyError, matchesPinned } from "./hostkey";
import { settings } from "../config";
import { type ShellCommand, sh } from "./sh";

export { sh, and, Secret, ShellCommand } from "./sh";

export interface RunOptions {
  /** Sent on the command's standard input. */
  stdin?: string;
  /** Safe to send again on a new connection if the connection dropped. */
  idempotent?: boolean;
  /** Per-command deadline; default 120 s (ZFS is slow under emulation). */
  timeoutMs?: number;
  /** Exit codes that are not failures (e.g. 1 for "not found" probes). */
  okExitCodes?: readonly number[];
}


export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface HostStats {
  connections: number;
  commands: number;
  failures: number;
  millis: number;
}

export class RemoteCommandError extends Error {
  constructor(
    readonly host: string,
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    const why = stderr.trim() || (exitCode === null ? "the connection was lost" : "no error output");
    super(`${host}: \`${command}\` failed${exitCode === null ? "" : ` with exit code ${exitCode}`}: ${why}`);
    this.name = "RemoteCommandError";
  }
}

export class ConnectionError extends Error {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(`${host}: ${message}`);
    this.name = "ConnectionError";
  }
}

// Process-wide state, on globalThis: the dynamic-provider host keeps one
// provider per `__provider` text (one per kind, and the 0.2.0 shims of older
// states besides), and all of them must reach the same pool.
interface TransportState {
  hosts: HostTable;
  pool: Map<string, Promise<Client>>;
  stats: Map<string, HostStats>;
  /** Per host: channels in use on its connection, and callers waiting for one. */
  channels: Map<string, { busy: number; waiting: (() => void)[] }>;
}
const STATE_KEY = Symbol.for("zfs-fleet.transport");
const state: TransportState = ((globalThis as Record<symbol, unknown>)[STATE_KEY] as TransportState) ??
  ((globalThis as Record<symbol, unknown>)[STATE_KEY] = { hosts: {}, pool: new Map(), stats: new Map(), channels: new Map() });

// OpenSSH refuses more than MaxSessions (10 by default) channels on one
// connection; ssh2 reports the refusal like a broken connection. The engine
// runs many resources of a host at once, so commands queue for a channel
// (at most ZFSFLEET_MAX_CHANNELS at once).
async function acquireChannel(host: string): Promise<() => void> {
  let c = state.channels.get(host);
  if (!c) state.channels.set(host, (c = { busy: 0, waiting: [] }));
  const slot = c;
  if (slot.busy >= settings().maxChannels) await new Promise<void>((resolve) => slot.waiting.push(resolve));
  else slot.busy++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const next = slot.waiting.shift();
    if (next) next(); // the slot passes on to the next caller, busy unchanged
    else slot.busy--;
  };
}

export function configureHosts(table: HostTable): void {
  watchEngine();
  for (const [name, conn] of Object.entries(table)) {
    const old = state.hosts[name];
    if (old && JSON.stringify(old) !== JSON.stringify(conn)) dropConnection(name);
    state.hosts[name] = conn;
  }
}

/**
 * Ends this provider process once the engine that started it is gone (a `pulumi up` killed with
 * SIGKILL): the SDK's dynamic-provider host does not notice, and would idle on for ever with its
 * connections to the hosts open. The engine is this process's parent or grandparent (the plugin
 * script runs node as a child of sh): when any of them is gone, so is the run.
 */
function watchEngine(): void {
  const key = Symbol.for("zfs-fleet.engine-watch");
  const g = globalThis as Record<symbol, unknown>;
  if (g[key] || process.platform !== "linux") return;
  const ancestors = [process.ppid];
  try {
    const stat = readFileSync(`/proc/${process.ppid}/stat`, "utf8");
    const grandparent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (grandparent > 1) ancestors.push(grandparent);
  } catch {
    // no /proc: the parent alone is watched
  }
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "EPERM";
    }
  };
  g[key] = setInterval(() => {
    if (process.ppid !== ancestors[0] || !ancestors.every(alive)) process.exit(1);
  }, 5_000).unref();
}

export function knownHosts(): string[] {
  return Object.keys(state.hosts);
}

/**
 * Where `host` keeps one of the files the provider edits: a fact of the
 * host's config (`zfs-fleet:hosts.<host>.sanoidConf`, `.syncoidArgs`), never
 * a resource input. An unconfigured host fails as `run` would.
 */
export function configFile(host: string, file: keyof ConfigFiles): string {
  const target = state.hosts[host];
  if (!target) {
    throw new ConnectionError(host, `no connection details: add it to zfs-fleet:hosts in the stack config (known: ${knownHosts().join(", ") || "none"})`);
  }
  return (target.files ?? DEFAULT_FILES)[file];
}

export function stats(): Record<string, HostStats> {
  return Object.fromEntries(state.stats);
}

function counters(host: string): HostStats {
  let s = state.stats.get(host);
  if (!s) state.stats.set(host, (s = { connections: 0, commands: 0, failures: 0, millis: 0 }));
  return s;
}

function record(event: Record<string, unknown>): void {
  const file = process.env.ZFSFLEET_STATS_FILE;
  if (file) appendFileSync(file, `${JSON.stringify({ pid: process.pid, at: new Date().toISOString(), ...event })}\n`);
}

function log(line: string): void {
  const file = process.env.ZFSFLEET_LOG_FILE;
  const text = `${new Date().toISOString()} ${line}\n`;
  if (file) appendFileSync(file, text);
  else if (process.env.ZFSFLEET_DEBUG) process.stderr.write(text);
}

function dropConnection(host: string): void {
  const conn = state.pool.get(host);
  state.pool.delete(host);
  conn?.then((c) => c.end()).catch(() => undefined);
}

function connect(host: string): Promise<Client> {
  const existing = state.pool.get(host);
  if (existing) return existing;
  const target = state.hosts[host];
  if (!target) {
    return Promise.reject(
      new ConnectionError(host, `no connection details: add it to zfs-fleet:hosts in the stack config (known: ${knownHosts().join(", ") || "none"})`),
    );
  }
  const pending = open(target);
  state.pool.set(host, pending);
  pending.catch(() => {
    if (state.pool.get(host) === pending) state.pool.delete(host);
  });
  return pending;
}

function open(target: HostConnection): Promise<Client> {
  // ssh2 is required lazily: the program process (which only builds
  // resources) never loads it.
  const { Client: SshClient } = require("ssh2") as typeof import("ssh2");
  const client = new SshClient();
  const started = Date.now();
  let refused: HostKeyError | undefined;
  return new Promise<Client>((resolve, reject) => {
    client
      .on("ready", () => {
        counters(target.name).connections++;
        record({ host: target.name, event: "connect", ms: Date.now() - started });
        log(`${target.name}: connected to ${target.user}@${target.address}:${target.port} in ${Date.now() - started} ms`);
        resolve(client);
      })
      .on("error", (err: Error) => {
        dropIfCurrent(target.name, client);
        reject(refused ?? new ConnectionError(target.name, `cannot connect to ${target.address}:${target.port}: ${err.message}`));
      })
      .on("close", () => dropIfCurrent(target.name, client));
    if (!target.privateKey && !target.agent) {
      reject(new ConnectionError(target.name, "no SSH credentials: set zfs-fleet:sshPrivateKey (as a secret) or zfs-fleet:sshAgent"));
      return;
    }
    client.connect({
      host: target.address,
      port: target.port,
      username: target.user,
      privateKey: target.privateKey,
      agent: target.agent,
      readyTimeout: 60_000,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      hostVerifier: (key: Buffer) => {
        const revoked = target.revokedKeys ?? [];
        if (matchesPinned(target.hostKeys, key, revoked)) return true;
        refused = new HostKeyError(target.name, target.hostKeys, key, revoked.some((r) => Buffer.from(r.blob, "base64").equals(key)));
        return false;
      },
    });
  });
}

function dropIfCurrent(host: string, client: Client): void {
  const pending = state.pool.get(host);
  pending?.then((c) => c === client && state.pool.get(host) === pending && state.pool.delete(host)).catch(() => undefined);
}

/**
 * Collects a command's stdout and stderr as bytes, decoded once at the end
 * (a chunk may end inside a UTF-8 character), and stops at `limit` bytes of
 * both together: a command that prints without end must not take the
 * provider's memory with it.
 */
export class OutputBuffer {
  private readonly chunks: { out: Buffer[]; err: Buffer[] } = { out: [], err: [] };
  private bytes = 0;
  constructor(readonly limit: number) {}
  /** False once the limit is passed (nothing more is kept). */
  add(stream: "out" | "err", chunk: Buffer): boolean {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) return false;
    this.chunks[stream].push(chunk);
    return true;
  }
  get stdout(): string {
    return Buffer.concat(this.chunks.out).toString("utf8");
  }
  get stderr(): string {
    return Buffer.concat(this.chunks.err).toString("utf8");
  }
}

class OutputLimitError extends Error {
  constructor(limit: number) {
    super(`the command printed more than ${limit} bytes (ZFSFLEET_MAX_OUTPUT_BYTES); it was stopped and its output dropped`);
  }
}

function exec(client: Client, text: string, opts: RunOptions): Promise<RunResult & { lost: boolean }> {
  const { timeoutMs: defaultTimeout, maxOutputBytes } = settings();
  const timeoutMs = opts.timeoutMs ?? defaultTimeout;
  return new Promise((resolve, reject) => {
    client.exec(text, (err: Error | undefined, stream: ClientChannel) => {
      if (err) {
        // Not sent: the connection is gone (or refused a channel), so the command never ran.
        resolve({ stdout: "", stderr: err.message, exitCode: -1, lost: true });
        return;
      }
      const output = new OutputBuffer(maxOutputBytes);
      let exitCode: number | null = null;
      let signal: string | undefined;
      let failed = false;
      const fail = (e: Error) => {
        if (failed) return;
        failed = true;
        clearTimeout(timer);
        stream.close();
        reject(e);
      };
      const timer = setTimeout(() => fail(new TimeoutError(timeoutMs)), timeoutMs);
      stream.on("data", (d: Buffer) => output.add("out", d) || fail(new OutputLimitError(maxOutputBytes)));
      stream.stderr.on("data", (d: Buffer) => output.add("err", d) || fail(new OutputLimitError(maxOutputBytes)));
      stream.on("exit", (code: number | null, sig?: string) => {
        exitCode = code;
        signal = sig ?? undefined;
      });
      stream.on("close", () => {
        clearTimeout(timer);
        if (failed) return;
        const { stdout, stderr } = output;
        if (exitCode === null && signal) {
          // Killed on the host: it ran, so it is a failure, not a lost connection.
          resolve({ stdout, stderr: `${stderr}killed by signal ${signal}`, exitCode: 128, lost: false });
          return;
        }
        resolve({ stdout, stderr, exitCode: exitCode ?? -1, lost: exitCode === null });
      });
      stream.end(opts.stdin ?? "");
    });
  });
}

class TimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms (timeoutMs); the command may still be running on the host`);
  }
}

/** Runs one command on a host: the choke point every remote command goes through. */
export async function run(host: string, cmd: ShellCommand, opts: RunOptions = {}): Promise<RunResult> {
  const target = state.hosts[host];
  const text = target?.sudo ? sh`sudo -n sh -c ${cmd.text}`.text : cmd.text;
  const shown = cmd.redacted;
  const c = counters(host);
  const attempts = opts.idempotent ? 2 : 1;
  for (let attempt = 1; ; attempt++) {
    const client = await connect(host);
    const release = await acquireChannel(host);
    const started = Date.now();
    c.commands++;
    let result: RunResult & { lost: boolean };
    try {
      result = await exec(client, text, opts);
    } catch (err) {
      const ms = Date.now() - started;
      c.failures++;
      c.millis += ms;
      record({ host, event: "command", command: shown, ms, exit: null, error: (err as Error).message });
      log(`${host}: ${shown} -> ${(err as Error).message}`);
      // Only this command's channel was closed: the connection may carry
      // other commands, and keepalive notices a dead one by itself.
      throw new RemoteCommandError(host, shown, null, (err as Error).message);
    } finally {
      release();
    }
    const ms = Date.now() - started;
    c.millis += ms;
    record({ host, event: "command", command: shown, ms, exit: result.lost ? null : result.exitCode });
    log(`${host}: ${shown} -> ${result.lost ? "connection lost" : `exit ${result.exitCode}`} in ${ms} ms`);
    if (result.lost) {
      dropConnection(host);
      if (attempt < attempts) continue;
      c.failures++;
      throw new RemoteCommandError(host, shown, null, result.stderr);
    }
    if (result.exitCode !== 0 && !(opts.okExitCodes ?? []).includes(result.exitCode)) {
      c.failures++;
      throw new RemoteCommandError(host, shown, result.exitCode, result.stderr);
    }
    return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode };
  }
}
