// syncoid-args.conf (provider/syncoid/args.ts) line by line: endpoints both
// ways, what counts as a (paused) pull, the editor's line endings and
// refusals, and each flag rule on its edges. syncoid.test.ts has the
// operators' file.
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { describe, expect, it } from "vitest";
import {
  ArgsEditError,
  duplicateTargets,
  endpointProblem,
  flagProblem,
  lineProblems,
  linesFor,
  parseArgs,
  parseEndpoint,
  parsePullLine,
  removePull,
  renderEndpoint,
  renderPull,
  setPull,
} from "../../provider/syncoid/args";

const pull = { flags: ["--no-sync-snap"], source: { user: "op", host: "off2.example", dataset: "zfs-hdd/off" }, target: "rpool/off", enabled: true };
const LINE = "--no-sync-snap op@off2.example:zfs-hdd/off rpool/off";

describe("endpoints", () => {
  it.each([
    ["op@off2.example:zfs-hdd/off", { user: "op", host: "off2.example", dataset: "zfs-hdd/off" }],
    ["off2:zfs-hdd/off", { host: "off2", dataset: "zfs-hdd/off" }],
    ["zfs-hdd/off", { dataset: "zfs-hdd/off" }],
    ["rpool", { dataset: "rpool" }],
  ])("%s reads as %j and is written back the same", (word, endpoint) => {
    // Strictly: a part the word lacks is no key at all, since read() hands the endpoint to the engine,
    // whose encoding (a protobuf Struct) refuses an undefined value ("Unexpected struct type").
    expect(parseEndpoint(word)).toStrictEqual(endpoint);
    expect(() => Struct.fromJavaScript({ source: parseEndpoint(word) } as never)).not.toThrow();
    expect(renderEndpoint(endpoint)).toBe(word);
  });
  it("a user without a host is written as the dataset alone", () => {
    expect(renderEndpoint({ user: "op", dataset: "a/b" })).toBe("a/b");
  });
  it("an empty word is no endpoint", () => {
    expect(parseEndpoint("")).toEqual({ dataset: "" });
  });
  it.each([
    [{ user: "op", host: "off2", dataset: "a/b" }, undefined],
    [{ host: "off2", dataset: "rpool" }, undefined],
    [{ user: "Op", host: "off2", dataset: "a/b" }, 'source user "Op" is not a Unix user name'],
    [{ host: "off_2", dataset: "a/b" }, 'source host "off_2" is not a host name'],
    [{ user: "op", dataset: "a/b" }, "source has a user but no host"],
    [{ dataset: "a b" }, 'source dataset "a b" contains white space or \'#\''],
    [{ dataset: "a/b#c" }, 'source dataset "a/b#c" contains white space or \'#\''],
    [{ dataset: "a/$b" }, 'source dataset "a/$b" contains'],
    [{ dataset: 3 }, "source dataset"],
  ])("endpoint %j", (e, why) => {
    const p = endpointProblem(e as never, "source");
    if (why === undefined) expect(p).toBeUndefined();
    else expect(p?.startsWith(why)).toBe(true);
    expect(endpointProblem(e as never, "target")?.startsWith("target") ?? true).toBe(true);
  });
});

describe("what a line is", () => {
  it("a pull: flags, source, target, with its line ending or not", () => {
    expect(parsePullLine(`${LINE}\r\n`)).toEqual(pull);
    expect(parsePullLine(LINE)).toEqual(pull);
    expect(parsePullLine(`  ${LINE}  `)).toEqual(pull);
  });
  it("a paused pull: # in column 0, with or without a space, one or more", () => {
    for (const text of [`#${LINE}`, `# ${LINE}`, `##${LINE}`]) expect(parsePullLine(text), text).toEqual({ ...pull, enabled: false });
  });
  it("not a pull: fewer than two words, a source or target that is a flag", () => {
    for (const text of ["", "rpool/off", "   ", "-r rpool/off", "rpool/a -r", "--no-sync-snap -r"]) expect(parsePullLine(text), text).toBeUndefined();
  });
  it("a comment is a paused pull only when it reads as one", () => {
    for (const text of [
      "# pull from rpool/x",
      "# some words a/b",
      "#--no-sync-snap op@off2:zfs-hdd/off rpool",
      "#--no-sync-snap op@off2:zfs-hdd/off rpool/a@b",
      "#--no-sync-snap op@off_2:zfs-hdd/off rpool/off",
      "#no-dash op@off2:zfs-hdd/off rpool/off",
    ]) {
      expect(parsePullLine(text), text).toBeUndefined();
    }
    expect(parsePullLine("#-r off2:zfs-hdd/off rpool/off")).toMatchObject({ enabled: false, flags: ["-r"] });
    // Two words that read as a source (a pool) and a target: a paused pull the operators wrote as prose would be one too.
    expect(parsePullLine("# pull rpool/x")).toMatchObject({ enabled: false, source: { dataset: "pull" }, target: "rpool/x" });
  });
  it("an enabled line is a pull whatever its words, as the service runs it", () => {
    expect(parsePullLine("weird op@off_2:x y")).toEqual({ flags: ["weird"], source: { user: "op", host: "off_2", dataset: "x" }, target: "y", enabled: true });
  });
  it("a pull is written back as read", () => {
    expect(renderPull(pull)).toBe(LINE);
    expect(renderPull({ ...pull, enabled: false })).toBe(`#${LINE}`);
    expect(renderPull({ ...pull, flags: [] })).toBe("op@off2.example:zfs-hdd/off rpool/off");
  });
});

