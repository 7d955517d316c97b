// What the import reads of a host, in ONE remote command over one
// connection (the transport's `run`: pinned host key, logged, counted): the
// datasets with the properties set on them, `zfs allow` of every dataset,
// sanoid.conf, syncoid-args.conf and zfs.exports. The command prints
// sections framed by a nonce the host cannot guess, so a file's bytes come
// back exactly, whatever they hold; everything is parsed here, with the
// provider's own parsers (describe.ts).
import { randomBytes } from "node:crypto";
import { READ_SCRIPT } from "../remotefile";
import { type RunResult, run, sh } from "../transport";
import { type DatasetFacts, type PoolFacts, parseZfsGet } from "../zfs/inventory";

/** What the NFS server is told to export, as OpenZFS writes it (nfs/provider.ts). */
export const EXPORTS_FILE = "/etc/exports.d/zfs.exports";

/** A file as the read found it: its exact content, or why there is none. */
export type FileRead = { path: string; content: string } | { path: string; absent: true } | { path: string; refused: string };

export interface HostFacts {
  /** Every filesystem and volume: guid, type, origin, mountpoint, mounted, sharenfs (whatever their source), and every property set locally or received. */
  datasets: PoolFacts;
  /** `zfs allow <dataset>` per dataset, as printed (or the error it printed). */
  allow: Map<string, { output: string; exitCode: number }>;
  sanoidConf: FileRead;
  syncoidArgs: FileRead;
  exports: FileRead;
  /** Commands of the script that failed, with what they said. */
  failures: string[];
}

/** The properties read of every dataset, whatever their source. */
export const IDENTITY_PROPERTIES = ["guid", "type", "origin", "mountpoint", "mounted", "sharenfs"] as const;

/**
 * The one command, POSIX sh (the login shell may be dash; `sudo -n sh -c`
 * runs it with sudo). Arguments: the nonce, sanoid.conf's and
 * syncoid-args.conf's paths, zfs.exports' path, and the provider's own read
 * script (remotefile/: a symbolic link is refused, never followed).
 */
export const IMPORT_SCRIPT = `m=$1 sanoid=$2 syncoid=$3 exports=$4 read=$5
begin() { printf '%s begin %s\\n' "$m" "$1"; }
end() { printf '\\n%s end %s\\n' "$m" "$1"; }
begin identity
zfs get -Hp -o name,property,value,source -t filesystem,volume ${IDENTITY_PROPERTIES.join(",")} 2>&1; end $?
begin local
zfs get -Hp -o name,property,value,source -s local,received -t filesystem,volume all 2>&1; end $?
zfs list -H -o name -t filesystem,volume 2>/dev/null | while IFS= read -r d; do
  begin "allow $d"; zfs allow "$d" 2>&1; end $?
done
begin sanoid; sh -c "$read" zfs-fleet-read "$sanoid"; end $?
begin syncoid; sh -c "$read" zfs-fleet-read "$syncoid"; end $?
begin exports; sh -c "$read" zfs-fleet-read "$exports"; end $?
printf '%s done\\n' "$m"`;

export interface Section {
  name: string;
  body: string;
  exitCode: number;
}

/**
 * Splits the script's output into its sections. A body is everything between
 * its `begin` line and the newline before its `end` line, byte for byte.
 * Output that stops before `done` (a truncated run) is refused.
 */
export function splitSections(stdout: string, nonce: string): Section[] {
  const begin = `${nonce} begin `;
  const endRe = new RegExp(`\\n${nonce} end (\\d+)\\n`, "g");
  const sections: Section[] = [];
  let at = 0;
  for (;;) {
    if (stdout.startsWith(`${nonce} done\n`, at)) return sections;
    if (!stdout.startsWith(begin, at)) {
      throw new Error(`the import's output is cut or garbled at byte ${at} (expected a section or the end): ${JSON.stringify(stdout.slice(at, at + 80))}`);
    }
    const eol = stdout.indexOf("\n", at);
    const name = stdout.slice(at + begin.length, eol);
    endRe.lastIndex = eol;
    const end = endRe.exec(stdout);
    if (!end) throw new Error(`the import's output is cut inside section ${JSON.stringify(name)}`);
    sections.push({ name, body: stdout.slice(eol + 1, end.index), exitCode: Number(end[1]) });
    at = end.index + end[0].length;
  }
}

