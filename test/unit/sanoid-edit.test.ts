// sanoid.conf (provider/sanoid/conf.ts) on small files: how lines are read,
// each branch of the editor (style, endings, renames, duplicates, removal),
// and each rule of a key and a section name on its edges. sanoid.test.ts has
// the operators' files.
import { describe, expect, it } from "vitest";
import {
  ConfEditError,
  describeDuplicate,
  duplicates,
  keyProblem,
  parseIni,
  removeSection,
  sectionDatasetProblem,
  setSection,
  settingsOf,
  templateNameProblem,
  validateConf,
} from "../../provider/sanoid/conf";

describe("reading", () => {
  it("headers (spaces around and inside), keys (spaces around =, values with spaces), comments (# and ;), blanks and garbage", () => {
    const doc = parseIni(" [ a/b ] \n  k1 = v one  \nk2=v2\n# c\n  ; c2\n\n[c]\ngarbage line\nk3 =\n");
    expect(doc.sections.map((s) => [s.name, s.header, s.end, s.keys.map((k) => [k.key, k.value, k.index])])).toEqual([
      ["a/b", 0, 6, [["k1", "v one", 1], ["k2", "v2", 2]]],
      ["c", 6, 9, [["k3", "", 8]]],
    ]);
    expect(doc.garbage).toEqual([7]);
  });
  it("a key before any section is garbage; an empty file has no lines", () => {
    expect(parseIni("k = v\n[a]\n").garbage).toEqual([0]);
    expect(parseIni("")).toEqual({ lines: [], sections: [], garbage: [] });
    expect(parseIni("=v\n[a]\n= v\n").garbage).toEqual([0, 2]);
  });
  it("the first value of a key wins, across the copies of a section; a missing section has no settings", () => {
    const doc = parseIni("[a]\nk = 1\nk = 2\n[b]\nx = 1\n[a]\nk = 3\nm = 4\n");
    expect(settingsOf(doc, "a")).toEqual({ k: "1", m: "4" });
    expect(settingsOf(doc, "b")).toEqual({ x: "1" });
    expect(settingsOf(doc, "c")).toBeUndefined();
    expect(settingsOf(parseIni("[e]\n"), "e")).toEqual({});
  });
  it("duplicates: each section named more than once, by its headers' line numbers", () => {
    expect(duplicates(parseIni("[a]\n[b]\n[a]\n[a]\n[b]\n[c]\n"))).toEqual([
      { name: "a", lines: [1, 3, 4] },
      { name: "b", lines: [2, 5] },
    ]);
    expect(describeDuplicate({ name: "a", lines: [1, 3] }, "x.conf")).toBe(
      "[a] appears 2 times in x.conf (lines 1, 3); sanoid merges them and the first value of each key wins",
    );
  });
  it("validates: garbage and unknown keys by line, the version section exempt", () => {
    expect(validateConf("[version]\n  whatever = 1\n[a]\n  hourly = 1\n  nope = 2\njunk\n")).toEqual([
      'line 6: "junk" is not a section, a comment or key = value',
      "line 5: [a] nope is not a sanoid setting",
    ]);
  });
});

