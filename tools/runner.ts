// Drives a fleet of stacks of one Pulumi project through the Automation API
// (@pulumi/pulumi/automation) with the project's own CLI: each stack starts
// as soon as the stacks it reads are done, so stacks with no reference
// between them preview and apply side by side; every line of progress names
// its stack. What a stack would do is read from the engine's structured
// events (tools/review.ts), and a preview can save the engine's update plan
// so that an apply does exactly what was reviewed.
//
// tools/fleet.ts binds it to the fleet's stacks; the engine tests to
// throwaway ones.
import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { execFileSync } from "node:child_process";
import {
  type EngineEvent,
  LocalWorkspace,
  type PreviewOptions,
  PulumiCommand,
  Stack,
  type UpOptions,
} from "@pulumi/pulumi/automation/index.js";
import { explainLocked, isAlive } from "./lock.ts";
import { passphraseEnvFor } from "./passphrase.ts";
import { type Preview, previewFromEvents, violationOf } from "./review.ts";

/** A stack and the stacks whose outputs it reads, each with how many of its references point there. */
export interface StackSpec {
  name: string;
  reads: Record<string, number>;
}

export interface Schedule {
  /** One order that respects `after`: the order to read and to run one at a time. */
  order: string[];
  /** Stack -> the stacks it waits for. */
  after: Record<string, string[]>;
  /** References left out to break a cycle: [reader, read]; the reader sees the read stack's last applied outputs. */
  broken: [string, string][];
}

/**
 * When each stack may run: after every stack it reads. A cycle (two stacks
 * that read each other) is broken at the stack read the most (by references,
 * then by its place in `stacks`): it goes first and reads the others' last
 * applied outputs. Pure and deterministic.
 */
export function schedule(stacks: readonly StackSpec[]): Schedule {
  const names = stacks.map((s) => s.name);
  const known = new Set(names);
  const after: Record<string, string[]> = Object.fromEntries(
    stacks.map((s) => [s.name, Object.keys(s.reads).filter((r) => known.has(r) && r !== s.name)]),
  );
  const broken: [string, string][] = [];
  const order: string[] = [];
  const done = new Set<string>();
  // In rounds: every stack whose reads are done, in the order given; when
  // none is (a cycle), the one read the most goes and its waits are dropped.
  while (order.length < names.length) {
    const left = names.filter((n) => !done.has(n));
    let round = left.filter((n) => after[n].every((d) => done.has(d)));
    if (round.length === 0) {
      const readBy = (n: string) => stacks.filter((s) => !done.has(s.name) && s.name !== n).reduce((sum, s) => sum + (s.reads[n] ?? 0), 0);
      const next = left.reduce((best, n) => (readBy(n) > readBy(best) ? n : best));
      for (const d of after[next].filter((d) => !done.has(d))) broken.push([next, d]);
      after[next] = after[next].filter((d) => done.has(d));
      round = [next];
    }
    for (const n of round) {
      order.push(n);
      done.add(n);
    }
  }
  for (const n of names) after[n].sort();
  return { order, after, broken };
}

/** The project's CLI: the one tools/setup-pulumi.sh recorded in .pulumi/bin-dir, else `pulumi` on PATH. */
export async function projectCli(repo: string): Promise<PulumiCommand> {
  const recorded = join(repo, ".pulumi", "bin-dir");
  const bin = existsSync(recorded)
    ? readFileSync(recorded, "utf8").trim()
    : dirname(execFileSync("sh", ["-c", "command -v pulumi"], { encoding: "utf8" }).trim());
  // PulumiCommand runs <root>/bin/pulumi.
  return PulumiCommand.get({ root: dirname(bin), skipVersionCheck: true });
}

export interface RunnerOptions {
  /** The project's directory (its Pulumi.yaml). */
  workDir: string;
  cli: PulumiCommand;
  /** Policy packs (directories) every preview and up runs. */
  policyPacks?: string[];
  /** One policy config file per pack (--policy-pack-config), or none. */
  policyPackConfigs?: string[];
  /** Where progress goes, one line at a time. */
  log?: (line: string) => void;
  /** Told of every engine operation once it ended (the engine tests read the timings). */
  onRun?: (run: StackRun, what: "preview" | "up") => void;
  /** How a refused operator reruns with a wait, for the lock message. */
  waitHint?: string;
}

