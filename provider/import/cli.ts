#!/usr/bin/env node
// zfs-fleet-import: reads a live host over one SSH connection, in one remote
// command, and writes a program module that adopts it as it is (describe.ts,
// render.ts). The package's bin; in this repository `node tools/import.ts`.
//
//   zfs-fleet-import HOST --address ADDR [--port 22] [--user root] [--sudo]
//       (--host-key "ssh-ed25519 AAAA..." | --known-hosts FILE) (--key FILE | --agent)
//       [--sanoid-conf PATH] [--syncoid-args PATH] [--out FILE] [--previous FILE]
//       [--provider-import SPEC] [--save-output FILE] [--report FILE]
//   zfs-fleet-import HOST --stack STACK [...]     connection facts and key from the stack's config
//   zfs-fleet-import HOST --from-output FILE [...]  describe a saved read (--save-output), offline
//
// The connection follows the provider's own rules (config.ts): the host key
// must be pinned, a @revoked one is refused, the key stays in memory.
// Nothing is written on the host: the read is `zfs get`, `zfs allow` and the
// provider's read script (which refuses a symbolic link).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostTable } from "../config";
import { HOST_NAME } from "../names";
import { configureHosts, stats } from "../transport";
import { describeHost } from "./describe";
import { type Paths, parseHostOutput, readHost } from "./facts";
import { previousKeys, renderModule } from "./render";

export class UsageError extends Error {}

const FLAGS = new Set(["--sudo", "--agent"]);
const OPTIONS = new Set([
  "--address", "--port", "--user", "--host-key", "--known-hosts", "--key", "--sanoid-conf", "--syncoid-args",
  "--stack", "--out", "--previous", "--provider-import", "--save-output", "--from-output", "--report",
]);

export interface Args {
  host: string;
  options: Record<string, string>;
  flags: Set<string>;
}

export function parseCommandLine(argv: readonly string[]): Args {
  const options: Record<string, string> = {};
  const flags = new Set<string>();
  let host: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [name, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    if (FLAGS.has(name)) flags.add(name);
    else if (OPTIONS.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      options[name] = value;
    } else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
    else if (host === undefined) host = a;
    else throw new UsageError(`one host at a time (got ${host} and ${a})`);
  }
  if (!host) throw new UsageError("give the host's name (as the stack's zfs-fleet:hosts names it)");
  if (!HOST_NAME.test(host)) throw new UsageError(`"${host}" is not a host name (lowercase letters, digits and -, as in zfs-fleet:hosts)`);
  return { host, options, flags };
}

/** `pulumi config --json --show-secrets -s STACK`: each key's value (JSON text for objects). */
function stackConfig(stack: string): Record<string, unknown> {
  const text = execFileSync("pulumi", ["config", "--json", "--show-secrets", "-s", stack], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const raw = JSON.parse(text) as Record<string, { value?: string; objectValue?: unknown }>;
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.objectValue ?? v.value]));
}

/** The provider's config keys for this one host, from the command line or the stack. */
function connectionConfig(a: Args): Record<string, unknown> {
  const o = a.options;
  if (o["--stack"]) {
    const config = stackConfig(o["--stack"]);
    const hosts = typeof config["zfs-fleet:hosts"] === "string" ? JSON.parse(config["zfs-fleet:hosts"] as string) : config["zfs-fleet:hosts"];
    const mine = (hosts as Record<string, unknown> | undefined)?.[a.host];
    if (!mine) throw new UsageError(`stack ${o["--stack"]} has no zfs-fleet:hosts.${a.host}`);
    return { hosts: { [a.host]: mine }, sshPrivateKey: config["zfs-fleet:sshPrivateKey"], sshAgent: a.flags.has("--agent") ? "true" : config["zfs-fleet:sshAgent"] };
  }
  if (!o["--address"]) throw new UsageError("give --address (or --stack STACK to take the host's connection from a stack's config)");
  if (!o["--host-key"] && !o["--known-hosts"]) throw new UsageError("pin the host's key: --host-key \"ssh-ed25519 AAAA...\" or --known-hosts FILE (verify it out of band)");
  if (!o["--key"] && !a.flags.has("--agent")) throw new UsageError("give --key FILE (a private key) or --agent (SSH_AUTH_SOCK)");
  const entry: Record<string, unknown> = { address: o["--address"], port: o["--port"] ?? "22", user: o["--user"] ?? "root", sudo: a.flags.has("--sudo") };
  if (o["--host-key"]) entry.hostKey = o["--host-key"];
  if (o["--known-hosts"]) entry.knownHosts = readFileSync(o["--known-hosts"], "utf8");
  if (o["--sanoid-conf"]) entry.sanoidConf = o["--sanoid-conf"];
  if (o["--syncoid-args"]) entry.syncoidArgs = o["--syncoid-args"];
  return { hosts: { [a.host]: entry }, sshPrivateKey: o["--key"] ? readFileSync(o["--key"], "utf8") : undefined, sshAgent: a.flags.has("--agent") ? "true" : undefined };
}

