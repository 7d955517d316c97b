// Which passphrase a stack's secrets are encrypted with. The lab passphrase
// (stacks/lab.passphrase) is public: it guards the lab stacks (`lab-*`) only.
// Any other stack is a production one, whose secrets (a host's root key) need
// the operator's own passphrase: a missing one, or the lab's, is refused
// before the Pulumi CLI runs, so `pulumi config set --secret ... -s off2`
// can never encrypt a production key with a passphrase anyone can read.
//
//   import { passphraseEnvFor } from "./passphrase.ts";
//   const env = passphraseEnvFor("off2", process.env);   // the env to run the CLI with, or throws PassphraseError
//
// The CLI used by hand goes through the same rule: tools/env.sh puts
// tools/bin/pulumi first on PATH, which asks this module (run as
// `node tools/passphrase.ts --cli <real pulumi> -- <args>`) which stack the
// command is for and what to set, then runs the real CLI.
//
// Erasable TypeScript only, imports with their extension: Node runs it by
// type stripping.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export type Env = Record<string, string | undefined>;

export class PassphraseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PassphraseError";
  }
}

/** A lab stack: its name (the last part of `org/project/stack`) starts with `lab-`. */
export const isLabStack = (stack: string): boolean => /^lab-/.test(stack.split("/").pop() ?? stack);

/** The lab passphrase's file, in the repository tools/env.sh names (ZFSFLEET_REPO), else in the working directory's. */
export const labPassphraseFile = (env: Env): string => join(env.ZFSFLEET_REPO ?? process.cwd(), "stacks", "lab.passphrase");

export interface PassphraseOptions {
  /** Where the lab passphrase is (default: labPassphraseFile(env)). */
  labFile?: string;
}

/**
 * The passphrase the Pulumi CLI would use with `env`, read as it reads it
 * (pkg/secrets/passphrase: PULUMI_CONFIG_PASSPHRASE when set, even empty,
 * else the trimmed content of a non-empty PULUMI_CONFIG_PASSPHRASE_FILE), or
 * undefined when neither is set.
 */
export function passphraseIn(env: Env): { value: string; from: string } | undefined {
  if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) return { value: env.PULUMI_CONFIG_PASSPHRASE, from: "PULUMI_CONFIG_PASSPHRASE" };
  const file = env.PULUMI_CONFIG_PASSPHRASE_FILE;
  if (file === undefined || file === "") return undefined;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new PassphraseError(`cannot read PULUMI_CONFIG_PASSPHRASE_FILE=${file}: ${(err as Error).message}`);
  }
  return { value: text.trim(), from: `PULUMI_CONFIG_PASSPHRASE_FILE=${file}` };
}

const HOW = (stack: string) =>
  `Set your own passphrase for it, kept out of the repository, e.g.\n` +
  `  (umask 077; head -c 32 /dev/urandom | base64 > ~/.config/zfs-fleet-${stack}.passphrase)\n` +
  `  export PULUMI_CONFIG_PASSPHRASE_FILE=~/.config/zfs-fleet-${stack}.passphrase\n` +
  `(or PULUMI_CONFIG_PASSPHRASE), and keep it where the other operators can get it.`;

/**
 * The environment to run the Pulumi CLI with for `stack`: for a lab stack,
 * the lab passphrase when no other is set; for any other stack, `env` as it
 * is, provided it sets a passphrase that is neither empty nor the lab's.
 * Throws PassphraseError saying how to set one.
 */
export function passphraseEnvFor(stack: string, env: Env, opts: PassphraseOptions = {}): Env {
  const labFile = opts.labFile ?? labPassphraseFile(env);
  const given = passphraseIn(env);
  if (isLabStack(stack)) {
    if (given && given.value !== "") return { ...env };
    const out: Env = { ...env, PULUMI_CONFIG_PASSPHRASE_FILE: labFile };
    delete out.PULUMI_CONFIG_PASSPHRASE;
    return out;
  }
  if (!given || given.value === "") {
    throw new PassphraseError(
      `stack ${stack} is not a lab stack, and no passphrase is set for its secrets${given ? ` (${given.from} is empty)` : ""}. ` +
        `The lab passphrase (stacks/lab.passphrase) is public and applies to lab-* stacks only.\n${HOW(stack)}`,
    );
  }
  let lab: string | undefined;
  try {
    lab = readFileSync(labFile, "utf8").trim();
  } catch {
    lab = undefined; // no lab passphrase to mistake for this one
  }
  if (lab !== undefined && given.value === lab) {
    throw new PassphraseError(
      `stack ${stack} is not a lab stack, but the passphrase set (${given.from}) is the lab's, which is public ` +
        `(stacks/lab.passphrase): its secrets would be readable by anyone with the repository.\n${HOW(stack)}`,
    );
  }
  return { ...env };
}

