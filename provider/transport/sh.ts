// Remote commands are built only with the `sh` tag: every interpolated value
// becomes one single-quoted shell word, so no code path can forget to quote.
// Import-free and erasable TypeScript only (no parameter properties): tools
// run it under Node's type stripping (tools/verify-lab.ts).

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** A shell command line whose every interpolated value was quoted. */
export class ShellCommand {
  /** The exact text sent to the remote shell. */
  readonly text: string;
  /** The text for logs and errors, with secret values replaced. */
  readonly redacted: string;
  constructor(text: string, redacted: string) {
    this.text = text;
    this.redacted = redacted;
  }
  toString(): string {
    return this.redacted;
  }
}

/** Marks a value that must never appear in logs or errors. */
export class Secret {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return "[secret]";
  }
}

/** Marks pre-built command text (another `sh` result) to splice in as is. */
type Part = string | number | bigint | Secret | ShellCommand | readonly (string | number | Secret)[];

/** A UTF-16 surrogate without its pair: no UTF-8 byte sequence stands for it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why `value` cannot be passed byte for byte as a shell word, or undefined:
 * a shell argument ends at a NUL, and a lone surrogate has no UTF-8 form (it
 * would arrive as U+FFFD). Everything else single quotes carry unchanged.
 */
export function wordProblem(value: string): string | undefined {
  if (value.includes("\u0000")) return "contains a NUL, which no shell argument can carry";
  if (LONE_SURROGATE.test(value)) return "contains a lone UTF-16 surrogate, which has no UTF-8 form";
  return undefined;
}

/** Quotes one value as a single POSIX shell word. */
export function quote(value: string): string {
  if (value === "") return "''";
  if (SAFE_WORD.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function checked(value: string, shownAs: string): string {
  const problem = wordProblem(value);
  if (problem) throw new TypeError(`sh: ${shownAs} ${problem}; nothing was run`);
  return value;
}

function render(part: Part): [string, string] {
  if (part instanceof ShellCommand) return [part.text, part.redacted];
  if (part instanceof Secret) return [quote(checked(part.value, "a secret value")), "'[secret]'"];
  if (Array.isArray(part)) {
    const words = part.map((p) => render(p as Part));
    return [words.map((w) => w[0]).join(" "), words.map((w) => w[1]).join(" ")];
  }
  if (typeof part === "number" || typeof part === "bigint") {
    const s = String(part);
    return [s, s];
  }
  if (typeof part !== "string") {
    throw new TypeError(`sh: cannot interpolate a ${typeof part} into a command`);
  }
  // JSON, with the line separators JSON leaves raw escaped too: a message stays on one line.
  const shown = JSON.stringify(part).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  const q = quote(checked(part, shown));
  return [q, q];
}

/**
 * Tagged template for remote commands: `sh\`zfs rename ${from} ${to}\``.
 * Strings become single words, arrays become several words, Secret values
 * are quoted in the command and redacted in its log form, and a nested `sh`
 * result is spliced in unchanged.
 */
export function sh(strings: TemplateStringsArray, ...values: Part[]): ShellCommand {
  let text = strings[0];
  let redacted = strings[0];
  values.forEach((value, i) => {
    const [t, r] = render(value);
    let next = strings[i + 1];
    // An empty list (no flags) leaves no double space behind in logs.
    if (t === "" && Array.isArray(value) && text.endsWith(" ") && next.startsWith(" ")) next = next.slice(1);
    text += t + next;
    redacted += r + next;
  });
  return new ShellCommand(text, redacted);
}

/** Joins commands so that the next runs only when the previous succeeded. */
export function and(...commands: ShellCommand[]): ShellCommand {
  return new ShellCommand(
    commands.map((c) => c.text).join(" && "),
    commands.map((c) => c.redacted).join(" && "),
  );
}
