import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  explainLocked,
  failureText,
  type LockRecord,
  LockedError,
  lockedFromRecords,
  parseLocked,
  renderLocked,
  retryWhileLocked,
} from "../../tools/lock";

// What the CLI 3.276 printed (test/fixtures/pulumi-3.276/README.md says how each was captured).
const fixture = (name: string) => readFileSync(join(__dirname, "../fixtures/pulumi-3.276", name), "utf8");
const fileBackend = fixture("lock-file-backend.txt");
const postgresTwo = fixture("lock-postgres-two-holders.txt");
const automation = fixture("lock-automation-concurrent-update.txt");
const records = fixture("lock-records.jsonl")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as LockRecord);

const onVm = (live: number[]) => ({ hostname: "vm", isAlive: (pid: number) => live.includes(pid) });

describe("a stack locked by another run", () => {
  it("names the holder of a file-backend lock: user@host, pid, since when", () => {
    expect(parseLocked(fileBackend)).toEqual({
      project: "pgtry",
      stack: "t",
      holders: [{ user: "root", host: "vm", pid: 30572, since: new Date("2026-12-01T11:36:48Z") }],
    });
  });

  it("names every holder of a PostgreSQL lock, with their own time zones", () => {
    const locked = parseLocked(postgresTwo);
    expect(locked?.stack).toBe("t");
    expect(locked?.holders).toEqual([
      { user: "alice", host: "ops-laptop", pid: 4242, since: new Date("2026-12-01T09:58:02Z") },
      { user: "root", host: "vm", pid: 32140, since: new Date("2026-12-01T11:37:25Z") },
    ]);
  });

  it("reads the Automation API's ConcurrentUpdateError, whose message repeats the holder, once", () => {
    const err = Object.assign(new Error(automation), { name: "ConcurrentUpdateError" });
    expect(parseLocked(failureText(err))?.holders).toEqual([
      { user: "root", host: "vm", pid: 515, since: new Date("2026-12-01T11:37:53Z") },
    ]);
    // The Automation API keeps the engine's stderr on commandResult too.
    const withResult = { message: "code: 255", commandResult: { stderr: fileBackend } };
    expect(parseLocked(failureText(withResult))?.holders.map((h) => h.pid)).toEqual([30572]);
  });

  it("reads the lock records of the state database as the engine's message would name them", () => {
    const fromRecords = lockedFromRecords(records);
    expect([fromRecords?.project, fromRecords?.stack]).toEqual(["pgtry", "t"]);
    expect(fromRecords?.holders.map((h) => `${h.user}@${h.host} ${h.pid}`)).toEqual(["alice@ops-laptop 4242", "root@vm 32140"]);
    expect(fromRecords?.holders[0].since).toEqual(new Date("2026-12-01T09:58:02.123Z"));
    expect(lockedFromRecords([])).toBeUndefined();
  });

  it("tells who holds it, since when, how to wait and how to cancel", () => {
    const msg = explainLocked(fileBackend, {
      now: new Date("2026-12-01T11:39:18Z"),
      ...onVm([30572]),
      waitHint: "node tools/fleet.ts up --lab --wait 600",
    });
    expect(msg).toBe(
      [
        "t is locked by another run (an up, refresh, destroy or import); this run changed nothing.",
        "  held by root@vm, pid 30572, since 2026-12-01 11:36:48 UTC (2 min ago): still running on this machine",
        "To wait: node tools/fleet.ts up --lab --wait 600 (retries while the stack is locked, previewing again once it is free: the other run changes what this one has to do).",
        "If the holder is gone (killed, its machine down; check: ps -p 30572 on vm), release it:",
        "  pulumi cancel --yes -s t     (deletes every lock of the stack, a live run's too: never while it runs)",
        "  pulumi refresh --yes -s t    (records what the interrupted run already did on the hosts)",
        "then run again.",
      ].join("\n"),
    );
  });

  it("says a lock left by a killed run on this machine is stale, and offers no wait", () => {
    const msg = explainLocked(fileBackend, { now: new Date("2026-12-01T13:00:00Z"), ...onVm([]) }) ?? "";
    expect(msg).toContain("pid 30572, since 2026-12-01 11:36:48 UTC (1 h 23 min ago): that process is gone");
    expect(msg).toContain("To release it (its holder is gone):\n  pulumi cancel --yes -s t");
    expect(msg).not.toContain("To wait");
  });

  it("cannot probe a holder on another machine: says where to check it", () => {
    const msg = explainLocked(postgresTwo, { ...onVm([32140]) }) ?? "";
    expect(msg).toContain("  held by alice@ops-laptop, pid 4242, since 2026-12-01 09:58:02 UTC\n");
    expect(msg).toContain("check: ps -p 4242 on ops-laptop, ps -p 32140 on vm");
    expect(msg).toContain("To wait:");
  });

  it("falls back to the stack it was asked about, and recognises Pulumi Cloud's conflict", () => {
    const cloud = "error: [409] Conflict: Another update is currently in progress.";
    expect(explainLocked(cloud, { stack: "off2" })).toMatch(/^off2 is locked: another update is in progress/);
    expect(explainLocked(cloud, { stack: "off2" })).toContain("pulumi cancel --yes -s off2");
  });

  it("is silent about every other failure", () => {
    expect(explainLocked("error: no stack named 'lab-off2' found")).toBeUndefined();
    expect(explainLocked(new Error("exit 1"))).toBeUndefined();
    expect(explainLocked(undefined)).toBeUndefined();
    expect(explainLocked(42)).toBeUndefined();
  });

  it("a renderer is total: an unparsable holder line still gives the message", () => {
    const header = fileBackend.split("\n")[0];
    expect(renderLocked(parseLocked(header) ?? { holders: [] }, { stack: "lab-off2" })).toContain(
      "lab-off2 is locked: another update is in progress",
    );
  });
});

