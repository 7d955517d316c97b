// The file-editing helper with its real shell script, run on this machine
// instead of over SSH: the transport's `run` is replaced by a local `sh -c`
// (vi.mock is hoisted above the imports).
import { spawn } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WRITE_SCRIPT, applyEdits, editRemoteFile, readRemoteFile, sha256 } from "../../provider/remotefile";
import { removeSection, setSection, validateConf } from "../../provider/sanoid/conf";
import { SANOID_FILE } from "../../provider/sanoid/provider";
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

const writeScript = (args: string[], stdin: string, env: NodeJS.ProcessEnv = process.env) =>
  new Promise<{ code: number; stderr: string }>((resolve) => {
    const child = spawn("sh", ["-c", WRITE_SCRIPT, "zfs-fleet-write", ...args], { env });
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

describe("the scripts never follow a symbolic link", () => {
  let outside: string;
  beforeEach(() => {
    outside = mkdtempSync(join(tmpdir(), "remotefile-outside-"));
    writeFileSync(join(outside, "shadow"), "root:secret:19000::::::\n", { mode: 0o640 });
  });
  afterEach(() => rmSync(outside, { recursive: true, force: true }));

  it("refuses to replace a file that is a link, and leaves both the link and its target as they were", async () => {
    const link = join(dir, "sanoid.conf");
    symlinkSync(join(outside, "shadow"), link);
    const old = readFileSync(join(outside, "shadow"), "utf8");
    const r = await writeScript([link, sha256(old), sha256("[x]\n"), "none"], "[x]\n");
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/is a symbolic link or not a regular file; refusing to follow or replace it/);
    expect(readFileSync(join(outside, "shadow"), "utf8")).toBe(old);
    expect(statSync(join(outside, "shadow")).mode & 0o777).toBe(0o640);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes("zfs-fleet.") && f !== ".zfs-fleet.lock")).toEqual([]);
  });

  it("refuses a dangling link too: its target is not created", async () => {
    const link = join(dir, "syncoid-args.conf");
    symlinkSync(join(outside, "cron.d-evil"), link);
    expect((await writeScript([link, "absent", sha256("x\n"), "none"], "x\n")).code).toBe(78);
    expect(existsSync(join(outside, "cron.d-evil"))).toBe(false);
  });

  it("refuses a directory reached through a link, and a linked lock file", async () => {
    symlinkSync(outside, join(dir, "sanoid"));
    expect((await writeScript([join(dir, "sanoid", "sanoid.conf"), "absent", sha256("x\n"), "none"], "x\n")).code).toBe(78);
    expect(existsSync(join(outside, "sanoid.conf"))).toBe(false);
    const sub = join(dir, "real");
    mkdirSync(sub);
    symlinkSync(join(outside, "lock-target"), join(sub, ".zfs-fleet.lock"));
    expect((await writeScript([join(sub, "sanoid.conf"), "absent", sha256("x\n"), "none"], "x\n")).code).toBe(78);
    expect(existsSync(join(outside, "lock-target"))).toBe(false);
  });

  it("reads nothing through a link: the read is refused instead of putting the target into the state", async () => {
    const link = join(dir, "sanoid.conf");
    symlinkSync(join(outside, "shadow"), link);
    await expect(readRemoteFile("h", link)).rejects.toThrow(/h: .*sanoid.conf not read: .*is a symbolic link/);
    symlinkSync(outside, join(dir, "etc"));
    await expect(readRemoteFile("h", join(dir, "etc", "shadow"))).rejects.toThrow(/is a symbolic link or goes through one/);
  });
});

