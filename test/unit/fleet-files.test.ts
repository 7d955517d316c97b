// The fleet description against the operators' own files (the lab's legacy
// seed), with the editors the providers use (pure): adopting the legacy
// layout must leave sanoid.conf and syncoid-args.conf byte for byte as they
// are, and the restructure must end with the files an operator expects.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeDuplicate, duplicates, parseIni, setSection, settingsOf } from "../../provider/sanoid/conf";
import { entriesOf } from "../../provider/sanoid/provider";
import { duplicateTargets, parseArgs, removePull, setPull } from "../../provider/syncoid/args";
import {
  HOSTS,
  type HostName,
  type Layout,
  PUSHES,
  policiesOf,
  policyArgs,
  pullArgs,
  pullsOf,
  templatesOf,
} from "../../stacks/fleet";

const seed = (host: HostName, file: string): string => readFileSync(join(__dirname, "../../lab/seed/legacy", host, file), "utf8");

/** sanoid.conf after every template and policy of the layout is applied, renames from the legacy layout included. */
function sanoidAfter(host: HostName, layout: Layout, content = seed(host, "sanoid.conf")): string {
  for (const [name, settings] of Object.entries(templatesOf(host))) {
    content = setSection(content, `template_${name}`, entriesOf({ host, template: name, settings }));
  }
  const legacy = new Map(policiesOf(host, "legacy").map((p) => [p.dataset, policyArgs(host, p, "legacy").dataset]));
  for (const p of policiesOf(host, layout)) {
    const args = { host, ...policyArgs(host, p, layout) };
    content = setSection(content, args.dataset, entriesOf(args), { renameFrom: legacy.get(p.dataset), resolveDuplicates: args.resolveDuplicates });
  }
  return content;
}

/** syncoid-args.conf after every pull of the layout is applied (and, for `current`, the legacy pushes removed). */
function syncoidAfter(host: HostName, layout: Layout, content = seed(host, "syncoid-args.conf")): string {
  const legacy = new Map(pullsOf(host, "legacy").map((p) => [p.key, pullArgs(host, p, "legacy").target]));
  for (const p of pullsOf(host, layout)) {
    const a = pullArgs(host, p, layout);
    content = setPull(content, { flags: a.flags, source: a.source, target: a.target, enabled: a.enabled }, {
      previousTarget: legacy.get(p.key),
      resolveDuplicates: a.resolveDuplicates,
    });
  }
  for (const p of PUSHES[host]) {
    content = layout === "legacy" ? setPull(content, { flags: p.flags, source: { dataset: p.source }, target: p.target, enabled: true }) : removePull(content, p.target);
  }
  return content;
}

const comments = (text: string): string[] => text.split("\n").filter((l) => l.startsWith("#") && !/^#-/.test(l));

describe("adopting the legacy fleet changes no file", () => {
  it.each(HOSTS)("%s: sanoid.conf stays byte for byte", (host) => {
    expect(sanoidAfter(host, "legacy")).toBe(seed(host, "sanoid.conf"));
  });
  it.each(HOSTS)("%s: syncoid-args.conf stays byte for byte", (host) => {
    expect(syncoidAfter(host, "legacy")).toBe(seed(host, "syncoid-args.conf"));
  });
});

describe("the restructure, as the files show it", () => {
  it.each(HOSTS)("%s: sanoid.conf has no duplicated section and keeps every comment", (host) => {
    const after = sanoidAfter(host, "current");
    expect(duplicates(parseIni(after)).map((d) => describeDuplicate(d))).toEqual([]);
    for (const c of comments(seed(host, "sanoid.conf"))) expect(after).toContain(c);
    // Applying it again changes nothing (the second preview is empty).
    expect(sanoidAfter(host, "current", after)).toBe(after);
  });

  it("off1: the replicas of off2's backups get their own section, and the local backups' policy no longer carries process_children_only", () => {
    const doc = parseIni(sanoidAfter("off1", "current"));
    expect(settingsOf(doc, "zfs-hdd/backups")).toEqual({ use_template: "local_sys", recursive: "yes" });
    expect(settingsOf(doc, "zfs-hdd/off-backups")).toEqual({ use_template: "synced_sys", recursive: "yes", process_children_only: "yes" });
  });

  it("the backups' sections move with their datasets on off2 and ovh3", () => {
    const off2 = parseIni(sanoidAfter("off2", "current"));
    expect(settingsOf(off2, "zfs-hdd/off-backups/off1-pve")).toEqual({ use_template: "synced_sys", recursive: "yes" });
    expect(settingsOf(off2, "zfs-hdd/backups/off1-pve")).toBeUndefined();
    const ovh3 = parseIni(sanoidAfter("ovh3", "current"));
    expect(settingsOf(ovh3, "rpool/off-backups/off2-pve")).toEqual({ use_template: "synced_sys", recursive: "yes" });
    expect(settingsOf(ovh3, "rpool/backups/robotoff")).toEqual({ use_template: "local_data", recursive: "no" });
  });

  it.each(HOSTS)("%s: syncoid-args.conf pulls each target once, pushes nothing, and keeps every comment", (host) => {
    const after = syncoidAfter(host, "current");
    const lines = parseArgs(after);
    expect(duplicateTargets(lines)).toEqual([]);
    for (const l of lines) if (l.pull?.enabled) expect(l.pull.target, l.raw).not.toContain(":");
    for (const c of comments(seed(host, "syncoid-args.conf"))) expect(after).toContain(c);
    expect(syncoidAfter(host, "current", after)).toBe(after);
  });

  it("ovh3 pulls off2's data as ovh3operator, active, and the backups into off-backups", () => {
    const enabled = parseArgs(syncoidAfter("ovh3", "current")).filter((l) => l.pull?.enabled).map((l) => l.raw.trim());
    expect(enabled).toContain("--no-sync-snap --no-privilege-elevation --recursive ovh3operator@off2.openfoodfacts.org:zfs-hdd/off rpool/off");
    expect(enabled).toContain("--no-sync-snap --no-privilege-elevation --recursive ovh3operator@off2.openfoodfacts.org:zfs-hdd/pve rpool/off-backups/off2-pve");
    expect(enabled).toContain("--no-sync-snap --no-privilege-elevation --recursive ovh3operator@off1.openfoodfacts.org:rpool rpool/off-backups/off1-rpool");
    expect(enabled.filter((l) => l.includes(" rpool/backups/"))).toEqual([]);
  });

  it("off1's opf pull gets its own target (the legacy line wrote into zfs-hdd/obf)", () => {
    const pulls = parseArgs(syncoidAfter("off1", "current")).filter((l) => l.pull).map((l) => l.raw.trim());
    expect(pulls).toContain("--no-sync-snap --no-privilege-elevation --recursive off1operator@10.0.0.2:zfs-hdd/opf zfs-hdd/opf");
    expect(pulls.filter((l) => l.endsWith(" zfs-hdd/obf"))).toEqual(["--no-sync-snap --no-privilege-elevation --recursive off1operator@10.0.0.2:zfs-hdd/obf zfs-hdd/obf"]);
  });
});
