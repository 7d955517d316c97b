// The one way this provider touches a host.
//
//   configureHosts(table)                       from the provider's configure()
//   await run(host, sh`zfs rename ${a} ${b}`)   every remote command, quoted by `sh`
//   await run(host, cmd, { stdin, idempotent: true, timeoutMs })
//   stats()                                     commands and connections per host
//
// Connections are pooled per host for the whole provider process (all the
// resources of one engine operation share it), kept alive, and verified
// against the pinned host key. `run` is the single choke point: it logs the
// command (secrets redacted), times it, counts it per host, and turns a
// non-zero exit into a RemoteCommandError carrying host, command, exit code
// and stderr. Commands marked idempotent are retried once on a new
// connection when the old one dropped; others are never sent twice.
import { appendFileSync } from "node:fs";
import type { Client, ClientChannel } from "ssh2";
import type { HostConnection, HostTable } from "../config";
import { HostKeyError, matchesPinned } from "./hostkey";
import { type ShellCommand, sh } from "./sh";

export { sh, and, quote, Secret, ShellCommand } from "./sh";

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

// Process-wide state, on globalThis: the dynamic-provider host loads this
// module once per process, but the serialized shims of several resource
// kinds must all reach the same pool.
interface TransportState {
  hosts: HostTable;
  pool: Map<string, Promise<Client>>;
  stats: Map<string, HostStats>;
}
const STATE_KEY = Symbol.for("zfs-fleet.transport");
const state: TransportState = ((globalThis as Record<symbol, unknown>)[STATE_KEY] as TransportState) ??
  ((globalThis as Record<symbol, unknown>)[STATE_KEY] = { hosts: {}, pool: new Map(), stats: new Map() });

export function configureHosts(table: HostTable): void {
  for (const [name, conn] of Object.entries(table)) {
    const old = state.hosts[name];
    if (old && JSON.stringify(old) !== JSON.stringify(conn)) dropConnection(name);
    state.hosts[name] = conn;
  }
}

export function knownHosts(): string[] {
  return Object.keys(state.hosts);
}

export function isConfigured(host: string): boolean {
  return host in state.hosts;
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
  // ssh2 is required lazily: the serialized provider stays small and the
  // program process (which only builds resources) never loads it.
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
        if (matchesPinned(target.hostKeys, key)) return true;
        refused = new HostKeyError(target.name, target.hostKeys, key);
        return false;
      },
    });
  });
}

function dropIfCurrent(host: string, client: Client): void {
  const pending = state.pool.get(host);
  pending?.then((c) => c === client && state.pool.get(host) === pending && state.pool.delete(host)).catch(() => undefined);
}

function exec(client: Client, text: string, opts: RunOptions): Promise<RunResult & { lost: boolean }> {
  return new Promise((resolve, reject) => {
    client.exec(text, (err: Error | undefined, stream: ClientChannel) => {
      if (err) {
        resolve({ stdout: "", stderr: err.message, exitCode: -1, lost: true });
        return;
      }
      let stdout = "";
      let stderr = "";
      let exitCode: number | null = null;
      const timer = setTimeout(() => {
        stream.close();
        reject(new Error(`timed out after ${opts.timeoutMs ?? 120_000} ms`));
      }, opts.timeoutMs ?? 120_000);
      stream.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
      stream.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
      stream.on("exit", (code: number | null) => (exitCode = code));
      stream.on("close", () => {
        clearTimeout(timer);
        resolve({ stdout, stderr, exitCode: exitCode ?? -1, lost: exitCode === null });
      });
      stream.end(opts.stdin ?? "");
    });
  });
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
    const started = Date.now();
    c.commands++;
    let result: RunResult & { lost: boolean };
    try {
      result = await exec(client, text, opts);
    } catch (err) {
      c.failures++;
      dropConnection(host);
      throw new RemoteCommandError(host, shown, null, (err as Error).message);
    }
    const ms = Date.now() - started;
    c.millis += ms;
    record({ host, event: "command", command: shown, ms, exit: result.exitCode });
    log(`${host}: ${shown} -> exit ${result.exitCode} in ${ms} ms`);
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

/** Closes every pooled connection (tests; the provider process just exits). */
export function closeAll(): void {
  for (const host of [...state.pool.keys()]) dropConnection(host);
}