const READ_ABSENT = 3;
const READ_REFUSED = 78;

function fileOf(path: string, s: Section | undefined): FileRead {
  if (!s) return { path, refused: "not read (the section is missing from the output)" };
  if (s.exitCode === 0) return { path, content: s.body };
  if (s.exitCode === READ_ABSENT) return { path, absent: true };
  if (s.exitCode === READ_REFUSED) return { path, refused: "a symbolic link or not a regular file (never followed)" };
  return { path, refused: `could not be read (exit ${s.exitCode})` };
}

/** Merges two `zfs get` readings of the same datasets into one. */
function merged(a: PoolFacts, b: PoolFacts): PoolFacts {
  const byName = new Map<string, DatasetFacts>();
  for (const ds of a.byName.values()) byName.set(ds.name, { ...ds, properties: { ...ds.properties } });
  for (const ds of b.byName.values()) {
    const into = byName.get(ds.name);
    // A dataset the first reading did not list was created in between: leave it out.
    if (into) Object.assign(into.properties, ds.properties);
  }
  const byGuid = new Map<string, DatasetFacts>();
  for (const ds of byName.values()) if (ds.guid) byGuid.set(ds.guid, ds);
  return { byName, byGuid };
}

export interface Paths {
  sanoidConf: string;
  syncoidArgs: string;
}

/** The facts, from the command's output (pure; `readHost` runs the command). */
export function parseHostOutput(stdout: string, nonce: string, paths: Paths): HostFacts {
  const sections = splitSections(stdout, nonce);
  const by = new Map(sections.map((s) => [s.name, s]));
  const failures: string[] = [];
  const zfsGet = (name: string): PoolFacts => {
    const s = by.get(name);
    if (!s) throw new Error(`the import's output has no ${name} section`);
    if (s.exitCode !== 0) failures.push(`zfs get (${name}) exited ${s.exitCode}: ${s.body.split("\n").filter((l) => l.split("\t").length < 4).join(" ").slice(0, 500)}`);
    return parseZfsGet(s.body);
  };
  const datasets = merged(zfsGet("identity"), zfsGet("local"));
  const allow = new Map<string, { output: string; exitCode: number }>();
  for (const s of sections) {
    if (!s.name.startsWith("allow ")) continue;
    allow.set(s.name.slice("allow ".length), { output: s.body, exitCode: s.exitCode });
    if (s.exitCode !== 0) failures.push(`zfs allow ${s.name.slice(6)} exited ${s.exitCode}: ${s.body.trim().slice(0, 300)}`);
  }
  return {
    datasets,
    allow,
    sanoidConf: fileOf(paths.sanoidConf, by.get("sanoid")),
    syncoidArgs: fileOf(paths.syncoidArgs, by.get("syncoid")),
    exports: fileOf(EXPORTS_FILE, by.get("exports")),
    failures,
  };
}

/** The command for `paths` with `nonce` (exported for tests: what the host is sent). */
export const importCommand = (nonce: string, paths: Paths) =>
  sh`sh -c ${IMPORT_SCRIPT} zfs-fleet-import ${nonce} ${paths.sanoidConf} ${paths.syncoidArgs} ${EXPORTS_FILE} ${READ_SCRIPT}`;

/** Reads the host: one command on one connection (the host must be in the transport's table). */
export async function readHost(host: string, paths: Paths): Promise<{ facts: HostFacts; raw: RunResult; nonce: string }> {
  const nonce = `zfs-fleet-${randomBytes(12).toString("hex")}`;
  const raw = await run(host, importCommand(nonce, paths), { idempotent: true, timeoutMs: 1_800_000 });
  return { facts: parseHostOutput(raw.stdout, nonce, paths), raw, nonce };
}
