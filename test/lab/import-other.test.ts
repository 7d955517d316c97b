// Importing a host laid out as no operator of the fleet lays one out, built
// by the test on off1: a pool `tank` on a file vdev with its own mountpoint,
// users keeper and mirror and a group staff, nested datasets with sizes, user
// properties, a mountpoint and readonly set on them, a volume, grants in each
// scope (one through a permission set), sanoid.conf and syncoid-args.conf at
// paths of the host's own (an active pull, a paused one, a push, lines the
// import leaves alone), and a share with two clients. The written program's
// first up changes nothing, the next preview is empty; a rename made in the
// module moves the dataset with its children, grants, section and share
// (updates only, same guids, files kept), and an import after it, given the
// module, keeps every key.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllow } from "../../provider/delegation/allow";
import type { TestStack } from "./engine";
import { type Imported, costLine, hostState, importHost, importedStack, replaceModule, writesOf } from "./import-support";
import { checksums, closeConnections, guid, out, resetLab, run, sh } from "./support";

const SANOID = "/etc/sanoid/tank-sanoid.conf";
const SYNCOID = "/etc/sanoid/tank-syncoid.conf";
const FILES = [SANOID, SYNCOID, "/etc/exports.d/zfs.exports"];

const SANOID_CONF = `# tank's snapshots (not the operators' file)
[template_daily]
\tdaily = 14
\tmonthly = 2
\tautosnap = yes
\tautoprune = yes

[template_scratch]
\thourly = 6
\tautosnap = yes

[tank/home]
\tuse_template = daily
\trecursive = yes

[tank/media]
\tuse_template = daily,scratch
\trecursive = zfs
\thourly = 12

[tank/vm]
\tuse_template = daily
\tdaily = 3 # fewer: they are big
`;

const SYNCOID_ARGS = `# tank's replication
--no-privilege-elevation --recursive mirror@off2.openfoodfacts.org:zfs-hdd/media tank/replica/data
#--no-sync-snap --recursive mirror@10.0.0.3:rpool/photos tank/replica/photos
--no-sync-snap tank/home root@backup.example.org:vault/home
--no-sync-snap  tank/vm root@backup.example.org:vault/vm
`;

const FILESYSTEMS = ["tank/home", "tank/home/ann", "tank/home/bob", "tank/media", "tank/media/photos", "tank/media/photos/2024", "tank/replica", "tank/replica/data", "tank/vm"];

const BUILD = sh`set -e
truncate -s 512M /var/tmp/tank.img
zpool create -f -O compression=zstd -O atime=off -m /srv/tank tank /var/tmp/tank.img
id keeper >/dev/null 2>&1 || useradd -m keeper
id mirror >/dev/null 2>&1 || useradd -m mirror
getent group staff >/dev/null || groupadd staff
zfs create -o quota=1G -o com.example:tier=gold tank/home
zfs create tank/home/ann
zfs create -o quota=200M tank/home/bob
zfs create -o recordsize=1M tank/media
zfs create -p tank/media/photos/2024
zfs create tank/replica
zfs create tank/replica/data
zfs set readonly=on tank/replica
zfs create -o mountpoint=/srv/vm tank/vm
zfs create -V 16M tank/swap
for d in ${FILESYSTEMS.filter((d) => !d.startsWith("tank/replica"))}; do head -c 4096 /dev/urandom > "$(zfs get -H -o value mountpoint "$d")/data.bin"; done
zfs allow -u keeper hold,send tank/home
zfs allow -l -u mirror snapshot,mount tank/media
zfs allow -d -g staff userprop tank/media
zfs allow -s @backup hold,send tank
zfs allow -u keeper @backup tank/media
zfs set sharenfs=rw=@10.0.0.2/32,ro=@10.0.0.3/32,no_root_squash tank/media
printf '%s' ${SANOID_CONF} > ${SANOID}
printf '%s' ${SYNCOID_ARGS} > ${SYNCOID}`;