describe("setting a section", () => {
  it("a new key takes the style of the section's first key (indent and separator)", () => {
    expect(setSection("[a]\n\tk1\t=\t1\n", "a", [["k1", "1"], ["k2", "2"]])).toBe("[a]\n\tk1\t=\t1\n\tk2\t=\t2\n");
    expect(setSection("[a]\nk1=1\n", "a", [["k1", "1"], ["k2", "2"]])).toBe("[a]\nk1=1\nk2=2\n");
  });
  it("a section without keys gets them after its header, in the default style", () => {
    expect(setSection("[a]\n[b]\n", "a", [["k", "1"]])).toBe("[a]\n  k = 1\n[b]\n");
    expect(setSection("[a]", "a", [["k", "1"]])).toBe("[a]\n  k = 1\n");
  });
  it("a changed value keeps the key's spacing and the line's ending; an unchanged line is left as it is", () => {
    expect(setSection("[a]\r\n  k  =  1\r\n  j = 2   \r\n", "a", [["k", "3"], ["j", "2"]])).toBe("[a]\r\n  k  =  3\r\n  j = 2   \r\n");
  });
  it("a key listed twice in the section keeps its first line", () => {
    expect(setSection("[a]\nk = 1\nk = 2\n", "a", [["k", "3"]])).toBe("[a]\nk = 3\n");
  });
  it("the last key of a file without a final newline gets one when keys follow it", () => {
    expect(setSection("[a]\nk = 1", "a", [["k", "1"], ["j", "2"]])).toBe("[a]\nk = 1\nj = 2\n");
  });
  it("appends a missing section after a blank line, with the file's line ending", () => {
    expect(setSection("[a]\r\nk = 1\r\n", "b", [["j", "2"]])).toBe("[a]\r\nk = 1\r\n\r\n[b]\r\n  j = 2\r\n");
    expect(setSection("[a]\nk = 1\n\n", "b", [["j", "2"]])).toBe("[a]\nk = 1\n\n[b]\n  j = 2\n");
    expect(setSection("[a]\n", "b", [])).toBe("[a]\n\n[b]\n");
  });
  it("renames a header in place, keeping its spacing and ending", () => {
    expect(setSection(" [old] \r\nk = 1\r\n", "new", [["k", "1"]], { renameFrom: "old" })).toBe(" [new] \r\nk = 1\r\n");
    expect(setSection("[x]\n", "new", [["k", "1"]], { renameFrom: "gone" })).toBe("[x]\n\n[new]\n  k = 1\n");
    expect(setSection("[new]\nk = 1\n", "new", [["k", "2"]], { renameFrom: "new" })).toBe("[new]\nk = 2\n");
  });
  it("refuses a rename onto an existing section, naming its line", () => {
    expect(() => setSection("[a]\n[b]\n", "b", [], { renameFrom: "a" })).toThrow(ConfEditError);
    expect(() => setSection("[a]\n[b]\n", "b", [], { renameFrom: "a" })).toThrow(/\[b\] is already in the file \(line 2\)/);
  });
  it("refuses a duplicated section, also one being renamed, unless told to merge", () => {
    expect(() => setSection("[a]\n[a]\n", "a", [])).toThrow(ConfEditError);
    expect(() => setSection("[old]\n[old]\n", "new", [], { renameFrom: "old" })).toThrow(/\[old\] appears 2 times/);
    expect(setSection("[x]\n", "x", [["k", "1"]])).toBe("[x]\n  k = 1\n");
  });
  it("merging folds the later copies into the first, the first value winning, then applies the entries", () => {
    const before = "[a]\n  k = 1\n# mid\n[b]\n  z = 9\n[a]\n  k = 2\n  j = 3\n[a]\n  m = 4";
    expect(setSection(before, "a", [["k", "1"], ["j", "3"], ["m", "4"]], { resolveDuplicates: true })).toBe("[a]\n  k = 1\n  j = 3\n  m = 4\n# mid\n[b]\n  z = 9\n");
    expect(setSection("[a]\n[a]\n  k = 2\n", "a", [["k", "2"]], { resolveDuplicates: true })).toBe("[a]\n  k = 2\n");
  });
});

describe("removing a section", () => {
  it("takes its header and keys, and the blank line before it when it was last or followed by a blank", () => {
    expect(removeSection("[a]\nk = 1\n\n[b]\nj = 2\n", "b")).toBe("[a]\nk = 1\n");
    expect(removeSection("[a]\nk = 1\n\n[b]\nj = 2\n\n[c]\n", "b")).toBe("[a]\nk = 1\n\n[c]\n");
    expect(removeSection("[a]\nk = 1\n\n[b]\nj = 2\n# about c\n[c]\n", "b")).toBe("[a]\nk = 1\n\n# about c\n[c]\n");
    expect(removeSection("[b]\nj = 2\n[c]\n", "b")).toBe("[c]\n");
  });
  it("takes every copy of a duplicated section, and leaves a file without it as it is", () => {
    expect(removeSection("[b]\n[a]\n[b]\nk = 1\n", "b")).toBe("[a]\n");
    expect(removeSection("[a]\n", "b")).toBe("[a]\n");
    expect(removeSection("\n[b]\n", "b")).toBe("");
  });
});