describe("the file", () => {
  const text = `# pulls\n${LINE}\n#${LINE.replace("rpool/off", "rpool/x")}\nrpool/a rpool/b\n${LINE}\n`;

  it("keeps every line with its ending, numbered from 0, and finds a target's lines, paused or not", () => {
    const lines = parseArgs(text);
    expect(lines.map((l) => l.index)).toEqual([0, 1, 2, 3, 4]);
    expect(lines.map((l) => l.raw).join("")).toBe(text);
    expect(lines[0].pull).toBeUndefined();
    expect(linesFor(lines, "rpool/off").map((l) => l.index)).toEqual([1, 4]);
    expect(linesFor(lines, "rpool/x").map((l) => l.index)).toEqual([2]);
    expect(linesFor(lines, "rpool/nope")).toEqual([]);
    expect(parseArgs("")).toEqual([]);
  });
  it("reports each target pulled by more than one line, by 1-based line numbers", () => {
    expect(duplicateTargets(parseArgs(text))).toEqual([{ target: "rpool/off", lines: [2, 5] }]);
    expect(duplicateTargets(parseArgs(`${LINE}\n`))).toEqual([]);
  });
  it("a # not in column 0 is a problem; a comment, a blank line and a clean line are not", () => {
    expect(lineProblems("# ok\n\n   \nrpool/a rpool/b\n rpool/a#x rpool/b\r\n")).toEqual(["line 5: '#' not in column 0 is passed to syncoid as an argument"]);
    expect(lineProblems("")).toEqual([]);
  });
});

describe("editing", () => {
  it("replaces the line in place, keeping its ending (LF, CRLF or none)", () => {
    const p = { ...pull, flags: ["--recursive"] };
    expect(setPull(`a b\r\n${LINE}\r\nc d\r\n`, p)).toBe(`a b\r\n${renderPull(p)}\r\nc d\r\n`);
    expect(setPull(`a b\n${LINE}`, p)).toBe(`a b\n${renderPull(p)}`);
  });
  it("appends with the file's line ending, adding one to an unterminated last line", () => {
    expect(setPull("a b\r\nc d\r\n", pull)).toBe(`a b\r\nc d\r\n${LINE}\r\n`);
    expect(setPull("a b\r\nc d", pull)).toBe(`a b\r\nc d\r\n${LINE}\r\n`);
    expect(setPull("a b\n", pull)).toBe(`a b\n${LINE}\n`);
  });
  it("follows a renamed target in place; the previous target alone, or the same target, changes only that line", () => {
    const old = `x y\n${LINE.replace("rpool/off", "rpool/old")}\nz w\n`;
    expect(setPull(old, pull, { previousTarget: "rpool/old" })).toBe(`x y\n${LINE}\nz w\n`);
    expect(setPull(`x y\n${LINE}\n`, pull, { previousTarget: "rpool/off" })).toBe(`x y\n${LINE}\n`);
    expect(setPull("x y\n", pull, { previousTarget: "rpool/gone" })).toBe(`x y\n${LINE}\n`);
  });
  it("refuses to move a pull onto a target another line pulls into", () => {
    const both = `${LINE.replace("rpool/off", "rpool/old")}\n${LINE}\n`;
    expect(() => setPull(both, pull, { previousTarget: "rpool/old" })).toThrow(ArgsEditError);
    expect(() => setPull(both, pull, { previousTarget: "rpool/old" })).toThrow(/line 2 already pulls into rpool\/off/);
  });
  it("with duplicates, keeps the first line and drops the others only when told to", () => {
    const dup = `${LINE}\nmid dle\n#${LINE}\n`;
    expect(() => setPull(dup, pull)).toThrow(ArgsEditError);
    expect(setPull(dup, { ...pull, enabled: false }, { resolveDuplicates: true })).toBe(`#${LINE}\nmid dle\n`);
  });
  it("removes every line of the target, paused or not, and nothing else", () => {
    expect(removePull(`${LINE}\nmid dle\n#${LINE}\n`, "rpool/off")).toBe("mid dle\n");
    expect(removePull("mid dle\n", "rpool/off")).toBe("mid dle\n");
  });
});

