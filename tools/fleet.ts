// Previews or applies every host stack through the Automation API
// (tools/runner.ts) in the order their references need, and prints one
// combined review (tools/review.ts). The policy pack (policy/) runs on every
// preview and up.
//
//   node tools/fleet.ts preview [--lab] [--json-dir DIR] [--save DIR]
//   node tools/fleet.ts up [--lab] [--allow-destroy] [--json-dir DIR]
//   node tools/fleet.ts up [--lab] [--allow-destroy] --from DIR
//   node tools/fleet.ts stacks [--lab]        the stacks, one per line, in that order
//   --sequential: one stack at a time in that order (to compare with side by side)
//   --wait SECONDS: while another run holds a stack's lock, retry (preview and apply again) for up to
//     that long instead of failing at once with who holds it (tools/lock.ts)
//
// Order: a host's stack reads the stacks of the hosts it pulls from
// (stacks/program.ts, SourceStacks), so it runs after them; stacks that read
// neither way run side by side. off1 and off2 pull from each other, a cycle:
// the stack read by the most pulls goes first (off2) and reads the other's
// last applied outputs (the fleet description stands in for one it does not
// have yet). For today's fleet: off2, then off1, then ovh3.
//
// `up` previews each stack right before applying it (an earlier stack's new
// outputs may change what a later one does), saves that preview's update
// plan, and applies exactly that plan. `preview --save DIR` writes the
// review (review.txt, review.md), each stack's preview and plan; `up --from
// DIR` previews each stack again, refuses one whose preview differs from the
// reviewed one in any step or input (naming each difference; then nothing is
// applied), and applies the saved plans, which the engine holds the update
// to. A stack is checked again before its apply when a stack it reads was
// applied just before: its review saw that stack's old outputs.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { HOSTS, PULLS } from "../stacks/fleet.ts";
import { type Preview, hazardousSteps, planDifferences, render, renderMarkdown, review } from "./review.ts";
import { hostname } from "node:os";
import { isAlive, LockedError, retryWhileLocked } from "./lock.ts";
import { Runner, type StackRun, type StackSpec, projectCli, schedule } from "./runner.ts";

/** The checkout (tools/env.sh exports it; the Makefile and the demo run from it). */
const repo = resolve(process.env.ZFSFLEET_REPO ?? ".");

/** The host stacks and what each reads: the stack of every host it pulls from, weighted by its pulls. */
export function fleetStacks(lab: boolean): StackSpec[] {
  const prefix = lab ? "lab-" : "";
  return HOSTS.map((host) => {
    const reads: Record<string, number> = {};
    for (const p of PULLS[host]) reads[`${prefix}${p.from}`] = (reads[`${prefix}${p.from}`] ?? 0) + 1;
    return { name: `${prefix}${host}`, reads };
  });
}

export interface Fleet {
  workDir: string;
  stacks: StackSpec[];
  policyPacks: string[];
}

export const FLEET = (lab: boolean): Fleet => ({ workDir: repo, stacks: fleetStacks(lab), policyPacks: [join(repo, "policy")] });

/** The rules of policy/ that --allow-destroy turns off for the run. */
const DATA_RULES = { "dataset-data-kept": "disabled", "dataset-data-kept-on-removal": "disabled" };

interface Manifest {
  savedAt: string;
  order: string[];
  stacks: { stack: string; preview: string; plan: string }[];
}

const readPreview = (file: string) => JSON.parse(readFileSync(file, "utf8")) as Preview;
const hasChanges = (p: Preview) => (p.steps ?? []).some((s) => s.op !== "read");

export interface RunFleetOptions {
  log?: (line: string) => void;
  onRun?: (run: StackRun, what: "preview" | "up") => void;
}