export interface Report {
  host: string;
  /** Remote commands and connections the read took, and its wall time. */
  commands: number;
  connections: number;
  seconds: number;
  counts: Record<"datasets" | "grants" | "templates" | "policies" | "pulls" | "shares" | "unmanaged", number>;
  out?: string;
}

/** The package's version: its package.json is one folder up from the sources, three from the compiled file. */
const VERSION = (() => {
  for (const path of ["../package.json", "../../../package.json"]) {
    try {
      const p = require(path) as { name?: string; version?: string };
      if (p.name === "zfs-fleet-provider") return p.version;
    } catch {
      // not there
    }
  }
  return undefined;
})();

/** Runs the import; returns what it did (the module goes to --out, or stdout). */
export async function main(argv: readonly string[], log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<Report> {
  const a = parseCommandLine(argv);
  const o = a.options;
  const started = Date.now();
  let stdout: string;
  let nonce: string;
  let paths: Paths;
  if (o["--from-output"]) {
    const saved = JSON.parse(readFileSync(o["--from-output"], "utf8")) as { nonce: string; stdout: string; paths: Paths };
    ({ stdout, nonce, paths } = saved);
  } else {
    const config = connectionConfig(a);
    const table = hostTable((key) => config[key]);
    configureHosts(table);
    paths = table[a.host].files;
    const read = await readHost(a.host, paths);
    ({ nonce } = read);
    stdout = read.raw.stdout;
  }
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  if (o["--save-output"]) writeFileSync(o["--save-output"], `${JSON.stringify({ host: a.host, nonce, paths, stdout })}\n`);
  const facts = parseHostOutput(stdout, nonce, paths);
  const previousFile = o["--previous"] ?? (o["--out"] && existsSync(o["--out"]) ? o["--out"] : undefined);
  const description = describeHost(a.host, facts, { previousKeys: previousFile ? previousKeys(readFileSync(previousFile, "utf8")) : undefined });
  const module = renderModule(description, {
    providerImport: o["--provider-import"],
    version: VERSION,
    command: `zfs-fleet-import ${a.host}`,
  });
  if (o["--out"]) writeFileSync(o["--out"], module);
  else process.stdout.write(module);
  const s = stats()[a.host] ?? { commands: 0, connections: 0 };
  const report: Report = {
    host: a.host,
    commands: s.commands,
    connections: s.connections,
    seconds,
    counts: {
      datasets: description.datasets.length,
      grants: description.grants.length,
      templates: description.templates.length,
      policies: description.policies.length,
      pulls: description.pulls.length,
      shares: description.shares.length,
      unmanaged: description.unmanaged.length,
    },
    out: o["--out"],
  };
  const c = report.counts;
  log(
    `${a.host}: read in ${s.commands} remote command(s) over ${s.connections} connection(s), ${seconds} s; ` +
      `${c.datasets} datasets, ${c.grants} grants, ${c.templates} templates, ${c.policies} policies, ${c.pulls} pulls, ${c.shares} shares` +
      (c.unmanaged ? `; ${c.unmanaged} thing(s) left as they are (listed in the module's header)` : ""),
  );
  if (o["--report"]) writeFileSync(o["--report"], `${JSON.stringify(report)}\n`);
  return report;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    // The pooled connection would keep the process alive.
    () => process.exit(0),
    (err: Error) => {
      process.stderr.write(`zfs-fleet-import: ${err.message}\n`);
      process.exit(err instanceof UsageError ? 2 : 1);
    },
  );
}