describe("keys and names, on the edges of each rule", () => {
  it.each([
    ["hourly", "999999", false, undefined],
    ["hourly", "1000000", false, "cannot be"],
    ["hourly_min", "59", false, undefined],
    ["hourly_min", "100", false, "cannot be"],
    ["autoprune", "1", false, undefined],
    ["monitor", "maybe", false, "cannot be"],
    ["daily_warn", "48h", false, undefined],
    ["daily_crit", "2x", false, "cannot be"],
    ["capacity_warn", "80", false, undefined],
    ["capacity_crit", "1000", false, "cannot be"],
    ["pruning_script", "/usr/bin/x", false, undefined],
    ["path", "/a:b", false, undefined],
    ["use_template", "a,b", false, undefined],
    ["use_template", "a,", false, "cannot be"],
    ["use_template", "x", true, "ignored by sanoid inside a template"],
    ["process_children_only", "yes", true, "ignored by sanoid inside a template"],
    ["hourly", "1", true, undefined],
    ["hourly", "1;2", false, "contains # or ;"],
    ["hourly", "1\r", false, "one line"],
    ["hourly", 1, false, "must be a string"],
  ] as const)("%s = %j (template %s)", (k, v, t, why) => {
    const p = keyProblem(k, v as never, t);
    if (why === undefined) expect(p).toBeUndefined();
    else expect(p).toContain(why);
  });
  it("names the key and the value refused", () => {
    expect(keyProblem("nope", "1", false)).toContain('"nope" is not a sanoid setting');
    expect(keyProblem("hourly", "many", false)).toBe('hourly cannot be "many"');
  });
  it.each([
    ["a/b", undefined],
    ["template_", "starts with template_"],
    ["a/b=c", "breaks sanoid.conf"],
    ["a/[b", "breaks sanoid.conf"],
    ["a/b;c", "breaks sanoid.conf"],
    ["a/b\tc", "breaks sanoid.conf"],
    ["1a/b", "must start with a letter"],
  ])("section %j", (name, why) => {
    const p = sectionDatasetProblem(name);
    if (why === undefined) expect(p).toBeUndefined();
    else expect(p).toContain(why);
    if (why === "breaks sanoid.conf") expect(p?.startsWith(JSON.stringify(name))).toBe(true);
  });
  it.each([
    ["synced_sys", undefined],
    ["a-b_C9", undefined],
    ["a".repeat(64), undefined],
    ["a".repeat(65), "is not a template name"],
    ["", "is not a template name"],
    ["a b", "is not a template name"],
    ["a.b", "is not a template name"],
  ])("template %j", (name, why) => {
    const p = templateNameProblem(name);
    if (why === undefined) expect(p).toBeUndefined();
    else expect(p).toBe(`"${name}" ${why} (letters, digits, _ and -)`);
  });
});

describe("sanoid.conf, odd but possible", () => {
  it("a line of blanks is blank, not garbage", () => {
    expect(validateConf("[a]\n   \n\t\n  hourly = 1\n")).toEqual([]);
    expect(parseIni("[a]\n   \n").garbage).toEqual([]);
  });
  it("an appended section is not separated twice from a last line of blanks", () => {
    expect(setSection("[a]\n  \n", "b", [["k", "1"]])).toBe("[a]\n  \n[b]\n  k = 1\n");
  });
  it("a blank line of spaces before a removed section goes with it", () => {
    expect(removeSection("[a]\nk = 1\n  \n[b]\nj = 2\n", "b")).toBe("[a]\nk = 1\n");
    expect(removeSection("[a]\nk = 1\n\n[b]\nj = 2\n \t\n[c]\n", "b")).toBe("[a]\nk = 1\n \t\n[c]\n");
  });
  it("merging keeps the later copies' lines as they were written, after the first copy's keys", () => {
    expect(setSection("[a]\n  k = 1\n[a]\n\tj\t=\t3\n", "a", [["k", "1"], ["j", "3"]], { resolveDuplicates: true })).toBe("[a]\n  k = 1\n\tj\t=\t3\n");
    expect(setSection("[a]\n[b]\n[a]\nj=3", "a", [["j", "3"]], { resolveDuplicates: true })).toBe("[a]\nj=3\n[b]\n");
  });
  it("its refusals are ConfEditErrors by name", () => {
    try {
      setSection("[a]\n[a]\n", "a", []);
      expect.unreachable();
    } catch (e) {
      expect((e as Error).name).toBe("ConfEditError");
    }
  });
});
