// /etc/sanoid/syncoid-args.conf as data: one syncoid run per line (options,
// `[user@host:]source`, target), read by the operators' service with bash
// `read -a`, so words split on white space and no quote is understood. A
// pull is identified by its target dataset; a paused pull is its line
// commented out (`#` in column 0). The editor changes only the managed line
// and keeps every other line byte for byte. Pure.
//
// tools/verify-lab.ts runs this parser under Node's type stripping, so its
// imports name their files (.ts) and the build rewrites them to .js.
import { datasetNameProblem, isDnsName, named, unixNameProblem } from "../names.ts";

/** syncoid 2.1 options (`syncoid --help`), with the rule for a value when one is required. */
const VALUE = /^[A-Za-z0-9_.,:=+\/@%-]+$/;
export const SYNCOID_FLAGS: Record<string, RegExp | null> = {
  "--no-sync-snap": null,
  "--no-privilege-elevation": null,
  "--recursive": null,
  "-r": null,
  "--skip-parent": null,
  "--no-stream": null,
  "--keep-sync-snap": null,
  "--create-bookmark": null,
  "--preserve-recordsize": null,
  "--no-clone-rollback": null,
  "--no-rollback": null,
  "--no-resume": null,
  "--no-clone-handling": null,
  "--no-command-checks": null,
  "--force-delete": null,
  "--quiet": null,
  "--debug": null,
  "--dumpsnaps": null,
  // 2.2+ (the fleet's Debian bookworm has 2.1.0, whose getopt refuses it: a runOnCreate pull shows that).
  "--use-hold": null,
  "--identifier": /^[a-zA-Z0-9_:.-]+$/,
  "--compress": /^(gzip|pigz-fast|pigz-slow|zstd-fast|zstd-slow|lz4|xz|lzo|none)$/,
  "--source-bwlimit": /^\d+[kmgt]?$/i,
  "--target-bwlimit": /^\d+[kmgt]?$/i,
  "--mbuffer-size": /^\d+[kKmMgG]?$/,
  "--sendoptions": VALUE,
  "--recvoptions": VALUE,
  "--exclude": /^[^\s#]+$/,
  "--sshkey": /^\/[A-Za-z0-9_.\/-]+$/,
  "--sshport": /^\d{1,5}$/,
  "--sshcipher": /^[a-z0-9@.,-]+$/,
  "--sshoption": /^[A-Za-z0-9]+=[A-Za-z0-9_.,:\/@+-]+$/,
};

/** Why `flag` cannot go on a pull line, or undefined. */
export function flagProblem(flag: string): string | undefined {
  if (typeof flag !== "string" || flag === "") return "must be a non-empty flag";
  if (/\s/.test(flag)) return `"${flag}" contains white space; the service splits lines on it (write --name=value, one flag per entry)`;
  if (flag.includes("#")) return `"${flag}" contains '#', which would become an argument of its own`;
  const eq = flag.indexOf("=");
  const name = eq < 0 ? flag : flag.slice(0, eq);
  const value = eq < 0 ? undefined : flag.slice(eq + 1);
  if (!Object.hasOwn(SYNCOID_FLAGS, name)) {
    return `"${name}" is not a syncoid option this resource knows (e.g. --no-sync-snap, --no-privilege-elevation, --recursive, --sendoptions=, --identifier=)`;
  }
  const rule = SYNCOID_FLAGS[name];
  if (rule === null && value !== undefined) return `"${name}" takes no value`;
  if (rule !== null) {
    if (value === undefined || value === "") return `"${name}" needs a value, written ${name}=VALUE`;
    if (!rule.test(value)) {
      const hint = name === "--identifier" ? " (letters, digits, - _ : . only)" : "";
      return `"${flag}": ${value} is not a valid value for ${name}${hint}`;
    }
  }
  return undefined;
}

export interface Endpoint {
  user?: string;
  host?: string;
  dataset: string;
}

/**
 * Why an endpoint cannot be written on a line, or undefined. The dataset is
 * a dataset name (../names.ts, a pool's root allowed); white space and '#',
 * which that refuses too, are named for what the service would do with them.
 */
export function endpointProblem(e: Endpoint, what: string): string | undefined {
  if (e.user !== undefined && unixNameProblem(e.user)) return `${what} user "${e.user}" ${unixNameProblem(e.user)}`;
  if (e.host !== undefined && !isDnsName(e.host)) return `${what} host "${e.host}" is not a host name`;
  if (e.user !== undefined && e.host === undefined) return `${what} has a user but no host`;
  if (typeof e.dataset !== "string" || /[\s#]/.test(e.dataset)) return `${what} dataset "${e.dataset}" contains white space or '#', which the service would split or cut`;
  const problem = named(e.dataset, datasetNameProblem(e.dataset, { poolRoot: true }));
  return problem && `${what} dataset ${problem}`;
}

export const renderEndpoint = (e: Endpoint): string => (e.host ? `${e.user ? `${e.user}@` : ""}${e.host}:${e.dataset}` : e.dataset);

export function parseEndpoint(word: string): Endpoint {
  const m = word.match(/^(?:(?:([^@:\s]+)@)?([^@:\s]+):)?(.+)$/);
  if (!m) return { dataset: word };
  return { user: m[1], host: m[2], dataset: m[3] };
}

export interface Pull {
  flags: string[];
  source: Endpoint;
  target: string;
  enabled: boolean;
}

export function renderPull(p: Pull): string {
  const words = [...p.flags, renderEndpoint(p.source), p.target];
  return `${p.enabled ? "" : "#"}${words.join(" ")}`;
}

/** A line read as a pull; a commented line counts when what follows `#` reads as one. */
export function parsePullLine(line: string): Pull | undefined {
  const text = line.replace(/\r?\n$/, "");
  const enabled = !text.startsWith("#");
  const body = enabled ? text : text.replace(/^#+\s?/, "");
  // As `read -a` splits it.
  const words = body.trim().split(/\s+/).filter(Boolean);
  if (words.length < 2) return undefined;
  const target = words[words.length - 1];
  const source = words[words.length - 2];
  const flags = words.slice(0, -2);
  // A comment is a paused pull only when it reads as one; otherwise it is prose ("# obf opf opff").
  if (!enabled && (!flags.every((f) => f.startsWith("-")) || !target.includes("/") || datasetNameProblem(target) || endpointProblem(parseEndpoint(source), "source"))) {
    return undefined;
  }
  if (source.startsWith("-") || target.startsWith("-")) return undefined;
  return { flags, source: parseEndpoint(source), target, enabled };
}

export interface ArgsLine {
  index: number;
  /** With its line ending. */
  raw: string;
  pull?: Pull;
}

export function parseArgs(content: string): ArgsLine[] {
  const lines = content === "" ? [] : content.split(/(?<=\n)/);
  return lines.map((raw, index) => ({ index, raw, pull: parsePullLine(raw) }));
}

/** Lines that pull into `target` (enabled or paused). */
export const linesFor = (lines: readonly ArgsLine[], target: string): ArgsLine[] => lines.filter((l) => l.pull?.target === target);

/** Targets pulled by more than one line (a known mistake in the operators' files). */
export function duplicateTargets(lines: readonly ArgsLine[]): { target: string; lines: number[] }[] {
  const by = new Map<string, number[]>();
  for (const l of lines) if (l.pull) by.set(l.pull.target, [...(by.get(l.pull.target) ?? []), l.index + 1]);
  return [...by].filter(([, n]) => n.length > 1).map(([target, n]) => ({ target, lines: n }));
}

/** Problems the service would have with a line: an indented or trailing `#` becomes an argument. */
export function lineProblems(content: string): string[] {
  const problems: string[] = [];
  parseArgs(content).forEach((l) => {
    const text = l.raw.replace(/\r?\n$/, "");
    if (text.startsWith("#") || text.trim() === "") return;
    if (text.includes("#")) problems.push(`line ${l.index + 1}: '#' not in column 0 is passed to syncoid as an argument`);
  });
  return problems;
}

export class ArgsEditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ArgsEditError";
  }
}

export interface SetPullOptions {
  /** The pull's previous target (the target dataset was renamed): its line is updated in place. */
  previousTarget?: string;
  /** Keep only the first of several lines for this target instead of refusing. */
  resolveDuplicates?: boolean;
}

/**
 * Makes the file hold `pull` as exactly one line, in place of the line that
 * pulled into the same (or previous) target; appended when there is none.
 */
export function setPull(content: string, pull: Pull, opts: SetPullOptions = {}): string {
  const lines = parseArgs(content);
  const eol = lines.some((l) => l.raw.endsWith("\r\n")) ? "\r\n" : "\n";
  let mine = linesFor(lines, pull.target);
  if (opts.previousTarget && opts.previousTarget !== pull.target) {
    const old = linesFor(lines, opts.previousTarget);
    if (old.length && mine.length) {
      throw new ArgsEditError(`cannot move the pull into ${opts.previousTarget} to ${pull.target}: line ${mine[0].index + 1} already pulls into ${pull.target}`);
    }
    if (old.length) mine = old;
  }
  if (mine.length > 1 && !opts.resolveDuplicates) {
    throw new ArgsEditError(
      `${mine.length} lines pull into ${mine[0].pull!.target} (lines ${mine.map((l) => l.index + 1).join(", ")}); ` +
        `the service would run them all. Remove the extra lines by hand, or set resolveDuplicates: true to keep one.`,
    );
  }
  const text = renderPull(pull);
  const out = lines.map((l) => l.raw);
  if (mine.length === 0) {
    const last = out.length ? out[out.length - 1] : "";
    const prefix = out.length && !last.endsWith("\n") ? eol : "";
    return out.join("") + prefix + text + eol;
  }
  const [first, ...extra] = mine;
  const ending = first.raw.endsWith("\r\n") ? "\r\n" : first.raw.endsWith("\n") ? "\n" : "";
  out[first.index] = text + ending;
  const drop = new Set(extra.map((l) => l.index));
  return out.filter((_, i) => !drop.has(i)).join("");
}

/** Removes the line(s) that pull into `target`. */
export function removePull(content: string, target: string): string {
  const lines = parseArgs(content);
  return lines
    .filter((l) => l.pull?.target !== target)
    .map((l) => l.raw)
    .join("");
}
