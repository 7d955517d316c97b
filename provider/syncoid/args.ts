// /etc/sanoid/syncoid-args.conf as data: one syncoid run per line (options,
// `[user@host:]source`, target), read by the operators' service with bash
// `read -a`, so words split on white space and no quote is understood. A
// pull is identified by its target dataset; a paused pull is its line
// commented out (`#` in column 0). The editor changes only the managed line
// and keeps every other line byte for byte. Pure.
//
// tools/verify-lab.ts runs this parser under Node's type stripping, so its
// imports name their files (.ts) and the build rewrites them to .js.
import { LIMITS, absolutePathProblem, controlProblem, datasetNameProblem, isDnsName, named, own, shown, unixNameProblem } from "../names.ts";

/** A flag's value rule: a pattern it must match, or a function that says why it is refused. */
type ValueRule = RegExp | ((value: string) => string | undefined);

const int = (min: number, max: number) => (v: string) =>
  /^\d{1,6}$/.test(v) && Number(v) >= min && Number(v) <= max ? undefined : `is not a whole number from ${min} to ${max}`;

/** Ciphers ssh may be limited to (`ssh -Q cipher`, the current ones; no +, - or ^ edits of the default list). */
export const SSH_CIPHERS: readonly string[] = [
  "chacha20-poly1305@openssh.com",
  "aes128-ctr",
  "aes192-ctr",
  "aes256-ctr",
  "aes128-gcm@openssh.com",
  "aes256-gcm@openssh.com",
];
const cipherList = (v: string) => {
  const bad = v.split(",").find((c) => !SSH_CIPHERS.includes(c));
  return bad === undefined ? undefined : `names ${shown(bad)}, not one of ${SSH_CIPHERS.join(", ")}`;
};
const oneOf = (...values: string[]) => (v: string) => (values.includes(v.toLowerCase()) ? undefined : `is not ${values.join(" or ")}`);

/**
 * The ssh options a pull may pass (`--sshoption=Name=value`, ssh_config(5)),
 * by lowercase name (ssh reads names in any case): only options that can
 * neither run nor load code nor weaken host-key checking, each with the
 * values it may take.
 */
export const SSH_OPTIONS: Readonly<Record<string, { name: string; rule: (value: string) => string | undefined }>> = {
  connecttimeout: { name: "ConnectTimeout", rule: int(1, LIMITS.sshSeconds) },
  connectionattempts: { name: "ConnectionAttempts", rule: int(1, 100) },
  serveraliveinterval: { name: "ServerAliveInterval", rule: int(0, LIMITS.sshSeconds) },
  serveralivecountmax: { name: "ServerAliveCountMax", rule: int(0, 1000) },
  tcpkeepalive: { name: "TCPKeepAlive", rule: oneOf("yes", "no") },
  compression: { name: "Compression", rule: oneOf("yes", "no") },
  ciphers: { name: "Ciphers", rule: cipherList },
  ipqos: {
    name: "IPQoS",
    rule: (v) =>
      /^(af[1-4][1-3]|cs[0-7]|ef|le|lowdelay|throughput|reliability|none)$/i.test(v) ? undefined : "is not one IPQoS value (af11..af43, cs0..cs7, ef, le, lowdelay, throughput, reliability, none)",
  },
  port: { name: "Port", rule: int(...LIMITS.port) },
  addressfamily: { name: "AddressFamily", rule: oneOf("any", "inet", "inet6") },
  batchmode: { name: "BatchMode", rule: oneOf("yes") },
  // Only the strict setting: anything else accepts an unknown or changed host key.
  stricthostkeychecking: { name: "StrictHostKeyChecking", rule: oneOf("yes") },
  loglevel: { name: "LogLevel", rule: oneOf("quiet", "fatal", "error", "info", "verbose", "debug", "debug1", "debug2", "debug3") },
};

