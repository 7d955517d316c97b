// Quoting by construction, as a property (fast-check): whatever strings a
// command is built from (shell metacharacters, quotes, newlines, any
// Unicode), a real local `sh` hands each one back byte for byte as one
// argument, and nothing in them runs. A string no shell argument can carry
// (a NUL, a lone surrogate) makes `sh` refuse to build the command at all.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { Secret, sh, wordProblem } from "../../provider/transport/sh";

const dir = mkdtempSync(join(tmpdir(), "sh-property-"));
const canary = join(dir, "ran");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Pieces that would run something, or split a word, if they ever reached the shell unquoted. */
const HOSTILE = [
  `$(touch ${canary})`, `\`touch ${canary}\``, `; touch ${canary}`, `&& touch ${canary}`, `| touch ${canary}`, `\n touch ${canary}\n`,
  "'", '"', "\\", "$", "${IFS}", "$HOME", "*", "?", "[a-z]", "~", "!", "#", "%", "&", "(", ")", "{", "}", "<", ">", "\t", "\r", " ", "-", "--", "-e", "''", "'\\''",
];

const piece = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.string({ unit: fc.constantFrom(..."'\"\\$`;|&<>(){}[]*?!~#\n\t\r -"), maxLength: 12 }),
);
const word = fc
  .array(piece, { maxLength: 5 })
  .map((parts) => parts.join(""))
  .filter((w) => wordProblem(w) === undefined);
const words = fc.array(word, { minLength: 1, maxLength: 6 });

/** Runs `text` with a real sh, as the transport sends it, and returns the NUL-separated arguments printf printed. */
function shell(text: string): string[] {
  const r = spawnSync("sh", ["-c", text], { encoding: "buffer", env: { PATH: process.env.PATH, HOME: dir } });
  expect(r.status, r.stderr.toString()).toBe(0);
  const out = r.stdout.toString("utf8");
  return out === "" ? [] : out.slice(0, -1).split("\0");
}

describe("sh: every argument comes back byte for byte, and nothing runs", () => {
  it("as separate values", () => {
    fc.assert(
      fc.property(words, (args) => {
        const cmd = sh`printf '%s\\0' ${args[0]} ${args.slice(1)}`;
        expect(shell(cmd.text)).toEqual(args);
        expect(existsSync(canary)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("through a second shell, as a host with sudo runs it (sudo -n sh -c '<command>')", () => {
    fc.assert(
      fc.property(words, (args) => {
        const inner = sh`printf '%s\\0' ${args}`;
        expect(shell(sh`sh -c ${inner.text}`.text)).toEqual(args);
        expect(existsSync(canary)).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it("as secrets, which the log form hides", () => {
    fc.assert(
      fc.property(word, (value) => {
        const cmd = sh`printf '%s\\0' ${new Secret(value)}`;
        expect(shell(cmd.text)).toEqual([value]);
        expect(cmd.redacted).toBe("printf '%s\\0' '[secret]'");
        expect(existsSync(canary)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it("refuses a NUL or a lone surrogate instead of sending something else", () => {
    fc.assert(
      fc.property(word, word, fc.constantFrom("\u0000", "\ud800", "\udfff"), (a, b, bad) => {
        expect(() => sh`printf '%s\\0' ${a + bad + b}`).toThrow(/^sh: .* contains (a NUL|a lone UTF-16 surrogate).*; nothing was run$/s);
        expect(() => sh`printf '%s\\0' ${[a, bad]}`).toThrow(/nothing was run/);
        expect(() => sh`printf '%s\\0' ${new Secret(bad)}`).toThrow(/a secret value contains/);
      }),
      { numRuns: 100 },
    );
  });
});
