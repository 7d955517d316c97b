import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  duplicates,
  keyProblem,
  parseIni,
  removeSection,
  sectionDatasetProblem,
  setSection,
  settingsOf,
  validateConf,
} from "../../provider/sanoid/conf";

// The operators' off1 file as the lab seeds it (with its duplicated [zfs-hdd/backups]).
const OFF1 = readFileSync(join(__dirname, "..", "..", "lab", "seed", "legacy", "off1", "sanoid.conf"), "utf8");
const OFF2 = readFileSync(join(__dirname, "..", "..", "lab", "seed", "legacy", "off2", "sanoid.conf"), "utf8");

/** Lines of `after` that are not in `before`, and lines of `before` gone from `after` (multiset). */
function lineDiff(before: string, after: string): { added: string[]; removed: string[] } {
  const count = (t: string) => t.split("\n").reduce((m, l) => m.set(l, (m.get(l) ?? 0) + 1), new Map<string, number>());
  const b = count(before);
  const a = count(after);
  const added: string[] = [];
  const removed: string[] = [];
  for (const [l, n] of a) for (let i = n - (b.get(l) ?? 0); i > 0; i--) added.push(l);
  for (const [l, n] of b) for (let i = n - (a.get(l) ?? 0); i > 0; i--) removed.push(l);
  return { added, removed };
}

describe("reading sanoid.conf", () => {
  it("gives the file back byte for byte", () => {
    expect(parseIni(OFF1).lines.join("")).toBe(OFF1);
    expect(parseIni("a\r\n[x]\r\nk=v").lines.join("")).toBe("a\r\n[x]\r\nk=v");
  });

  it("finds the off1 duplicate that turns snapshots on for a replication target", () => {
    const doc = parseIni(OFF1);
    expect(duplicates(doc)).toEqual([{ name: "zfs-hdd/backups", lines: [20, 54] }]);
    // sanoid's reading: the first value wins, so the local (autosnap) template applies.
    expect(settingsOf(doc, "zfs-hdd/backups")).toEqual({ use_template: "local_sys", recursive: "yes", process_children_only: "yes" });
  });

  it("accepts the operators' files as valid", () => {
    expect(validateConf(OFF1)).toEqual([]);
    expect(validateConf(OFF2)).toEqual([]);
    expect(validateConf("[x]\n  frobnicate = 1\n")).toEqual(["line 2: [x] frobnicate is not a sanoid setting"]);
    expect(validateConf("[x]\ngarbage\n")[0]).toMatch(/line 2: "garbage" is not a section/);
  });
});