/** Why well-known ssh options are not on the list (the message names the danger). */
const SSH_DANGERS: Readonly<Record<string, string>> = {
  proxycommand: "runs a command",
  proxyjump: "connects through another host with its own config and keys",
  localcommand: "runs a command",
  permitlocalcommand: "enables LocalCommand, which runs a command",
  knownhostscommand: "runs a command",
  pkcs11provider: "loads a shared library",
  securitykeyprovider: "loads a shared library",
  identityagent: "hands authentication to another agent",
  match: "applies config blocks by running a command (Match exec)",
  include: "reads another config file",
  stricthostkeychecking: "anything but yes accepts an unknown or changed host key",
  userknownhostsfile: "replaces the known_hosts that host keys are checked against",
  globalknownhostsfile: "replaces the known_hosts that host keys are checked against",
  hostkeyalias: "checks the host key of another host name",
  hostkeyalgorithms: "can allow weaker host-key algorithms",
  verifyhostkeydns: "trusts host keys from DNS",
  updatehostkeys: "rewrites known_hosts",
  checkhostip: "changes what host-key checking compares",
  controlmaster: "shares a connection syncoid does not own",
  controlpath: "shares a connection syncoid does not own",
  identityfile: "picks a key: use --sshkey",
  user: "changes the user: write it in the source",
  hostname: "connects to another host than the source names",
};

/** Why `--sshoption=<value>` is refused, or undefined. */
function sshOptionProblem(value: string): string | undefined {
  const eq = value.indexOf("=");
  if (eq <= 0) return "is not Name=value (one ssh_config(5) option)";
  const name = value.slice(0, eq).toLowerCase();
  const option = own(SSH_OPTIONS, name);
  if (!option) {
    const danger = own(SSH_DANGERS, name);
    return (
      `sets ${shown(value.slice(0, eq))}, which a pull may not set${danger ? ` (it ${danger})` : ""}; allowed, as options that can neither run nor load ` +
      `code nor weaken host-key checking: ${Object.values(SSH_OPTIONS).map((o) => o.name).join(", ")}`
    );
  }
  const problem = option.rule(value.slice(eq + 1));
  return problem && `${option.name} ${shown(value.slice(eq + 1))} ${problem}`;
}

/** Directories a `--sshkey` may be in: root's and the users' ssh keys, and sanoid's config. */
export const SSH_KEY_DIRS = /^\/(root\/\.ssh|home\/[a-z_][a-z0-9_-]{0,31}\/\.ssh|etc\/sanoid)\//;
function sshKeyProblem(value: string): string | undefined {
  const problem = absolutePathProblem(value);
  if (problem) return problem;
  return SSH_KEY_DIRS.test(value) ? undefined : "is not in /root/.ssh/, /home/<user>/.ssh/ or /etc/sanoid/";
}

/** Letters `--sendoptions` may carry (zfs send -L -c -e -w -p -h -b -P -v); not R (syncoid replicates itself), n (a dry run that reports success) or D. */
export const SEND_LETTERS = "LcewphbPv";
/** Letters `--recvoptions` may carry (zfs receive -u -s -v -h -F); not d or e (they receive into another dataset than the target) or n. */
export const RECV_LETTERS = "usvhF";
const letters = (allowed: string, what: string) => (v: string) => {
  const bad = [...v].find((c) => !allowed.includes(c));
  if (bad !== undefined) return `has ${shown(bad)}, which ${what} may not carry (allowed: ${[...allowed].join(" ")}; options with values need a space the service would split)`;
  if (new Set(v).size !== v.length) return "repeats a letter";
  return undefined;
};

/** syncoid's --exclude is a Perl regex of dataset names: their characters and plain regex operators only. */
function excludeProblem(value: string): string | undefined {
  if (value.length > LIMITS.excludeMax) return `is longer than ${LIMITS.excludeMax} characters`;
  const bad = value.match(/[^A-Za-z0-9_.:/^$*+?|()[\]-]/);
  if (bad) return `has ${shown(bad[0])}: a pattern may use the characters of dataset names and ^ $ * + ? | ( ) [ ] only`;
  if (value.includes("(?")) return "has (?, Perl's extended syntax (code blocks among it)";
  try {
    new RegExp(value);
  } catch {
    return "is not a valid regular expression";
  }
  return undefined;
}

