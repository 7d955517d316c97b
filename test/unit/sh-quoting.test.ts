// What the quoting of provider/transport/sh.ts promises, checked the way the
// host reads it: a real POSIX shell (dash, Debian's /bin/sh, and bash, root's
// login shell there) parses the command text, and each value must come back
// as exactly one word, byte for byte, nothing expanded. The remote side runs
// the text with its login shell, or as `sudo -n sh -c '<text>'` (quoted once
// more), so both levels are checked.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type ShellCommand, Secret, and, quote, sh } from "../../provider/transport/sh";

const SHELLS = ["/bin/dash", "/bin/bash"].filter((s) => existsSync(s));

/** The words `shell` reads from `cmd` when `cmd` is `printf '%s\0' ...`. */
function wordsOf(shell: string, cmd: ShellCommand | string): string[] {
  const text = typeof cmd === "string" ? cmd : cmd.text;
  // No HOME, no globbing targets: an expansion would show as a changed word.
  const out = execFileSync(shell, ["-c", text], { cwd: "/", env: { PATH: "/usr/bin:/bin", HOME: "/root", VAR: "expanded" } });
  const words = out.toString("utf8").split("\0");
  expect(words.pop()).toBe("");
  return words;
}

/** Values that a shell would expand, split, glob or end on, if they were not quoted. */
const HOSTILE = [
  "$VAR",
  "${VAR}",
  "a$VAR",
  "$(id)",
  "`id`",
  "*",
  "/*",
  "?",
  "[a-z]*",
  "~",
  "~root",
  "a~",
  "!",
  "!!",
  "a!b",
  "line1\nline2",
  "\n",
  "trailing newline\n",
  "cr\rhere",
  "tab\there",
  "it's",
  "'",
  "''",
  "'\\''",
  '"',
  'say "hi"',
  "back\\slash",
  "\\",
  "a b",
  " leading space",
  "trailing space ",
  ";",
  "a;reboot",
  "a&&b",
  "a|b",
  "a&",
  "<in",
  ">out",
  "2>&1",
  "#comment",
  "a #b",
  "{a,b}",
  "a=b c",
  "-n",
  "-e",
  "--",
  "café",
  "",
];

describe.each(SHELLS)("quoting, as %s reads it", (shell) => {
  it("gives back every hostile value as one word, unchanged", () => {
    const words = wordsOf(shell, sh`printf '%s\\0' ${HOSTILE}`);
    expect(words).toEqual(HOSTILE);
  });

  it("gives back each printable character and control character inside a word, unchanged", () => {
    const chars = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).filter((c) => c !== "\0");
    const values = chars.flatMap((c) => [c, `a${c}b`, `${c}${c}`]);
    expect(wordsOf(shell, sh`printf '%s\\0' ${values}`)).toEqual(values);
  });

  it("keeps each interpolated value one word beside the template's own text", () => {
    const cmd = and(...HOSTILE.map((v) => sh`printf '%s\\0' x ${v} y`));
    expect(wordsOf(shell, cmd)).toEqual(HOSTILE.flatMap((v) => ["x", v, "y"]));
  });

  it("quotes a whole command once more for sudo -n sh -c, and the inner command still reads as written", () => {
    const inner = sh`printf '%s\\0' ${HOSTILE}`;
    const outer = sh`${shell} -c ${inner.text}`;
    expect(wordsOf(shell, outer)).toEqual(HOSTILE);
  });

  it("joins commands with && so that each keeps its own words", () => {
    const cmd = and(sh`printf '%s\\0' ${"$VAR"} ${"a b"}`, sh`printf '%s\\0' ${"*"}`);
    expect(wordsOf(shell, cmd)).toEqual(["$VAR", "a b", "*"]);
    expect(wordsOf(shell, and(sh`false`, sh`printf '%s\\0' ${"ran"}`).text + " || printf ''")).toEqual([]);
  });

  it("quotes a secret in the command like any value, and the log form hides it", () => {
    const cmd = sh`printf '%s\\0' ${new Secret("p$ss 'w*rd'")}`;
    expect(wordsOf(shell, cmd)).toEqual(["p$ss 'w*rd'"]);
    expect(cmd.redacted).not.toContain("p$ss");
    expect(wordsOf(shell, cmd.redacted)).toEqual(["[secret]"]);
  });
});

describe("quoting leaves plain words readable", () => {
  // Logs and errors show the command text: a word of safe characters only is left as it is.
  const SAFE = "ABCXYZabcxyz0189_@%+=:,./-";
  it.each([...SAFE])("%j needs no quotes", (c) => {
    expect(quote(`a${c}b`)).toBe(`a${c}b`);
    expect(quote(c)).toBe(c);
  });
  it("a number is written as it is", () => {
    expect(sh`sleep ${5} ${10n}`.text).toBe("sleep 5 10");
  });
  it("an empty list leaves no double space, and only where it stood between two spaces", () => {
    expect(sh`a ${[]} b`.text).toBe("a b");
    expect(sh`a${[]} b`.text).toBe("a b");
    expect(sh`a ${[]}b`.text).toBe("a b");
    expect(sh`a ${[]}b `.text).toBe("a b ");
    expect(sh`a ${[]} b`.redacted).toBe("a b");
    expect(sh`a ${""} b`.text).toBe("a '' b");
  });
  it("a command spliced in is taken as it is, with its own redaction", () => {
    const inner = sh`echo ${new Secret("s e")}`;
    const outer = sh`sudo ${inner}`;
    expect(outer.text).toBe("sudo echo 's e'");
    expect(outer.redacted).toBe("sudo echo '[secret]'");
    expect(String(outer)).toBe("sudo echo '[secret]'");
    expect(String(new Secret("s"))).toBe("[secret]");
    expect(and(sh`a ${new Secret("x y")}`, sh`b`).redacted).toBe("a '[secret]' && b");
  });
  it("a list mixes strings, numbers and secrets, each its own word", () => {
    const cmd = sh`x ${["a b", 3, new Secret("s")]}`;
    expect(cmd.text).toBe("x 'a b' 3 s");
    expect(cmd.redacted).toBe("x 'a b' 3 '[secret]'");
  });
  it("anything else is quoted", () => {
    for (const v of HOSTILE.filter((v) => v !== "" && v !== "-n" && v !== "-e" && v !== "--")) expect(quote(v), JSON.stringify(v)).toMatch(/^'.*'$/s);
  });
});