export interface StackRun {
  stack: string;
  ok: boolean;
  /** What the preview (or the apply) would do or did, in `pulumi preview --json`'s shape. */
  preview: Preview;
  /** When the run started and ended, and when its first and last engine event arrived (ms since the epoch). */
  startedAt: number;
  endedAt: number;
  firstEventAt?: number;
  lastEventAt?: number;
  /** Why it failed or did not run. */
  error?: string;
  /** The engine's failure when it refused the run because another run holds the stack's lock (for --wait). */
  locked?: unknown;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const PAST: Record<string, string> = { create: "created", update: "updated", delete: "deleted", replace: "replaced", "create-replacement": "created (replacement)", "delete-replaced": "deleted (replaced)", import: "imported" };
const SYMBOL: Record<string, string> = { create: "+", update: "~", delete: "-", replace: "+-", "create-replacement": "++", "delete-replaced": "--", import: "=" };
const describeUrn = (urn: string) => `${urn.split("::")[2]?.split(":").pop()} ${urn.split("::").pop()}`;

const changesOf = (summary: Record<string, number> | undefined, preview: boolean) => {
  const verbs: Record<string, string> = preview
    ? { create: "to create", update: "to update", replace: "to replace", delete: "to delete", same: "unchanged" }
    : { create: "created", update: "updated", replace: "replaced", delete: "deleted", same: "unchanged" };
  const parts = Object.entries(summary ?? {}).map(([op, n]) => `${n} ${verbs[op] ?? op}`);
  return parts.length > 0 ? parts.join(", ") : "nothing";
};

/** What a failed CLI run says went wrong: its last `error:` line (the Automation API's message starts with the exit code). */
function reasonOf(err: Error): string {
  const lines = err.message.split("\n").map((l) => l.trim());
  const errors = lines.filter((l) => /^error: /.test(l) || / error: /.test(l));
  return errors.at(-1)?.replace(/^.*?error: /, "") ?? lines.find((l) => l !== "") ?? "the CLI failed";
}

/** The last lines of the CLI's own text, for a failure. */
const tail = (text: string, lines = 25) => text.trimEnd().split("\n").slice(-lines);

export class Runner {
  private readonly log: (line: string) => void;
  private readonly opts: RunnerOptions;

  constructor(opts: RunnerOptions) {
    this.opts = opts;
    this.log = opts.log ?? ((line) => process.stdout.write(`${line}\n`));
  }

  private say(stack: string, text: string) {
    for (const line of text.split("\n")) this.log(`[${stack}] ${line}`);
  }

  private async select(stack: string): Promise<Stack> {
    // The lab passphrase for lab-* stacks only; any other stack needs its operator's own (tools/passphrase.ts).
    const env = passphraseEnvFor(stack, process.env);
    const envVars = Object.fromEntries(
      ["PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"].flatMap((k) => (env[k] !== undefined ? [[k, env[k] as string]] : [])),
    );
    const ws = await LocalWorkspace.create({ workDir: this.opts.workDir, pulumiCommand: this.opts.cli, envVars });
    return Stack.select(stack, ws);
  }

