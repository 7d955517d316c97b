// Drives the real Pulumi CLI for lab tests: a throwaway project (named
// zfs-fleet, so the provider reads its usual config keys) in a temp dir, with
// its own file backend, config pointing at the lab, and a program given as
// TypeScript source. Every remote command the provider runs is appended to a
// stats file, so a test can count them from outside the provider process.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { track } from "./health";
import { type HostName, lab } from "./support";

export const repo = resolve(__dirname, "../..");

export interface CommandRecord {
  host: string;
  event: "command" | "connect";
  command?: string;
  exit?: number;
  /** When it was recorded (at its end), and how long it took. */
  at?: string;
  ms?: number;
}

export interface PreviewStep {
  op: string;
  urn: string;
  oldState?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  newState?: { type?: string; inputs?: Record<string, unknown> };
}

export class PulumiError extends Error {
  constructor(
    readonly args: string[],
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`pulumi ${args.join(" ")} failed:\n${stdout}\n${stderr}`);
  }

  /** What an operator reads: stdout and stderr, with the messages of a `--json` run decoded. */
  get text(): string {
    let diagnostics = "";
    try {
      const parsed = JSON.parse(this.stdout) as { diagnostics?: { message?: string }[] };
      diagnostics = (parsed.diagnostics ?? []).map((d) => d.message ?? "").join("\n");
    } catch {
      // not a --json run
    }
    return `${this.stdout}\n${this.stderr}\n${diagnostics}`;
  }
}

/**
 * The project's node_modules for a test program: every package of the
 * checkout's, but `zfs-fleet-provider` (what the dynamic-provider host loads)
 * is this checkout's provider/. A plain link to node_modules would do the
 * same in a checkout of its own; in a git worktree whose node_modules links
 * to another checkout's, the package's relative link would resolve there and
 * the engine would run that checkout's provider.
 */
function linkModules(dir: string): void {
  const from = realpathSync(join(repo, "node_modules"));
  const to = join(dir, "node_modules");
  mkdirSync(to);
  for (const entry of readdirSync(from)) {
    symlinkSync(entry === "zfs-fleet-provider" ? join(repo, "provider") : join(from, entry), join(to, entry));
  }
}

export class TestStack {
  readonly dir: string;
  readonly statsFile: string;
  private readonly env: NodeJS.ProcessEnv;

  private constructor(
    readonly stack: string,
    shared?: TestStack,
  ) {
    this.dir = shared?.dir ?? mkdtempSync(join(tmpdir(), "zfs-fleet-lab-"));
    this.statsFile = join(this.dir, "commands.jsonl");
    this.env = {
      ...process.env,
      PULUMI_BACKEND_URL: `file://${this.dir}`,
      PULUMI_CONFIG_PASSPHRASE: "lab-test",
      PULUMI_CONFIG_PASSPHRASE_FILE: "",
      ZFSFLEET_STATS_FILE: this.statsFile,
      ZFSFLEET_LOG_FILE: join(this.dir, "provider.log"),
    };
  }

  /** A stack whose program is `source` (TypeScript; `provider` is imported as "zfs-fleet-provider/src"). */
  static async create(stack: string, hosts: readonly HostName[], source: string): Promise<TestStack> {
    const s = new TestStack(stack);
    writeFileSync(join(s.dir, "Pulumi.yaml"), "name: zfs-fleet\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n");
    writeFileSync(join(s.dir, "package.json"), JSON.stringify({ name: "zfs-fleet-lab-test", main: "index.ts" }));
    linkModules(s.dir);
    s.program(source);
    return s.init(hosts);
  }

  /**
   * Another stack of the same project, backend and program (the program tells
   * them apart with pulumi.getStack()), so one can read the other's outputs.
   */
  async sibling(stack: string, hosts: readonly HostName[]): Promise<TestStack> {
    return new TestStack(stack, this).init(hosts);
  }

  private async init(hosts: readonly HostName[]): Promise<TestStack> {
    const s = this;
    await s.pulumi("stack", "init");
    const l = lab();
    // The hosts' plain settings in one CLI run instead of three per host (a run costs about 0.25 s
    // here); the key alone on standard input, never on a command line.
    const plain = hosts.flatMap((h) => {
      const info = l.hosts[h];
      return [`zfs-fleet:hosts.${h}.address=${info.host}`, `zfs-fleet:hosts.${h}.port=${info.port}`, `zfs-fleet:hosts.${h}.hostKey=${info.hostKey}`];
    });
    await s.pulumi("config", "set-all", "--path", ...plain.flatMap((kv) => ["--plaintext", kv]));
    await s.pulumiWithInput(readFileSync(l.hosts[hosts[0]].privateKeyPath, "utf8"), "config", "set", "--secret", "zfs-fleet:sshPrivateKey");
    return s;
  }

  program(source: string): void {
    writeFileSync(join(this.dir, "index.ts"), source.replace(/zfs-fleet-provider\/src/g, join(repo, "provider")));
  }

  async pulumi(...args: string[]): Promise<string> {
    return this.pulumiWithInput(undefined, ...args);
  }

  /** Runs the CLI with `input` on its standard input (secrets never go on a command line). */
  async pulumiWithInput(input: string | undefined, ...args: string[]): Promise<string> {
    return new Promise((resolvePromise, reject) => {
      const child = track(execFile(
        "pulumi",
        [...args, "--non-interactive", "-s", this.stack],
        { cwd: this.dir, env: this.env, maxBuffer: 64 << 20 },
        (err, stdout, stderr) => (err ? reject(new PulumiError(args, stdout, stderr)) : resolvePromise(stdout)),
      ));
      child.stdin?.on("error", () => undefined); // the exit status tells what happened
      child.stdin?.end(input ?? "");
    });
  }

  async setConfig(key: string, value: string): Promise<void> {
    // On standard input: a value may start with a dash (a syncoid flag), which the CLI would take for
    // an option on its command line (and a "--" there would make the flags appended after it values).
    await this.pulumiWithInput(value, "config", "set", "--path", key);
  }

  async up(): Promise<string> {
    return this.pulumi("up", "--yes", "--skip-preview");
  }

  async preview(...extra: string[]): Promise<{ steps: PreviewStep[]; changeSummary: Record<string, number> }> {
    return JSON.parse(await this.pulumi("preview", "--json", ...extra));
  }

  async refresh(): Promise<string> {
    return this.pulumi("refresh", "--yes", "--skip-preview");
  }

  async outputs(): Promise<Record<string, unknown>> {
    return JSON.parse(await this.pulumi("stack", "output", "--json", "--show-secrets"));
  }

  async state(): Promise<{ type: string; urn: string; id?: string; outputs?: Record<string, unknown> }[]> {
    const exported = JSON.parse(await this.pulumi("stack", "export"));
    return exported.deployment.resources ?? [];
  }

  /** The commands the provider ran since the last call. */
  takeCommands(): CommandRecord[] {
    if (!existsSync(this.statsFile)) return [];
    const lines = readFileSync(this.statsFile, "utf8").split("\n").filter(Boolean);
    writeFileSync(this.statsFile, "");
    return lines.map((l) => JSON.parse(l) as CommandRecord);
  }

  async dispose(): Promise<void> {
    // Forget the stack without touching the hosts: the lab is reset between files.
    await this.pulumi("stack", "rm", "--yes", "--force").catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The Dataset steps of a preview, by resource name. */
export function datasetSteps(steps: readonly PreviewStep[]): Map<string, PreviewStep> {
  return new Map(
    steps.filter((s) => s.urn.includes(":Dataset::")).map((s) => [s.urn.split("::").pop()!, s]),
  );
}
