// After the demo's `up`: every dataset the lab seeded is still there (found by
// its guid, wherever it moved) with every file's checksum, and the report's
// expectations hold (no export under off-backups, ovh3 pulls from off2 with
// the line the stack wrote). Prints what it verified; exits 1 on any mismatch.
//
//   node tools/verify-lab.ts [lab.json]
//
// Commands are built with the provider's `sh` (every value quoted) and the
// pull line is read with the provider's own parser of syncoid-args.conf.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { linesFor, parseArgs, renderEndpoint } from "../provider/syncoid/args.ts";
import { type ShellCommand, sh } from "../provider/transport/sh.ts";

interface Manifest {
  hosts: Record<string, Record<string, { guid: string; files: Record<string, string> }>>;
}

const labJson = process.argv[2] ?? execFileSync("lab/labctl", ["env"], { encoding: "utf8" }).trim();
const lab = JSON.parse(readFileSync(labJson, "utf8")) as { runDir: string; labctl: string; hosts: Record<string, { pools: string[] }> };
const manifest = JSON.parse(readFileSync(join(lab.runDir, "seed-manifest.json"), "utf8")) as Manifest;

const ssh = (host: string, cmd: ShellCommand): string =>
  execFileSync(lab.labctl, ["ssh", host, cmd.text], { encoding: "utf8", maxBuffer: 64 << 20 });

let failures = 0;
const fail = (msg: string) => {
  failures++;
  console.log(`  FAIL ${msg}`);
};

for (const [host, datasets] of Object.entries(manifest.hosts)) {
  // One round trip per host: every dataset's guid and mountpoint, then the
  // checksum of every file directly in each mountpoint.
  const listing = ssh(
    host,
    sh`zfs list -Hp -o guid,name,mountpoint -t filesystem -r ${lab.hosts[host].pools} | while IFS="$(printf '\\t')" read -r g n m; do \
echo "D $g $n"; [ -d "$m" ] && (cd "$m" && find . -maxdepth 1 -type f -printf '%f\\n' | LC_ALL=C sort | xargs -r sha256sum | sed "s/^/F $g /"); done`,
  );
  const byGuid = new Map<string, { name: string; files: Record<string, string> }>();
  for (const line of listing.split("\n")) {
    const [kind, g, a, b] = line.split(/\s+/);
    if (kind === "D") byGuid.set(g, { name: a, files: {} });
    else if (kind === "F") byGuid.get(g)!.files[b] = a;
  }
  let files = 0;
  const moved: string[] = [];
  for (const [name, seeded] of Object.entries(datasets)) {
    const now = byGuid.get(seeded.guid);
    if (!now) {
      fail(`${host}: ${name} (guid ${seeded.guid}) is gone`);
      continue;
    }
    if (now.name !== name) moved.push(`${name} -> ${now.name}`);
    for (const [file, sum] of Object.entries(seeded.files)) {
      files++;
      if (now.files[file] !== sum) fail(`${host}: ${now.name}/${file} changed or is missing`);
    }
  }
  console.log(`${host}: ${Object.keys(datasets).length} seeded datasets all present by guid, ${files} files checked, ${moved.length} moved:`);
  for (const m of moved) console.log(`    ${m}`);
}

// The report's NFS fix: nothing under off-backups is exported from ovh3.
const exports = ssh("ovh3", sh`exportfs -v 2>/dev/null | awk '/^\\//{print $1}' | sort -u`);
const offBackupExports = exports.split("\n").filter((l) => l.includes("off-backups"));
if (offBackupExports.length > 0) fail(`ovh3 still exports ${offBackupExports.join(", ")}`);
else console.log(`ovh3: nothing under off-backups is exported (${exports.split("\n").filter(Boolean).length} exports in all)`);

// The report's pulls: ovh3 pulls off2's data as ovh3operator, with the line
// the stack wrote. Its target holds the lab's seeded files (not a received
// stream, so syncoid finds no common snapshot there); the same words are run
// into a scratch dataset instead, after a snapshot on the source (sanoid's job
// on the real off2).
const PULLED = "rpool/off-backups/off2-pve";
const pull = linesFor(parseArgs(ssh("ovh3", sh`cat /etc/sanoid/syncoid-args.conf`)), PULLED)
  .map((l) => l.pull!)
  .find((p) => p.enabled);
if (!pull) {
  fail(`ovh3: no active line pulls into ${PULLED}`);
} else {
  const source = renderEndpoint(pull.source);
  const snapshot = `${pull.source.dataset}@verify-pull`;
  const scratch = "rpool/verify-pull";
  try {
    ssh("off2", sh`zfs destroy -r ${snapshot} 2>/dev/null; zfs snapshot -r ${snapshot}`);
    ssh(
      "ovh3",
      sh`zfs destroy -r ${scratch} 2>/dev/null; syncoid ${[...pull.flags, source, scratch]} </dev/null >/dev/null 2>/tmp/verify-pull.err || { cat /tmp/verify-pull.err >&2; exit 1; }`,
    );
    console.log(`ovh3: the line for ${PULLED} pulls for real: ${source} received as ${scratch}`);
  } catch (err) {
    fail(`ovh3: the pull of ${source} failed: ${(err as Error).message.split("\n")[0]}`);
  }
}

console.log(failures === 0 ? "verified: no data lost, no identity lost" : `${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