describe("importing a host laid out as no operator's (tank on off1)", () => {
  let first: Imported;
  let stack: TestStack;
  let before: string;
  const sums = new Map<string, Record<string, string>>();
  const guids = new Map<string, string>();

  beforeAll(async () => {
    await resetLab();
    await run("off1", BUILD, { timeoutMs: 600_000 });
    for (const d of FILESYSTEMS) {
      sums.set(d, await checksums("off1", d));
      guids.set(d, await guid("off1", d));
    }
    before = await hostState("off1", FILES);
  });
  afterAll(async () => {
    await stack?.dispose();
    await run("off1", "zpool destroy -f tank; rm -f /var/tmp/tank.img /etc/sanoid/tank-*.conf; userdel -r keeper; userdel -r mirror; groupdel staff; true", { allowFailure: true });
    await closeConnections();
  });

  it("reads it in one command over one connection and describes it, leaving alone what it cannot describe faithfully", async () => {
    first = await importHost("off1", ["--sanoid-conf", SANOID, "--syncoid-args", SYNCOID]);
    console.log(costLine("tank on off1", first.report));
    expect(first.report).toMatchObject({ commands: 1, connections: 1 });
    expect(writesOf(first.commands)).toEqual([]);
    const m = first.module;
    for (const line of [
      `{ key: "tank/home", name: "tank/home", guid: "${guids.get("tank/home")}", properties: { "com.example:tier": "gold", quota: "1073741824" } }`,
      `{ key: "tank/home/bob", name: "tank/home/bob", guid: "${guids.get("tank/home/bob")}", properties: { quota: "209715200" } }`,
      `{ key: "tank/media", name: "tank/media", guid: "${guids.get("tank/media")}", properties: { recordsize: "1048576" } }`,
      `{ key: "tank/replica", name: "tank/replica", guid: "${guids.get("tank/replica")}", properties: { readonly: "on" } }`,
      `{ key: "tank/vm", name: "tank/vm", guid: "${guids.get("tank/vm")}", properties: { mountpoint: "/srv/vm" } }`,
      `{ key: "keeper-tank/home", dataset: "tank/home", who: { user: "keeper" }, permissions: ["hold", "send"], scope: "both" }`,
      `{ key: "keeper-tank/media", dataset: "tank/media", who: { user: "keeper" }, permissions: ["@backup"], scope: "both" }`,
      `{ key: "mirror-tank/media-local", dataset: "tank/media", who: { user: "mirror" }, permissions: ["mount", "snapshot"], scope: "local" }`,
      `{ key: "group-staff-tank/media-descendent", dataset: "tank/media", who: { group: "staff" }, permissions: ["userprop"], scope: "descendent" }`,
      `{ key: "tank/media", dataset: "tank/media", templates: ["daily", "scratch"], recursive: "zfs", settings: { hourly: "12" } }`,
      `{ key: "tank/replica/data", source: { user: "mirror", host: "off2.openfoodfacts.org", dataset: "zfs-hdd/media" }, target: "tank/replica/data", flags: ["--no-privilege-elevation", "--recursive"], enabled: true }`,
      `{ key: "tank/replica/photos", source: { user: "mirror", host: "10.0.0.3", dataset: "rpool/photos" }, target: "tank/replica/photos", flags: ["--no-sync-snap", "--recursive"], enabled: false }`,
      `{ key: "root@backup.example.org:vault/home", source: { dataset: "tank/home" }, target: "root@backup.example.org:vault/home", flags: ["--no-sync-snap"], enabled: true }`,
      `{ key: "tank/media", dataset: "tank/media", clients: [{ address: "10.0.0.2/32", access: "rw" }, { address: "10.0.0.3/32", access: "ro" }], options: ["no_root_squash"], allowEveryone: false }`,
    ]) {
      expect(m).toContain(line);
    }
    // The files are not at the defaults: the header says which host config keys the stack needs (set below).
    expect(m).toContain(`//   pulumi config set --path zfs-fleet:hosts.off1.sanoidConf ${SANOID}\n`);
    expect(m).toContain(`//   pulumi config set --path zfs-fleet:hosts.off1.syncoidArgs ${SYNCOID}\n`);
    for (const left of [
      /pool tank's root .*set on it atime=off, compression=zstd, mountpoint=\/srv\/tank/,
      /volume tank\/swap: a Dataset is a filesystem/,
      /zfs allow tank: the permission set @backup \(hold,send\)/,
      /\[tank\/vm\] \(line 21\): settings\.daily: .*contains # or ;/,
      /syncoid-args\.conf line 5: the resource would write it differently/,
    ]) {
      expect(m).toMatch(left);
    }
  });

  it("the first up of the written program changes nothing on the host, and the next preview is empty", async () => {
    stack = await importedStack("import-tank", "off1", first.module);
    await stack.setConfig("zfs-fleet:hosts.off1.sanoidConf", SANOID);
    await stack.setConfig("zfs-fleet:hosts.off1.syncoidArgs", SYNCOID);
    stack.takeCommands();
    await stack.up();
    expect(writesOf(stack.takeCommands())).toEqual([]);
    expect(await hostState("off1", FILES)).toBe(before);
    const preview = JSON.parse(await stack.pulumi("preview", "--json", "--expect-no-changes"));
    expect(Object.keys(preview.changeSummary)).toEqual(["same"]);
  });

  it("renaming a dataset in the module moves it with its children, grants, section and share: updates only, same guids, files kept", async () => {
    const renamed = first.module.replace(/name: "tank\/media(?=["/])/g, 'name: "tank/pictures');
    replaceModule(stack, renamed);
    const preview = JSON.parse(await stack.pulumi("preview", "--json"));
    const ops = new Set((preview.steps as { op: string }[]).map((s) => s.op));
    expect([...ops].sort()).toEqual(["same", "update"]);
    await stack.up();
    for (const d of FILESYSTEMS.filter((x) => x.startsWith("tank/media"))) {
      const now = d.replace("tank/media", "tank/pictures");
      expect(await guid("off1", now)).toBe(guids.get(d));
      expect(await checksums("off1", now)).toEqual(sums.get(d));
    }
    expect(await out("off1", sh`cat ${SANOID}`)).toBe(SANOID_CONF.replace("[tank/media]", "[tank/pictures]"));
    expect(await out("off1", sh`cat ${SYNCOID}`)).toBe(SYNCOID_ARGS);
    expect(parseAllow(await out("off1", "zfs allow tank/pictures"), "tank/pictures").grants).toEqual({
      "user mirror": { local: ["mount", "snapshot"], descendent: [] },
      "group staff": { local: [], descendent: ["userprop"] },
      "user keeper": { local: ["@backup"], descendent: ["@backup"] },
    });
    expect(await out("off1", "zfs get -H -o value,source sharenfs tank/pictures")).toBe("rw=@10.0.0.2/32,ro=@10.0.0.3/32,no_root_squash\tlocal\n");
    const exported = await out("off1", "exportfs -v");
    expect(exported).toContain("/srv/tank/pictures");
    expect(exported).not.toContain("/srv/tank/media");
    const again = JSON.parse(await stack.pulumi("preview", "--json", "--expect-no-changes"));
    expect(Object.keys(again.changeSummary)).toEqual(["same"]);
  });

  it("an import after the rename, given the module, keeps every key, and its program previews no change", async () => {
    const edited = first.module.replace(/name: "tank\/media(?=["/])/g, 'name: "tank/pictures');
    writeFileSync(join(first.dir, "edited.ts"), edited);
    const next = await importHost("off1", ["--sanoid-conf", SANOID, "--syncoid-args", SYNCOID, "--previous", join(first.dir, "edited.ts")]);
    const keysOf = (m: string) => [...m.matchAll(/\{ key: ("(?:[^"\\]|\\.)*")/g)].map((x) => JSON.parse(x[1]) as string).sort();
    expect(keysOf(next.module)).toEqual(keysOf(edited));
    expect(next.module).toContain(`{ key: "tank/media/photos", name: "tank/pictures/photos", guid: "${guids.get("tank/media/photos")}", properties: {} }`);
    replaceModule(stack, next.module);
    const preview = JSON.parse(await stack.pulumi("preview", "--json", "--expect-no-changes"));
    expect(Object.keys(preview.changeSummary)).toEqual(["same"]);
  });
});