describe("the compare-and-swap covers what was validated", () => {
  // A stand-in for sanoid on PATH: it takes as long as sanoid does, during
  // which an operator saves the file by hand (outside the provider's lock).
  let bin: string;
  beforeEach(() => {
    bin = mkdtempSync(join(tmpdir(), "remotefile-bin-"));
    writeFileSync(join(bin, "sanoid"), '#!/bin/sh\n[ -n "${HAND_EDIT:-}" ] && echo "# edited by hand" >> "$HAND_EDIT"\nexit 0\n');
    chmodSync(join(bin, "sanoid"), 0o755);
  });
  afterEach(() => rmSync(bin, { recursive: true, force: true }));

  it("a hand edit made while the new content is validated is a conflict, and is kept", async () => {
    const f = join(dir, "sanoid.conf");
    writeFileSync(f, "[a/b]\n  hourly = 1\n");
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, HAND_EDIT: f };
    const r = await writeScript([f, sha256("[a/b]\n  hourly = 1\n"), sha256("[a/b]\n  hourly = 2\n"), "sanoid"], "[a/b]\n  hourly = 2\n", env);
    expect(r.code).toBe(74);
    expect(readFileSync(f, "utf8")).toBe("[a/b]\n  hourly = 1\n# edited by hand\n");
    expect(readdirSync(dir).sort()).toEqual([".zfs-fleet.lock", "sanoid.conf"]);
  });

  it("without one, the validated content replaces the file", async () => {
    const f = join(dir, "sanoid.conf");
    writeFileSync(f, "[a/b]\n  hourly = 1\n");
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const r = await writeScript([f, sha256("[a/b]\n  hourly = 1\n"), sha256("[a/b]\n  hourly = 2\n"), "sanoid"], "[a/b]\n  hourly = 2\n", env);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(f, "utf8")).toBe("[a/b]\n  hourly = 2\n");
  });
});

describe("sanoid.conf without a section", () => {
  // A stand-in for sanoid as it reads its file: a file without a section it cannot load (FATAL, 255).
  let bin: string;
  let path: string | undefined;
  beforeEach(() => {
    bin = mkdtempSync(join(tmpdir(), "remotefile-bin-"));
    writeFileSync(join(bin, "sanoid"), '#!/bin/sh\necho run >> "$SANOID_RUNS"\nfor a; do case "$a" in --configdir=*) d=${a#--configdir=} ;; esac; done\ngrep -q "^\\[" "$d/sanoid.conf" || { echo "FATAL: cannot load $d/sanoid.conf"; exit 255; }\n');
    chmodSync(join(bin, "sanoid"), 0o755);
    path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    process.env.SANOID_RUNS = join(bin, "runs");
    writeFileSync(join(bin, "runs"), "");
  });
  afterEach(() => {
    process.env.PATH = path;
    delete process.env.SANOID_RUNS;
    rmSync(bin, { recursive: true, force: true });
  });
  const runs = () => readFileSync(join(bin, "runs"), "utf8").split("\n").filter(Boolean).length;

  it("removing the last section writes the file sanoid could not load, without asking sanoid", async () => {
    const f = join(dir, "sanoid.conf");
    writeFileSync(f, "# the host's\n[template_a]\n\thourly = 1\n");
    const r = await editRemoteFile("h", f, (c) => removeSection(c ?? "", "template_a"), SANOID_FILE);
    expect(r.changed).toBe(true);
    expect(readFileSync(f, "utf8")).toBe("# the host's\n");
    expect(runs()).toBe(0);
  });

  it("a file that keeps a section is still checked by sanoid, and refused when sanoid refuses it", async () => {
    const f = join(dir, "sanoid.conf");
    writeFileSync(f, "[template_a]\n\thourly = 1\n");
    await editRemoteFile("h", f, (c) => setSection(c ?? "", "template_b", [["hourly", "2"]]), SANOID_FILE);
    expect(runs()).toBe(1);
    writeFileSync(join(bin, "sanoid"), '#!/bin/sh\necho run >> "$SANOID_RUNS"\necho "FATAL: no"; exit 255\n');
    await expect(editRemoteFile("h", f, (c) => removeSection(c ?? "", "template_b"), SANOID_FILE)).rejects.toThrow(/sanoid refuses the new file: FATAL: no/);
    expect(runs()).toBe(2);
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