describe("--wait SECONDS", () => {
  const fakeTime = () => {
    let t = Date.parse("2026-12-01T11:37:00Z");
    return { clock: () => t, sleep: async (ms: number) => void (t += ms) };
  };

  it("retries while a live run holds the stack, then returns what the attempt returns", async () => {
    const time = fakeTime();
    const log: string[] = [];
    let attempts = 0;
    const result = await retryWhileLocked(
      async () => {
        attempts++;
        if (attempts < 4) throw new Error(fileBackend);
        return "applied";
      },
      { waitSeconds: 60, ...time, ...onVm([30572]), log: (l) => log.push(l) },
    );
    expect(result).toBe("applied");
    expect(attempts).toBe(4);
    expect(log).toHaveLength(2); // the holder once, then the wait; not once per attempt
    expect(log[1]).toBe("waiting up to 60 s for the lock, retrying every 5 s");
  });

  it("gives up after the wait with the full message", async () => {
    const time = fakeTime();
    let attempts = 0;
    const failed = retryWhileLocked(
      async () => {
        attempts++;
        throw new Error(fileBackend);
      },
      { waitSeconds: 20, ...time, ...onVm([30572]) },
    );
    await expect(failed).rejects.toThrow(LockedError);
    await expect(failed).rejects.toThrow(/held by root@vm, pid 30572[\s\S]*gave up after waiting 20 s/);
    expect(attempts).toBe(5); // at 0, 5, 10, 15 and 20 s
  });

  it("does not wait for a holder that is gone, nor retry any other failure", async () => {
    const time = fakeTime();
    let attempts = 0;
    await expect(
      retryWhileLocked(
        async () => {
          attempts++;
          throw new Error(fileBackend);
        },
        { waitSeconds: 600, ...time, ...onVm([]) },
      ),
    ).rejects.toThrow(/that process is gone/);
    expect(attempts).toBe(1);

    const other = new Error("error: preview failed");
    await expect(retryWhileLocked(async () => Promise.reject(other), { waitSeconds: 600, ...time })).rejects.toBe(other);
  });

  it("with --wait 0 fails at once, with the message", async () => {
    await expect(
      retryWhileLocked(async () => Promise.reject(new Error(fileBackend)), { waitSeconds: 0, ...fakeTime() }),
    ).rejects.toThrow(/^t is locked by another run/);
  });
});