/** syncoid 2.1 options (`syncoid --help`), with the rule for a value when one is required. */
export const SYNCOID_FLAGS: Readonly<Record<string, ValueRule | null>> = {
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
  "--identifier": /^[a-zA-Z0-9_:.-]{1,64}$/,
  "--compress": /^(gzip|pigz-fast|pigz-slow|zstd-fast|zstd-slow|lz4|xz|lzo|none)$/,
  "--source-bwlimit": /^\d{1,12}[kmgt]?$/i,
  "--target-bwlimit": /^\d{1,12}[kmgt]?$/i,
  "--mbuffer-size": /^\d{1,12}[kKmMgG]?$/,
  "--sendoptions": letters(SEND_LETTERS, "--sendoptions"),
  "--recvoptions": letters(RECV_LETTERS, "--recvoptions"),
  "--exclude": excludeProblem,
  "--sshkey": sshKeyProblem,
  "--sshport": int(...LIMITS.port),
  "--sshcipher": cipherList,
  "--sshoption": sshOptionProblem,
};

/** Why `flag` cannot go on a pull line, or undefined. */
export function flagProblem(flag: string): string | undefined {
  if (typeof flag !== "string" || flag === "") return "must be a non-empty flag";
  if (/\s/.test(flag)) return `${shown(flag)} contains white space; the service splits lines on it (write --name=value, one flag per entry)`;
  const control = controlProblem(flag);
  if (control) return `${shown(flag)} ${control}`;
  if (flag.includes("\\")) return `${shown(flag)} contains a backslash, which the service's read -a (without -r) takes as an escape`;
  if (flag.includes("#")) return `${shown(flag)} contains '#', which would become an argument of its own`;
  const eq = flag.indexOf("=");
  const name = eq < 0 ? flag : flag.slice(0, eq);
  const value = eq < 0 ? undefined : flag.slice(eq + 1);
  const rule = own(SYNCOID_FLAGS, name);
  if (rule === undefined) {
    return `${shown(name)} is not a syncoid option this resource knows (e.g. --no-sync-snap, --no-privilege-elevation, --recursive, --sendoptions=, --identifier=)`;
  }
  if (rule === null && value !== undefined) return `"${name}" takes no value`;
  if (rule !== null) {
    if (value === undefined || value === "") return `"${name}" needs a value, written ${name}=VALUE`;
    const why = rule instanceof RegExp ? (rule.test(value) ? undefined : "") : rule(value);
    if (why !== undefined) {
      const hint = name === "--identifier" ? " (letters, digits, - _ : . only)" : why ? `: ${why}` : "";
      return `${shown(flag)}: ${shown(value)} is not a valid value for ${name}${hint}`;
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
  if (e.user !== undefined && unixNameProblem(e.user)) return `${what} user ${shown(e.user)} ${unixNameProblem(e.user)}`;
  if (e.host !== undefined && !isDnsName(e.host)) return `${what} host ${shown(e.host)} is not a host name`;
  if (e.user !== undefined && e.host === undefined) return `${what} has a user but no host`;
  if (typeof e.dataset !== "string" || /[\s#]/.test(e.dataset)) return `${what} dataset ${shown(e.dataset)} contains white space or '#', which the service would split or cut`;
  const problem = named(e.dataset, datasetNameProblem(e.dataset, { poolRoot: true }));
  return problem && `${what} dataset ${problem}`;
}

export const renderEndpoint = (e: Endpoint): string => (e.host ? `${e.user ? `${e.user}@` : ""}${e.host}:${e.dataset}` : e.dataset);

export function parseEndpoint(word: string): Endpoint {
  const m = word.match(/^(?:(?:([^@:\s]+)@)?([^@:\s]+):)?(.+)$/);
  if (!m) return { dataset: word };
  // Absent parts are absent keys, not undefined values: an endpoint reaches the state through read(),
  // whose result the SDK encodes as a protobuf Struct, which cannot hold undefined.
  return { ...(m[1] !== undefined && { user: m[1] }), ...(m[2] !== undefined && { host: m[2] }), dataset: m[3] };
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
