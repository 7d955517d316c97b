// For the import's lab tests (import.test.ts, import-other.test.ts,
// import-scale.test.ts): running `node tools/import.ts` against a lab VM,
// a stack whose program is the module it wrote, what a host holds (to show
// an up changed nothing) and which of the provider's commands write.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Report } from "../../provider/import/cli";
import { type CommandRecord, TestStack, repo } from "./engine";
import { type HostName, lab, out, sh } from "./support";

export interface Imported {
  report: Report;
  module: string;
  /** The read as the command printed it (--save-output), for the pure checks. */
  saved: { nonce: string; stdout: string; paths: { sanoidConf: string; syncoidArgs: string } };
  /** The provider's commands during the import, from ZFSFLEET_STATS_FILE. */
  commands: CommandRecord[];
  dir: string;
}

/** `node tools/import.ts HOST ...` with the lab's connection facts for the VM; `extra` adds options. */
export async function importHost(host: HostName, extra: string[] = [], dir = mkdtempSync(join(tmpdir(), `zfs-fleet-import-${host}-`))): Promise<Imported> {
  const h = lab().hosts[host];
  const file = (name: string) => join(dir, name);
  const args = [
    join(repo, "tools/import.ts"), host,
    "--address", h.host, "--port", String(h.port), "--host-key", h.hostKey, "--key", h.privateKeyPath,
    "--out", file(`${host}.ts`), "--report", file("report.json"), "--save-output", file("read.json"),
    ...extra,
  ];
  const env = { ...process.env, ZFSFLEET_STATS_FILE: file("commands.jsonl"), ZFSFLEET_LOG_FILE: file("provider.log") };
  writeFileSync(file("commands.jsonl"), "");
  await new Promise<void>((resolve, reject) =>
    execFile("node", args, { cwd: repo, env, maxBuffer: 64 << 20, timeout: 1_800_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`node tools/import.ts ${host} failed: ${stderr}${stdout}`)) : resolve(),
    ),
  );
  return {
    report: JSON.parse(readFileSync(file("report.json"), "utf8")) as Report,
    module: readFileSync(file(`${host}.ts`), "utf8"),
    saved: JSON.parse(readFileSync(file("read.json"), "utf8")),
    commands: readFileSync(file("commands.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as CommandRecord),
    dir,
  };
}

/** The program of a stack that runs an imported module (written beside it as imported.ts). */
export const IMPORTED_PROGRAM = `
import { program } from "./imported";
const o = program();
export const datasets = o.datasets;
`;

/** A stack of the lab whose program is `module`, for the VM `host`. */
export async function importedStack(name: string, host: HostName, module: string): Promise<TestStack> {
  const stack = await TestStack.create(name, [host], IMPORTED_PROGRAM);
  writeFileSync(join(stack.dir, "imported.ts"), module);
  return stack;
}

export function replaceModule(stack: TestStack, module: string): void {
  writeFileSync(join(stack.dir, "imported.ts"), module);
}

/**
 * The commands that change a host: ZFS's writes, a grant (`zfs allow` with
 * flags; without, it only prints), the remote-file write script, the
 * exports' regeneration, a syncoid run.
 */
export const WRITES: readonly RegExp[] = [
  /\bzfs (set|inherit|create|rename|destroy|unallow|share|unshare|snapshot|clone|promote|receive|recv|mount|umount)\b/,
  /\bzfs allow -/,
  /zfs-fleet-write/,
  /\bexportfs -(r|a|u)/,
  /\brm -f\b/,
  /(^|[;&|]\s*)syncoid\s/,
];

export const writesOf = (commands: readonly CommandRecord[]): string[] =>
  commands.filter((c) => c.event === "command" && WRITES.some((w) => w.test(c.command ?? ""))).map((c) => c.command!.slice(0, 200));

/**
 * What a host holds, as one text to compare before and after: each file's
 * sha256, every property set on a dataset (locally or received), and every
 * dataset's `zfs allow`. Datasets by name, so a rename shows too.
 */
export async function hostState(host: HostName, files: readonly string[]): Promise<string> {
  return out(
    host,
    sh`for f in ${files}; do if [ -e "$f" ]; then sha256sum "$f"; else echo "absent $f"; fi; done
zfs get -Hp -o name,property,value,source -s local,received -t filesystem,volume all
zfs list -H -o name -t filesystem,volume | while IFS= read -r d; do echo "== $d"; zfs allow "$d"; done`,
    { timeoutMs: 1_800_000 },
  );
}

/** The config files and zfs.exports of a host, by their defaults. */
export const DEFAULT_FILES = ["/etc/sanoid/sanoid.conf", "/etc/sanoid/syncoid-args.conf", "/etc/exports.d/zfs.exports"];

/** A line for the note: what an import cost. */
export function costLine(what: string, r: Report): string {
  const c = r.counts;
  return `[import-cost] ${what}: ${r.commands} remote command(s), ${r.connections} connection(s), ${r.seconds} s; ${c.datasets} datasets, ${c.grants} grants, ${c.templates} templates, ${c.policies} policies, ${c.pulls} pulls, ${c.shares} shares, ${c.unmanaged} left as they are`;
}
