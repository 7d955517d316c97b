// The lab's health as the tests see it: `labctl health` (the one judge of a dead VM: qemu gone, a
// kernel panic or oops on the console, no answer over ssh since it was ready), a watchdog that asks
// it every few seconds during a file, and the processes a test has in flight, which the watchdog
// ends when a VM dies so that the test fails within seconds instead of waiting out its timeouts.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type HostName, lab } from "./support";

export interface Death {
  host: HostName;
  reason: string;
  console: string;
}

export interface Health {
  states: Map<HostName, string>;
  deaths: Death[];
}

function labctl(args: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(lab().labctl, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** `labctl health` parsed: "HOST\tSTATE" lines, a dead host's console lines indented below it. */
export function parseHealth(text: string): Health {
  const states = new Map<HostName, string>();
  const deaths: Death[] = [];
  let current: Death | undefined;
  for (const line of text.split("\n")) {
    const m = line.match(/^(off1|off2|ovh3)\t(.*)$/);
    if (m) {
      const host = m[1] as HostName;
      states.set(host, m[2]);
      current = m[2].startsWith("dead: ") ? { host, reason: m[2].slice(6), console: "" } : undefined;
      if (current) deaths.push(current);
    } else if (current && line.startsWith("    ")) {
      current.console += `${line}\n`;
    }
  }
  return { states, deaths };
}

/** Each VM's state; `quick` looks only at qemu and the console (no ssh), for the watchdog. */
export async function health(quick = false): Promise<Health> {
  const r = await labctl(["health", ...(quick ? ["--quick"] : [])], 120_000);
  return parseHealth(r.stdout);
}

export function describeDeath(d: Death, when: string): string {
  return `lab VM ${d.host} died ${when}: ${d.reason}\n${d.host}'s console, last lines:\n${d.console}`;
}

// ------------------------------------------------------------------------------------------------
// Processes in flight (ssh, labctl, pulumi): registered by support.ts and engine.ts.

const inFlight = new Set<ChildProcess>();

export function track<T extends ChildProcess>(child: T): T {
  inFlight.add(child);
  child.on("exit", () => inFlight.delete(child));
  return child;
}

// ------------------------------------------------------------------------------------------------
// The deaths seen during the current file (one worker process runs one file at a time).

const seen: Death[] = [];
export const deathsInThisFile = (): readonly Death[] => seen;

/** Throws, naming the dead VM, when one died during this file: called by waits and remote commands. */
export function assertLabAlive(): void {
  if (seen.length > 0) throw new Error(seen.map((d) => describeDeath(d, "during this file")).join("\n"));
}

function record(deaths: readonly Death[]): void {
  const fresh = deaths.filter((d) => !seen.some((s) => s.host === d.host));
  if (fresh.length === 0) return;
  seen.push(...fresh);
  for (const child of inFlight) {
    // A child started with `detached` leads its own process group (the demo script and its pulumi).
    try {
      process.kill(-(child.pid ?? 0), "SIGKILL");
    } catch {
      child.kill("SIGKILL");
    }
  }
}

let timer: NodeJS.Timeout | undefined;
let checking = false;

/** Asks `labctl health --quick` every `everyMs` until stopped; a death ends what is in flight. */
export function startWatchdog(everyMs = 5_000): void {
  seen.length = 0;
  timer = setInterval(() => {
    if (checking) return;
    checking = true;
    health(true)
      .then((h) => record(h.deaths))
      .catch(() => undefined)
      .finally(() => (checking = false));
  }, everyMs);
  timer.unref();
}

export function stopWatchdog(): void {
  if (timer) clearInterval(timer);
  timer = undefined;
}

/** A full check (ssh included), for after a failed test: a hung VM shows only this way. */
export async function checkNow(): Promise<readonly Death[]> {
  record((await health(false)).deaths);
  return seen;
}

/**
 * After a lab command failed: a full check, and `message` with every death it found named first (the
 * reason and the console's last lines), so that a file whose setup lost a VM says so, not only that
 * its command failed.
 */
export async function withDeathsNamed(message: string): Promise<string> {
  const deaths = await checkNow().catch(() => deathsInThisFile());
  if (deaths.length === 0) return message;
  return `${deaths.map((d) => describeDeath(d, "during this file")).join("\n")}${message}`;
}

// ------------------------------------------------------------------------------------------------
// Restarts: a dead VM is restarted once per test run (pools come back from their disks).

function restartsFile(runId: string): string {
  return join(lab().runDir, `restarts-${runId}.json`);
}

/**
 * Before a file: every VM alive, or restarted once in this run (`labctl up` restarts the dead), or
 * an error naming the VM that died again.
 */
export async function ensureLabAlive(runId: string): Promise<void> {
  const { deaths } = await health(false);
  if (deaths.length === 0) return;
  const file = restartsFile(runId);
  const restarted: string[] = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : [];
  const again = deaths.filter((d) => restarted.includes(d.host));
  if (again.length > 0) {
    throw new Error(
      again.map((d) => describeDeath(d, "again, after its restart earlier in this run; not restarting it twice")).join("\n"),
    );
  }
  writeFileSync(file, JSON.stringify([...restarted, ...deaths.map((d) => d.host)]));
  for (const d of deaths) console.error(`[lab] ${describeDeath(d, "before this file")}[lab] restarting ${d.host}`);
  const r = await labctl(["up"], 1_200_000);
  if (r.code !== 0) throw new Error(`labctl up could not restart ${deaths.map((d) => d.host).join(", ")}:\n${r.stderr}`);
  console.error(`[lab] restarted ${deaths.map((d) => d.host).join(", ")}`);
}