// ---------------------------------------------------------------------------
// The CLI wrapper's question: which stack is this command for?

/** Commands that never touch a stack's secrets. */
const STACKLESS = new Set([
  "version", "help", "login", "logout", "whoami", "plugin", "gen-completion", "completion", "new", "about",
  "policy", "org", "schema", "convert", "package", "template", "env", "ai", "install", "console",
]);
/** Flags whose value is the next word (the CLI's global ones and those of `stack init/select/rm`). */
const VALUED = new Set([
  "-s", "--stack", "-C", "--cwd", "--color", "-v", "--verbose", "--tracing", "--tracing-header", "--profiling",
  "--memprofilerate", "--secrets-provider", "--copy-config-from", "--teams", "--otel-traces",
]);

export interface Target {
  /** The stack named by the command line (-s, --stack, --stack=, or `stack init|select|rm NAME`). */
  stack?: string;
  /** The command needs no stack (version, login, plugin, --help, ...). */
  stackless: boolean;
  /** The project directory (-C, --cwd). */
  cwd?: string;
  /** A secrets provider other than the passphrase (--secrets-provider=awskms://...). */
  otherSecretsProvider: boolean;
}

/** What a pulumi command line says about its stack. Pure. */
export function targetOf(args: readonly string[]): Target {
  const positional: string[] = [];
  const t: Target = { stackless: false, otherSecretsProvider: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      positional.push(...args.slice(i + 1));
      break;
    }
    const [name, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const short = /^-[sC]./.test(a) && !a.startsWith("--") ? [a.slice(0, 2), a.slice(2)] : undefined;
    let value: string | undefined;
    if (short) value = short[1];
    else if (inline !== undefined) value = inline;
    else if (VALUED.has(name)) value = args[++i];
    const flag = short ? short[0] : name;
    if (a === "-h" || a === "--help") t.stackless = true;
    if (flag === "-s" || flag === "--stack") t.stack = value;
    else if (flag === "-C" || flag === "--cwd") t.cwd = value;
    else if (flag === "--secrets-provider" && value !== undefined && value !== "passphrase") t.otherSecretsProvider = true;
    else if (!a.startsWith("-")) positional.push(a);
  }
  if (positional.length === 0 || STACKLESS.has(positional[0])) t.stackless = true;
  if (positional[0] === "stack") {
    if (positional[1] === "ls") t.stackless = true;
    if (["init", "select", "rm"].includes(positional[1]) && positional[2] !== undefined && t.stack === undefined) t.stack = positional[2];
  }
  return t;
}

/** The stack a command is for: the command line, PULUMI_STACK, else the selected stack (asked of the real CLI). */
export function stackFor(args: readonly string[], env: Env, realPulumi: string): string | undefined {
  const t = targetOf(args);
  if (t.stackless || t.otherSecretsProvider) return undefined;
  if (t.stack) return t.stack;
  if (env.PULUMI_STACK) return env.PULUMI_STACK;
  try {
    const name = execFileSync(realPulumi, ["stack", "--show-name", "--non-interactive", ...(t.cwd ? ["--cwd", t.cwd] : [])], {
      env: env as NodeJS.ProcessEnv,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 60_000,
    }).trim();
    return name || undefined;
  } catch {
    return undefined; // no project or no stack selected: the CLI says so itself
  }
}

/**
 * For tools/bin/pulumi: prints what to change in the environment, one line
 * each (`NAME=value` to set, `NAME` to unset), or says why not and exits 1.
 */
function cli(argv: string[]): number {
  const [real, sep, ...args] = argv;
  if (!real || sep !== "--") {
    console.error("usage: node tools/passphrase.ts --cli <real pulumi> -- <pulumi arguments>");
    return 2;
  }
  const env = process.env as Env;
  const stack = stackFor(args, env, real);
  if (stack === undefined) return 0;
  try {
    const out = passphraseEnvFor(stack, env);
    for (const name of ["PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"]) {
      if (out[name] === env[name]) continue;
      console.log(out[name] === undefined ? name : `${name}=${out[name]}`);
    }
    return 0;
  } catch (err) {
    if (!(err instanceof PassphraseError)) throw err;
    console.error(`pulumi (zfs-fleet): refused, nothing was run: ${err.message}`);
    return 1;
  }
}

if (process.argv[1]?.endsWith("tools/passphrase.ts") && process.argv[2] === "--cli") process.exit(cli(process.argv.slice(3)));