  /** One engine operation on one stack, its events collected and its progress shown. */
  private async operate(stack: string, what: "preview" | "up", extra: { plan?: string; refresh?: boolean }): Promise<StackRun> {
    const run: StackRun = { stack, ok: false, preview: {}, startedAt: Date.now(), endedAt: 0 };
    const events: EngineEvent[] = [];
    const started = new Map<string, number>();
    let output = "";
    const onEvent = (e: EngineEvent) => {
      const now = Date.now();
      run.firstEventAt ??= now;
      run.lastEventAt = now;
      events.push(e);
      const pre = e.resourcePreEvent?.metadata;
      if (pre) started.set(`${pre.op} ${pre.urn}`, now);
      const done = e.resOutputsEvent?.metadata;
      if (what === "up" && done && PAST[done.op] && !done.urn.includes("::pulumi:providers:")) {
        const t0 = started.get(`${done.op} ${done.urn}`) ?? now;
        this.say(stack, `${SYMBOL[done.op]} ${describeUrn(done.urn)} ${PAST[done.op]} (${seconds(now - t0)})`);
      }
      const failed = e.resOpFailedEvent?.metadata;
      if (failed) this.say(stack, `! ${describeUrn(failed.urn)}: ${failed.op} failed`);
      if (e.diagnosticEvent?.severity === "error") this.say(stack, `error: ${e.diagnosticEvent.message.trim()}`);
      if (e.policyEvent) this.say(stack, `policy ${e.policyEvent.policyName} (${e.policyEvent.enforcementLevel}): ${violationOf(e.policyEvent.message)}`);
    };
    const common = {
      onEvent,
      onOutput: (text: string) => (output += text),
      color: "never" as const,
      policyPacks: this.opts.policyPacks,
      policyPackConfigs: this.opts.policyPackConfigs,
    };
    try {
      const s = await this.select(stack);
      this.say(stack, what === "preview" ? `previewing${extra.plan ? " (saving the plan)" : ""}${extra.refresh ? " with a refresh (reads the hosts)" : ""}` : `applying${extra.plan ? " the reviewed plan" : ""}`);
      if (what === "preview") {
        await s.preview({ ...common, plan: extra.plan, refresh: extra.refresh } satisfies PreviewOptions);
      } else {
        await s.up({ ...common, plan: extra.plan, suppressOutputs: true } satisfies UpOptions);
      }
      run.ok = true;
    } catch (err) {
      const locked = explainLocked(err, { stack, now: new Date(), hostname: hostname(), isAlive, waitHint: this.opts.waitHint });
      if (locked) {
        // The engine refused before the program ran: nothing changed. The caller says who holds it.
        run.error = "the stack is locked by another run";
        run.locked = err;
      } else {
        run.error = reasonOf(err as Error);
        for (const line of tail(output)) this.say(stack, `| ${line}`);
      }
    }
    run.endedAt = Date.now();
    run.preview = previewFromEvents(events);
    const verb = what === "preview" ? "previewed" : "applied";
    this.opts.onRun?.(run, what);
    this.say(stack, run.ok ? `${verb} in ${seconds(run.endedAt - run.startedAt)}: ${changesOf(run.preview.changeSummary, what === "preview")}` : `FAILED after ${seconds(run.endedAt - run.startedAt)}: ${run.error}`);
    return run;
  }

  preview(stack: string, plan?: string): Promise<StackRun> {
    return this.operate(stack, "preview", { plan });
  }

  /** A preview that reads the hosts first (`preview --refresh`): what the resources' reads record shows in it. No plan. */
  previewRefreshed(stack: string): Promise<StackRun> {
    return this.operate(stack, "preview", { refresh: true });
  }

  up(stack: string, plan?: string): Promise<StackRun> {
    return this.operate(stack, "up", { plan });
  }

  /**
   * Runs `work` on each stack once the stacks it waits for are done: side by
   * side where the schedule allows. A stack whose wait ended in a failure
   * does not run. Results come back in the schedule's order.
   */
  async each<T extends { ok: boolean }>(
    plan: Schedule,
    work: (stack: string) => Promise<T>,
    skipped: (stack: string, because: string) => T,
  ): Promise<T[]> {
    const runs = new Map<string, Promise<T>>();
    const start = (stack: string): Promise<T> => {
      let p = runs.get(stack);
      if (!p) {
        p = Promise.all(plan.after[stack].map(start)).then((deps) => {
          const failed = plan.after[stack].filter((_, i) => !deps[i].ok);
          if (failed.length > 0) {
            const because = `not run: ${failed.join(", ")}, which it reads, did not succeed`;
            this.say(stack, because);
            return skipped(stack, because);
          }
          return work(stack);
        });
        runs.set(stack, p);
      }
      return p;
    };
    return Promise.all(plan.order.map(start));
  }
}