describe("flags, on the edges of each rule", () => {
  it.each([
    ["--sshport=1", undefined],
    ["--sshport=65535", undefined],
    ["--sshport=123456", "not a valid value"],
    ["--sshport=", "needs a value"],
    ["--source-bwlimit=10m", undefined],
    ["--target-bwlimit=10T", undefined],
    ["--source-bwlimit=fast", "not a valid value"],
    ["--mbuffer-size=128M", undefined],
    ["--mbuffer-size=1t", "not a valid value"],
    ["--exclude=rpool/tmp", undefined],
    ["--sshcipher=aes256-gcm@openssh.com", undefined],
    ["--sshcipher=AES", "not a valid value"],
    ["--sshoption=Port=22", undefined],
    ["--sshoption=Port", "not a valid value"],
    ["--sshkey=relative/key", "not a valid value"],
    ["--identifier=a:b.c-d_e", undefined],
    ["--identifier=a b", "white space"],
    ["--compress=none", undefined],
    ["--compress=lz4x", "not a valid value"],
    ["--no-sync-snap=1", "takes no value"],
    ["--debug", undefined],
    ["--quiet", undefined],
    ["#--debug", "'#'"],
    // Only the letters of zfs send/receive options that keep the pull what it says (issue 15).
    ["--sendoptions=a=b", '"--sendoptions=a=b": "a=b" is not a valid value for --sendoptions: has "a", which --sendoptions may not carry (allowed: L c e w p h b P v; options with values need a space the service would split)'],
    ["--sendoptions=LcewphbPv", undefined],
    ["--sendoptions=Lc=", 'has "="'],
    ["--sendoptions=vv", "repeats a letter"],
    ["--recvoptions=usvhF", undefined],
    ["--recvoptions=uL", 'has "L", which --recvoptions may not carry (allowed: u s v h F;'],
    ["-r=1", "takes no value"],
  ])("%j", (flag, why) => {
    const p = flagProblem(flag);
    if (why === undefined) expect(p).toBeUndefined();
    else expect(p).toContain(why);
  });
  it("names the flag refused", () => {
    expect(flagProblem("--frobnicate=1")).toContain('"--frobnicate"');
    expect(flagProblem("--identifier=a/b")).toBe('"--identifier=a/b": "a/b" is not a valid value for --identifier (letters, digits, - _ : . only)');
    expect(flagProblem("--sshport=x")).toBe('"--sshport=x": "x" is not a valid value for --sshport: is not a whole number from 1 to 65535');
    expect(flagProblem(3 as never)).toBe("must be a non-empty flag");
  });
});

describe("syncoid-args.conf, odd but possible", () => {
  it("a flag that starts with = has no name", () => {
    expect(flagProblem("=x")).toMatch(/^"" is not a syncoid option/);
  });
  it("an endpoint whose dataset is not a string is named as such", () => {
    // A string is shown quoted, anything else as it is: the number 3, not the dataset "3".
    expect(endpointProblem({ dataset: 3 } as never, "source")).toBe("source dataset 3 contains white space or '#', which the service would split or cut");
    expect(endpointProblem({ dataset: "3 x" }, "source")).toBe("source dataset \"3 x\" contains white space or '#', which the service would split or cut");
  });
  it("the refusal of duplicates says what the service would do and the way out; it is an ArgsEditError by name", () => {
    try {
      setPull(`${LINE}\n${LINE}\n`, pull);
      expect.unreachable();
    } catch (e) {
      expect((e as Error).name).toBe("ArgsEditError");
      expect((e as Error).message).toBe(
        "2 lines pull into rpool/off (lines 1, 2); the service would run them all. Remove the extra lines by hand, or set resolveDuplicates: true to keep one.",
      );
    }
  });
});
