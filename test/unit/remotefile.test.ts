// The file-editing helper with its real shell script, run on this machine
// instead of over SSH: the transport's `run` is replaced by a local `sh -c`
// (vi.mock is hoisted above the imports).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WRITE_SCRIPT, applyEdits, editRemoteFile, readRemoteFile, sha256 } from "../../provider/remotefile";
import { setSection, validateConf } from "../../provider/sanoid/conf";
import type { ShellCommand } from "../../provider/transport/sh";

const calls: string[] = [];

vi.mock("../../provider/transport", async () => {
  const real = await vi.importActual<typeof import("../../provider/transport")>("../../provider/transport");
  return {
    ...real,
    run: async (host: string, cmd: ShellCommand, opts: { stdin?: string; okExitCodes?: number[] } = {}) => {
      calls.push(cmd.redacted);
      const r = await new Promise<{ stdout: string; stderr: string; exitCode: number }>((resolve) => {
        const child = spawn("sh", ["-c", cmd.text]);
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("close", (code) => resolve({ stdout, stderr, exitCode: code ?? -1 }));
        child.stdin.on("error", () => undefined); // the read script may exit before taking stdin
        child.stdin.end(opts.stdin ?? "");
      });
      if (r.exitCode !== 0 && !(opts.okExitCodes ?? []).includes(r.exitCode)) {
        throw new real.RemoteCommandError(host, cmd.redacted, r.exitCode, r.stderr);
      }
      return r;
    },
  };
});


const PLAIN = { validator: "none" as const, label: "test file" };
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "remotefile-"));
  calls.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const writeScript = (args: string[], stdin: string) =>
  new Promise<{ code: number; stderr: string }>((resolve) => {
    const child = spawn("sh", ["-c", WRITE_SCRIPT, "zfs-fleet-write", ...args]);
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code: code ?? -1, stderr }));
    child.stdin.on("error", () => undefined);
    child.stdin.end(stdin);
  });

describe("the write script on the host", () => {
  it("creates a missing file root:root 0644", async () => {
    const f = join(dir, "sub", "sanoid.conf");
    const r = await writeScript([f, "absent", sha256("x\n"), "none"], "x\n");
    expect(r.code).toBe(0);
    expect(readFileSync(f, "utf8")).toBe("x\n");
    const st = statSync(f);
    expect([st.uid, st.gid, st.mode & 0o777]).toEqual([0, 0, 0o644]);
  });

  it("replaces the file only if it is still what was read, keeping the old one as backup", async () => {
    const f = join(dir, "a.conf");
    writeFileSync(f, "old\n", { mode: 0o600 });
    expect((await writeScript([f, sha256("other\n"), sha256("new\n"), "none"], "new\n")).code).toBe(74);
    expect(readFileSync(f, "utf8")).toBe("old\n");
    expect((await writeScript([f, sha256("old\n"), sha256("new\n"), "none"], "new\n")).code).toBe(0);
    expect(readFileSync(f, "utf8")).toBe("new\n");
    expect(readFileSync(join(dir, "a.conf.zfs-fleet.bak"), "utf8")).toBe("old\n");
    expect(statSync(f).mode & 0o777).toBe(0o600); // an existing file keeps its mode
  });

  it("a cut connection (less content than announced) leaves the old file and no temporary file", async () => {
    const f = join(dir, "a.conf");
    writeFileSync(f, "old\n");
    const full = "line 1\nline 2\nline 3\n";
    const r = await writeScript([f, sha256("old\n"), sha256(full), "none"], full.slice(0, 9));
    expect(r.code).toBe(76);
    expect(r.stderr).toMatch(/incomplete/);
    expect(readFileSync(f, "utf8")).toBe("old\n");
    expect(readdirSync(dir).sort()).toEqual([".zfs-fleet.lock", "a.conf"]);
  });
});

describe("editRemoteFile", () => {
  it("40 edits asked at once all land, in one write", async () => {
    const f = join(dir, "sanoid.conf");
    const head = "# no_sanoid_checks:zfs-hdd:\n[template_x]\n  hourly = 1\n";
    writeFileSync(f, head);
    const kind = { validator: "none" as const, label: "sanoid.conf", problems: validateConf };
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => editRemoteFile("h", f, (old) => setSection(old ?? "", `zfs-hdd/d${i}`, [["use_template", "x"]]), kind)),
    );
    const text = readFileSync(f, "utf8");
    expect(text.startsWith(head)).toBe(true);
    for (let i = 0; i < 40; i++) expect(text.match(new RegExp(`^\\[zfs-hdd/d${i}\\]$`, "gm"))).toHaveLength(1);
    expect(calls.filter((c) => c.includes("zfs-fleet-write"))).toHaveLength(1);
  });

  it("8 writers from separate processes still lose nothing (compare-and-swap under the host lock)", async () => {
    vi.stubEnv("ZFSFLEET_NO_BATCH", "1");
    try {
      const f = join(dir, "args.conf");
      // One host key each: separate queues, as separate processes would have.
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => editRemoteFile(`h${i}`, f, (old) => `${old ?? ""}line ${i}\n`, PLAIN)),
      );
      const lines = readFileSync(f, "utf8").split("\n").filter(Boolean);
      expect(lines.sort()).toEqual(Array.from({ length: 8 }, (_, i) => `line ${i}`).sort());
      expect(results.every((r) => r.changed)).toBe(true);
    } finally {
      vi.unstubAllEnvs();
    }
  }, 120_000);

  it("an edit that fails or makes the file invalid is refused alone; the others land", async () => {
    const f = join(dir, "sanoid.conf");
    const kind = { validator: "none" as const, label: "sanoid.conf", problems: validateConf };
    const good = editRemoteFile("h", f, (old) => setSection(old ?? "", "a/b", [["hourly", "1"]]), kind);
    const bad = editRemoteFile("h", f, (old) => `${old ?? ""}[c/d]\n  frobnicate = 1\n`, kind);
    const throws = editRemoteFile("h", f, () => {
      throw new Error("no");
    }, kind);
    await expect(good).resolves.toMatchObject({ changed: true });
    await expect(bad).rejects.toThrow(/would make sanoid.conf invalid: line \d+: \[c\/d\] frobnicate is not a sanoid setting/);
    await expect(throws).rejects.toThrow("no");
    expect(readFileSync(f, "utf8")).toBe("[a/b]\n  hourly = 1\n");
  });

  it("an edit that changes nothing writes nothing", async () => {
    const f = join(dir, "x.conf");
    writeFileSync(f, "same\n");
    const r = await editRemoteFile("h", f, (old) => old ?? "", PLAIN);
    expect(r).toEqual({ changed: false, content: "same\n" });
    expect(calls.some((c) => c.includes("zfs-fleet-write"))).toBe(false);
    expect(existsSync(join(dir, "x.conf.zfs-fleet.bak"))).toBe(false);
  });

  it("reads a missing file as undefined, and the edit's paths are quoted", async () => {
    expect(await readRemoteFile("h", join(dir, "no such file"))).toBeUndefined();
    expect(calls[0]).toContain(`'${join(dir, "no such file")}'`);
  });

  it("applyEdits is pure and reports per edit", () => {
    const out = applyEdits("a\n", [(t) => `${t}b\n`, () => { throw new Error("x"); }, (t) => t ?? ""], PLAIN);
    expect(out.content).toBe("a\nb\n");
    expect(out.results.map((r) => ("error" in r ? "error" : r.changed))).toEqual([true, "error", false]);
  });
});