describe("editing one section, keeping every other line", () => {
  it("adding a policy appends a section and changes nothing else", () => {
    const after = setSection(OFF2, "zfs-hdd/off-backups", [
      ["use_template", "synced_sys"],
      ["recursive", "yes"],
      ["process_children_only", "yes"],
    ]);
    expect(after.startsWith(OFF2)).toBe(true);
    expect(after.slice(OFF2.length)).toBe("\n[zfs-hdd/off-backups]\n  use_template = synced_sys\n  recursive = yes\n  process_children_only = yes\n");
    expect(duplicates(parseIni(after))).toEqual([]);
  });

  it("changing a value rewrites only that line, in the line's own style", () => {
    const before = "# no_sanoid_checks:zfs-hdd:\n[zfs-hdd/off]\n  use_template=local_data\n  # keep it\n  recursive=yes\n\n[template_x]\n  hourly = 1\n";
    const after = setSection(before, "zfs-hdd/off", [
      ["use_template", "synced_data"],
      ["recursive", "yes"],
    ]);
    expect(after).toBe(before.replace("use_template=local_data", "use_template=synced_data"));
  });

  it("removes keys no longer wanted and adds new ones after the section's last key, comments untouched", () => {
    const before = "[a]\n  use_template=x\n  # why\n  recursive=yes\n\n# about b\n[b]\n  hourly = 1\n";
    const after = setSection(before, "a", [
      ["use_template", "x"],
      ["process_children_only", "yes"],
    ]);
    expect(after).toBe("[a]\n  use_template=x\n  # why\n  process_children_only=yes\n\n# about b\n[b]\n  hourly = 1\n");
  });

  it("removing a policy takes its header and keys, and leaves the comments of the others", () => {
    const added = setSection(OFF2, "zfs-hdd/off-backups", [["use_template", "synced_sys"]]);
    expect(removeSection(added, "zfs-hdd/off-backups")).toBe(OFF2);
    const { added: plus, removed } = lineDiff(OFF1, removeSection(OFF1, "zfs-hdd/obf"));
    expect(plus).toEqual([]);
    expect(removed.sort()).toEqual(["", "  recursive=yes", "  use_template=synced_data", "[zfs-hdd/obf]"]);
  });

  it("a renamed dataset's header is renamed in place", () => {
    const after = setSection(OFF1, "zfs-hdd/off-backups/off2-pve", [["use_template", "local_sys"], ["recursive", "yes"]], { renameFrom: "zfs-hdd/pve" });
    expect(lineDiff(OFF1, after)).toEqual({ added: ["[zfs-hdd/off-backups/off2-pve]"], removed: ["[zfs-hdd/pve]"] });
    expect(after.indexOf("[zfs-hdd/off-backups/off2-pve]")).toBe(OFF1.indexOf("[zfs-hdd/pve]"));
  });

  it("refuses a rename onto a section that already exists", () => {
    expect(() => setSection(OFF1, "zfs-hdd/off", [["use_template", "x"]], { renameFrom: "zfs-hdd/opf" })).toThrow(/already in the file.*duplicate/);
  });

  it("refuses to edit a duplicated section, naming its lines, unless told to merge it", () => {
    expect(() => setSection(OFF1, "zfs-hdd/backups", [["use_template", "synced_sys"]])).toThrow(
      /\[zfs-hdd\/backups\] appears 2 times in sanoid.conf \(lines 20, 54\).*first value of each key wins.*resolveDuplicates/,
    );
    const fixed = setSection(OFF1, "zfs-hdd/backups", [["use_template", "synced_sys"], ["recursive", "yes"], ["process_children_only", "yes"]], {
      resolveDuplicates: true,
    });
    const doc = parseIni(fixed);
    expect(duplicates(doc)).toEqual([]);
    expect(settingsOf(doc, "zfs-hdd/backups")).toEqual({ use_template: "synced_sys", recursive: "yes", process_children_only: "yes" });
    expect(fixed).toContain("# no_sanoid_checks:zfs-hdd:zfs-hdd/backups:zfs-nvme\n");
    expect(fixed).toContain("# off2 backups, pulled from off2\n");
  });

  it("never creates a duplicate, however often it is applied", () => {
    let text = OFF2;
    for (let i = 0; i < 3; i++) text = setSection(text, "zfs-hdd/x", [["use_template", "local_data"]]);
    expect(duplicates(parseIni(text))).toEqual([]);
    expect(text.match(/\[zfs-hdd\/x\]/g)).toHaveLength(1);
  });

  it("a file without a final newline, an empty file, CRLF endings", () => {
    expect(setSection("[a]\n  k = v", "b", [["hourly", "1"]])).toBe("[a]\n  k = v\n\n[b]\n  hourly = 1\n");
    expect(setSection("", "b", [["hourly", "1"]])).toBe("[b]\n  hourly = 1\n");
    expect(setSection("[a]\r\n  hourly=1\r\n", "a", [["hourly", "2"], ["daily", "3"]])).toBe("[a]\r\n  hourly=2\r\n  daily=3\r\n");
  });
});

describe("keys and values sanoid knows", () => {
  it.each([
    ["use_template", "local_data,extra"],
    ["recursive", "zfs"],
    ["process_children_only", "yes"],
    ["hourly", "36"],
    ["frequent_period", "30"],
    ["autosnap", "no"],
    ["post_snapshot_script", "/usr/local/bin/after-snap.sh"],
    ["hourly_warn", "90m"],
  ])("accepts %s = %s", (k, v) => expect(keyProblem(k, v, false)).toBeUndefined());

  it.each([
    ["frobnicate", "1", false, /not a sanoid setting/],
    ["hourly", "36 # comment", false, /contains # or ;/],
    ["hourly", "lots", false, /cannot be "lots"/],
    ["recursive", "maybe", false, /cannot be "maybe"/],
    ["hourly", "1\n[evil]", false, /one line/],
    ["post_snapshot_script", "rm -rf /", false, /cannot be/],
    ["recursive", "yes", true, /ignored by sanoid inside a template/],
    ["use_template", "a b", false, /cannot be/],
  ] as const)("refuses %s = %j (template: %s)", (k, v, t, why) => expect(keyProblem(k, v, t)).toMatch(why));

  it.each([
    ["zfs-hdd/off", undefined],
    ["rpool", undefined],
    ["template_x", /template_/],
    ["zfs-hdd/off]\n[x", /breaks sanoid.conf/],
    ["zfs-hdd/a b", /breaks/],
    ["zfs-hdd//x", /not a ZFS dataset name/],
    ["", /empty/],
  ])("section name %j", (n, why) => {
    if (why) expect(sectionDatasetProblem(n)).toMatch(why);
    else expect(sectionDatasetProblem(n)).toBeUndefined();
  });
});