export async function runFleet(fleet: Fleet, argv: string[], options: RunFleetOptions = {}): Promise<number> {
  const logLine = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const log = (text: string) => text.split("\n").forEach((line) => logLine(line));
  const [command, ...rest] = argv;
  const flag = (name: string) => rest.includes(name);
  const value = (name: string) => {
    const at = rest.indexOf(name);
    return at >= 0 ? rest[at + 1] : undefined;
  };
  const plan = schedule(fleet.stacks);
  // One stack at a time, in the same order: to compare with side by side.
  if (flag("--sequential")) plan.order.forEach((s, i) => (plan.after[s] = i === 0 ? [] : [plan.order[i - 1]]));
  if (command === "stacks") {
    for (const s of plan.order) log(s);
    return 0;
  }
  if (command !== "preview" && command !== "up") {
    log("usage: node tools/fleet.ts preview|up|stacks [--lab] [--json-dir DIR] [--save DIR] [--from DIR] [--allow-destroy] [--sequential] [--wait SECONDS]");
    return 2;
  }
  const waitText = value("--wait") ?? "0";
  if (!/^\d{1,6}$/.test(waitText)) {
    log(`--wait wants a whole number of seconds (0 to 999999), not ${JSON.stringify(waitText)}`);
    return 2;
  }
  const waitSeconds = Number(waitText);
  const waitHint = `node tools/fleet.ts ${argv.filter((a, i) => a !== "--wait" && argv[i - 1] !== "--wait").join(" ")} --wait 600`;

  const jsonDir = value("--json-dir");
  const saveDir = command === "preview" ? value("--save") : undefined;
  const fromDir = command === "up" ? value("--from") : undefined;
  for (const d of [jsonDir, saveDir]) if (d) mkdirSync(d, { recursive: true });
  const allowDestroy = flag("--allow-destroy");
  const scratch = mkdtempSync(join(tmpdir(), "zfs-fleet-run-"));
  let policyPackConfigs: string[] | undefined;
  if (allowDestroy && fleet.policyPacks.length > 0) {
    writeFileSync(join(scratch, "allow-destroy.json"), JSON.stringify(DATA_RULES));
    policyPackConfigs = fleet.policyPacks.map(() => join(scratch, "allow-destroy.json"));
  }
  const runner = new Runner({ workDir: fleet.workDir, cli: await projectCli(repo), policyPacks: fleet.policyPacks, policyPackConfigs, log: logLine, onRun: options.onRun, waitHint });
  for (const [reader, read] of plan.broken) log(`(${reader} runs before ${read}, which it reads: it sees ${read}'s last applied outputs)`);
  const failed = (stack: string, because: string): StackRun => ({ stack, ok: false, preview: {}, startedAt: Date.now(), endedAt: Date.now(), error: because });
  const keep = (run: StackRun) => {
    if (jsonDir) writeFileSync(join(jsonDir, `${run.stack}.json`), JSON.stringify(run.preview, null, 1));
  };

  try {
    if (command === "preview") {
      const runs = await runner.each(
        plan,
        async (stack) => {
          const run = await runner.preview(stack, saveDir ? join(saveDir, `${stack}.plan.json`) : undefined);
          keep(run);
          if (saveDir) writeFileSync(join(saveDir, `${stack}.json`), JSON.stringify(run.preview, null, 1));
          return run;
        },
        failed,
      );
      // A stack that moves or removes a dataset: preview it once more with a refresh, so each
      // Dataset's read scans its host (provider/hazards/, one command per host) and the review
      // shows what the move would meet on the step. The saved plan stays the plain preview's.
      const hazards = new Map<string, string[]>();
      await Promise.all(
        runs.filter((r) => r.ok && hazardousSteps(r.preview).length > 0).map(async (r) => {
          const refreshed = await runner.previewRefreshed(r.stack);
          const found = refreshed.ok ? review(r.stack, refreshed.preview).warnings : [`the hazard scan's preview --refresh failed: ${refreshed.error ?? "no reason given"}`];
          hazards.set(r.stack, found);
        }),
      );
      const reviews = runs.map((r) => {
        const rv = review(r.stack, r.preview);
        for (const w of hazards.get(r.stack) ?? []) if (!rv.warnings.includes(w)) rv.warnings.push(w);
        if (!r.ok && rv.errors.length === 0) rv.errors.push(r.error ?? "the preview failed");
        return rv;
      });
      log("");
      log(render(reviews));
      if (jsonDir) writeFileSync(join(jsonDir, "review.md"), `${renderMarkdown(reviews)}\n`);
      const errors = reviews.some((r) => r.errors.length > 0);
      if (saveDir && errors) log(`\nNo plan saved in ${saveDir}: the preview has errors.`);
      if (saveDir && !errors) {
        writeFileSync(join(saveDir, "review.txt"), `${render(reviews)}\n`);
        writeFileSync(join(saveDir, "review.md"), `${renderMarkdown(reviews)}\n`);
        const manifest: Manifest = {
          savedAt: new Date().toISOString(),
          order: plan.order,
          stacks: plan.order.map((stack) => ({ stack, preview: `${stack}.json`, plan: `${stack}.plan.json` })),
        };
        writeFileSync(join(saveDir, "manifest.json"), JSON.stringify(manifest, null, 1));
        const upstreamChanges = plan.order.filter((s) => hasChanges(runs.find((r) => r.stack === s)!.preview));
        for (const s of plan.order) {
          const reads = plan.after[s].filter((d) => upstreamChanges.includes(d));
          if (reads.length > 0) {
            log(`note: ${s} was previewed with the current outputs of ${reads.join(", ")}, which this plan changes; if the outputs ${s} reads change, up --from refuses ${s}: review it again after ${reads.join(", ")} is applied`);
          }
        }
        log(`\nSaved the review and the plans in ${saveDir}; apply exactly them with: node tools/fleet.ts up --from ${saveDir}`);
      }
      return errors ? 1 : 0;
    }

    let manifest: Manifest | undefined;
    if (fromDir) {
      manifest = JSON.parse(readFileSync(join(fromDir, "manifest.json"), "utf8")) as Manifest;
      const saved = manifest.stacks.map((s) => s.stack).sort();
      const wanted = [...plan.order].sort();
      if (JSON.stringify(saved) !== JSON.stringify(wanted)) {
        log(`${fromDir} holds plans for ${saved.join(", ")}, not for this fleet's ${wanted.join(", ")}`);
        return 1;
      }
    }
    const refuse = (stack: string, differences: string[], upstream: string[] = []) => {
      log(`${stack}: REFUSED: what the program would do now is not what was reviewed (${fromDir}):`);
      for (const d of differences) log(`  ${d}`);
      if (upstream.length > 0) log(`  (${stack} reads ${upstream.join(", ")}, applied in this run: review ${stack} again now that its outputs are in place)`);
    };
    if (fromDir) {
      // Every stack first, before anything is applied: a program changed
      // since the review applies nothing. (A stack is checked again right
      // before its apply when a stack it reads was applied in between.)
      const checks = await Promise.all(
        plan.order.map(async (stack) => {
          const now = await runner.preview(stack);
          const differences = now.ok ? planDifferences(readPreview(join(fromDir, `${stack}.json`)), now.preview) : [now.error ?? "the preview failed"];
          if (differences.length > 0) refuse(stack, differences);
          return differences.length === 0;
        }),
      );
      if (!checks.every(Boolean)) {
        log("Nothing was applied.");
        return 1;
      }
    }
    const applied = new Set<string>();
    // A stack another run holds: the whole preview-review-apply again once it is free (that run changed
    // what this one has to do), for up to --wait seconds; with 0, at once the message of who holds it.
    const whileLocked = async (stack: string, attempt: () => Promise<StackRun>): Promise<StackRun> => {
      try {
        return await retryWhileLocked(
          async () => {
            const run = await attempt();
            if (run.locked !== undefined) throw run.locked;
            return run;
          },
          { waitSeconds, stack, hostname: hostname(), isAlive, waitHint, log: (line) => log(line.split("\n").map((l) => `[${stack}] ${l}`).join("\n")) },
        );
      } catch (err) {
        if (!(err instanceof LockedError)) throw err;
        log(err.message.split("\n").map((l) => `[${stack}] ${l}`).join("\n"));
        return failed(stack, "locked by another run");
      }
    };
    const runs = await runner.each(
      plan,
      (stack) => whileLocked(stack, async () => {
        let planFile: string;
        let reviewed: Preview;
        if (fromDir) {
          reviewed = readPreview(join(fromDir, `${stack}.json`));
          planFile = join(fromDir, `${stack}.plan.json`);
          const upstream = plan.after[stack].filter((d) => applied.has(d));
          if (upstream.length > 0) {
            const now = await runner.preview(stack);
            if (!now.ok) return now;
            const differences = planDifferences(reviewed, now.preview);
            if (differences.length > 0) {
              refuse(stack, differences, upstream);
              return { ...now, ok: false, error: "differs from the review" };
            }
          }
        } else {
          planFile = join(scratch, `${stack}.plan.json`);
          const now = await runner.preview(stack, planFile);
          keep(now);
          reviewed = now.preview;
          const r = review(stack, reviewed);
          log(render([r]));
          if (!now.ok || r.errors.length > 0) return { ...now, ok: false };
        }
        if (review(stack, reviewed).destroys.length > 0 && !allowDestroy) {
          log(`${stack}: the preview destroys or replaces data; rerun with --allow-destroy to apply anyway`);
          return failed(stack, "destroys data");
        }
        const run = await runner.up(stack, planFile);
        if (run.ok) applied.add(stack);
        return run;
      }),
      failed,
    );
    return runs.every((r) => r.ok) ? 0 : 1;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith("tools/fleet.ts")) {
  const argv = process.argv.slice(2);
  runFleet(FLEET(argv.includes("--lab")), argv).then(
    (code) => process.exit(code),
    (err: Error) => {
      console.error(err.stack ?? err.message);
      process.exit(1);
    },
  );
}
