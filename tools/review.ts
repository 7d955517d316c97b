// A summary of a preview for code review: what would destroy or replace data
// comes first and loudly, then renames as `old -> new`, then the rest; as
// text for a terminal or Markdown for a pull request comment. Pure: it reads
// the engine's preview (`pulumi preview --json`, or the structured events the
// Automation API streams, turned into the same shape by previewFromEvents)
// and returns text.
//
//   pulumi preview --json -s lab-ovh3 > preview.json
//   node tools/review.ts [--markdown] preview.json [more previews...]
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { EngineEvent, StepEventStateMetadata } from "@pulumi/pulumi/automation";

export interface PreviewStep {
  op: string;
  urn: string;
  oldState?: { type?: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  newState?: { type?: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
}

export interface Preview {
  steps?: PreviewStep[];
  diagnostics?: { severity?: string; message?: string; urn?: string }[];
  changeSummary?: Record<string, number>;
}

export interface Review {
  stack: string;
  /** Steps that destroy or replace a resource holding data, worded for a human. */
  destroys: string[];
  renames: string[];
  creates: string[];
  /** Datasets taken over as they are (adopt), or created when missing. */
  adopts: string[];
  updates: string[];
  /** Resources leaving the program whose data stays on the host. */
  releases: string[];
  errors: string[];
  warnings: string[];
}

export const DESTRUCTIVE_OPS = new Set(["delete", "replace", "create-replacement", "delete-replaced", "discard"]);
const REPLACE_OPS = new Set(["replace", "create-replacement", "delete-replaced"]);
/** The input that names a resource on its host, by kind: Dataset name, SanoidPolicy/NfsShare dataset, SyncoidPull target. */
const RENAME_KEYS = ["name", "dataset", "target"] as const;
/** The engine's marker for a value not known at preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The resource's kind as the program names it (Dataset, SyncoidPull, ...): the last part of its type token. */
function kindOf(step: PreviewStep): string {
  const type = step.newState?.type ?? step.urn.split("::")[2] ?? "";
  return type.split(":").pop() ?? type;
}

const nameOf = (step: PreviewStep): string => step.urn.split("::").pop() ?? step.urn;

/** What the resource is on the host: a dataset, a section, a line's target; a grant by its resource name (user and pool). */
function identity(step: PreviewStep): string {
  if (kindOf(step) === "Delegation") return nameOf(step);
  const state = step.newState ?? step.oldState;
  const found = RENAME_KEYS.map((k) => field(state, k)).find((v) => v !== undefined && v !== UNKNOWN);
  return found ?? nameOf(step);
}

function field(state: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> } | undefined, key: string) {
  const v = state?.outputs?.[key] ?? state?.inputs?.[key];
  return v === undefined ? undefined : typeof v === "string" ? v : JSON.stringify(v);
}

/** Keys whose value changed between the old state and the new inputs, __provider excluded. */
function changedKeys(step: PreviewStep): string[] {
  const olds = step.oldState?.inputs ?? {};
  const news = step.newState?.inputs ?? {};
  const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
  return [...keys]
    .filter((k) => k !== "__provider" && JSON.stringify(olds[k]) !== JSON.stringify(news[k]))
    .sort();
}

/** What a removed resource means for the data, from its recorded deletion policy. */
function deletionMeaning(step: PreviewStep): { destroys: boolean; text: string } {
  const policy = field(step.oldState, "onDelete");
  const what = `${kindOf(step)} ${identity(step)}`;
  if (kindOf(step) !== "Dataset") return { destroys: false, text: `${what} (removed from the host's configuration)` };
  if (policy === "destroy") {
    const recursive = field(step.oldState, "destroyRecursive") === "true" ? " WITH ITS CHILDREN" : "";
    return { destroys: true, text: `${what}: zfs destroy${recursive}` };
  }
  if (policy === "renameAside") return { destroys: false, text: `${what} (renamed aside, data kept)` };
  return { destroys: false, text: `${what} (left on the host, data kept)` };
}

/** A Dataset's acknowledgeHazards, as the state or the program has them. */
function acknowledgementsOf(state: PreviewStep["newState"]): string[] {
  const v = state?.inputs?.["acknowledgeHazards"] ?? state?.outputs?.["acknowledgeHazards"];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/**
 * What the last read of a Dataset found on its host that this step meets
 * (its `hazards` output, written by `pulumi refresh` or `preview --refresh`),
 * as warnings on the step.
 */
function hazardWarnings(r: Review, step: PreviewStep, what: string): void {
  const found = step.oldState?.outputs?.["hazards"];
  if (!Array.isArray(found)) return;
  for (const h of found) if (typeof h === "string") r.warnings.push(`${what}: ${h}`);
}

export function review(stack: string, preview: Preview): Review {
  const r: Review = { stack, destroys: [], renames: [], creates: [], adopts: [], updates: [], releases: [], errors: [], warnings: [] };
  for (const step of preview.steps ?? []) {
    if (step.newState?.type === "pulumi:pulumi:Stack" || step.urn.includes("::pulumi:pulumi:Stack::")) continue;
    if (step.urn.includes("::pulumi:providers:")) continue;
    const kind = kindOf(step);
    const label = `${kind} ${nameOf(step)}`;
    if (REPLACE_OPS.has(step.op)) {
      if (step.op === "delete-replaced") continue; // reported with its replace
      const keys = changedKeys(step).join(", ");
      r.destroys.push(`${label} is REPLACED (delete + create) because of: ${keys || "a change the provider requires"}`);
    } else if (DESTRUCTIVE_OPS.has(step.op)) {
      const meaning = deletionMeaning(step);
      const acks = acknowledgementsOf(step.oldState);
      (meaning.destroys ? r.destroys : r.releases).push(`${meaning.text}${acks.length > 0 ? ` (acknowledged hazards: ${acks.join(", ")})` : ""}`);
      if (kind === "Dataset" && field(step.oldState, "onDelete") !== "retain" && field(step.oldState, "onDelete") !== undefined) {
        hazardWarnings(r, step, `${kind} ${identity(step)} (onDelete: ${field(step.oldState, "onDelete")})`);
      }
    } else if (step.op === "create") {
      (step.newState?.inputs?.["adopt"] === true ? r.adopts : r.creates).push(`${kind} ${identity(step)}`);
    } else if (step.op === "update") {
      const keys = changedKeys(step);
      // What names the resource on the host: a Dataset's rename is a zfs
      // rename; a policy, pull or share whose dataset was renamed follows it.
      const key = RENAME_KEYS.find((k) => keys.includes(k));
      const from = key && field(step.oldState, key);
      const to = key && field(step.newState, key);
      const renamed = from && to && from !== to && to !== UNKNOWN;
      const rest = keys.filter((k) => !(renamed && k === key));
      if (renamed && key === "name") {
        const acks = acknowledgementsOf(step.newState);
        r.renames.push(`${kind} ${from} -> ${to}${acks.length > 0 ? ` (acknowledged hazards: ${acks.join(", ")})` : ""}`);
        hazardWarnings(r, step, `${kind} ${from} -> ${to}`);
      }
      if (renamed && key !== "name") {
        r.updates.push(`${kind} ${from} -> ${to} (follows the rename)${rest.length > 0 ? `; also ${rest.join(", ")}` : ""}`);
      } else if (rest.length > 0) {
        r.updates.push(`${kind} ${field(step.newState, "name") ?? nameOf(step)}: ${rest.join(", ")}`);
      }
    }
  }
  for (const d of preview.diagnostics ?? []) {
    let message = (d.message ?? "").trim();
    if (!message) continue;
    // What the provider says on its standard error comes as info#err; a line it starts with
    // "warning: " is one (a dynamic provider has no other channel for a warning from diff or check).
    const providerWarning = d.severity === "info#err" && /^warning: /.test(message);
    if (providerWarning) message = message.replace(/^warning: /, "");
    // diff's account of a Dataset's recorded hazards: the step's own (hazardWarnings) says it already.
    if (providerWarning && message.includes(": the last read found: ")) continue;
    if (d.severity === "error") r.errors.push(message);
    else if ((d.severity === "warning" || providerWarning) && !r.warnings.includes(message)) r.warnings.push(message); // once, not once per resource
  }
  return r;
}

/**
 * The steps of a preview that move or remove a Dataset on its host (a
 * rename; a removal by renameAside or destroy): those the hazard scan is
 * for (provider/hazards/). Retained removals touch nothing.
 */
export function hazardousSteps(preview: Preview): PreviewStep[] {
  return (preview.steps ?? []).filter((step) => {
    if (kindOf(step) !== "Dataset") return false;
    if (step.op === "update") {
      const from = field(step.oldState, "name");
      const to = field(step.newState, "name");
      return from !== undefined && to !== undefined && from !== to && to !== UNKNOWN;
    }
    if (step.op === "delete") return ["renameAside", "destroy"].includes(field(step.oldState, "onDelete") ?? "");
    return false;
  });
}

export function render(reviews: readonly Review[]): string {
  const out: string[] = [];
  const destroys = reviews.flatMap((r) => r.destroys.map((d) => `${r.stack}: ${d}`));
  if (destroys.length > 0) {
    out.push("!!! DATA WOULD BE DESTROYED OR REPLACED: read these first !!!");
    for (const d of destroys) out.push(`  !! ${d}`);
    out.push("");
  } else {
    out.push("No dataset is destroyed or replaced.");
    out.push("");
  }
  for (const r of reviews) {
    out.push(`== ${r.stack}`);
    const section = (title: string, items: string[]) => {
      if (items.length === 0) return;
      out.push(`  ${title}:`);
      for (const item of items) out.push(`    ${item}`);
    };
    section("errors", r.errors);
    section("renames (zfs rename, data and identity kept)", r.renames);
    section("creates (a section, line, grant or share the host already has as wanted is taken over unchanged)", r.creates);
    section("adopts (taken over unchanged if it exists, created otherwise)", r.adopts);
    section("updates", r.updates);
    section("no longer managed (data kept)", r.releases);
    section("warnings", r.warnings);
    if ([r.errors, r.renames, r.creates, r.adopts, r.updates, r.releases].every((s) => s.length === 0)) out.push("  no changes");
  }
  return out.join("\n");
}

/** What one stack's review counts, by section, for the summary line. */
export function counts(r: Review): [string, number][] {
  const all: [string, number][] = [
    ["destroyed or replaced", r.destroys.length],
    ["errors", r.errors.length],
    ["renames", r.renames.length],
    ["creates", r.creates.length],
    ["adopts", r.adopts.length],
    ["updates", r.updates.length],
    ["no longer managed", r.releases.length],
  ];
  return all.filter(([, n]) => n > 0);
}

const summaryOf = (r: Review): string => {
  const c = counts(r);
  return c.length === 0 ? "no changes" : c.map(([what, n]) => `${n} ${what}`).join(", ");
};

/**
 * The same review as Markdown, for a pull request comment: a summary line
 * with each stack's counts, data at risk first, then each stack's renames
 * (`old -> new`) and the rest.
 */
export function renderMarkdown(reviews: readonly Review[]): string {
  const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
  const out: string[] = [];
  out.push(`**zfs-fleet preview**: ${reviews.map((r) => `${code(r.stack)} ${summaryOf(r)}`).join(" · ")}`);
  out.push("");
  const destroys = reviews.flatMap((r) => r.destroys.map((d) => `${r.stack}: ${d}`));
  if (destroys.length > 0) {
    out.push("> [!CAUTION]");
    out.push("> **Data would be destroyed or replaced: read these first**");
    for (const d of destroys) out.push(`> - ${code(d)}`);
  } else {
    out.push("No dataset is destroyed or replaced.");
  }
  for (const r of reviews) {
    out.push("");
    out.push(`### ${r.stack}`);
    const section = (title: string, items: string[]) => {
      if (items.length === 0) return;
      out.push("");
      out.push(`**${title}**`);
      out.push("");
      for (const item of items) out.push(`- ${code(item)}`);
    };
    section("errors", r.errors);
    section("renames (zfs rename, data and identity kept)", r.renames);
    section("creates (a section, line, grant or share the host already has as wanted is taken over unchanged)", r.creates);
    section("adopts (taken over unchanged if it exists, created otherwise)", r.adopts);
    section("updates", r.updates);
    section("no longer managed (data kept)", r.releases);
    section("warnings", r.warnings);
    if (counts(r).length === 0) {
      out.push("");
      out.push("no changes");
    }
  }
  return out.join("\n");
}

/** Steps `pulumi preview --json` lists: a replacement once (as `replace`), no resource that stays the same, no provider. */
const LISTED = (op: string, urn: string) =>
  op !== "same" && op !== "create-replacement" && op !== "delete-replaced" && !urn.includes("::pulumi:providers:");

const stateOf = (s: StepEventStateMetadata | undefined) => s && { type: s.type, inputs: s.inputs, outputs: s.outputs };

/** A policy event's message is the policy's description, then what this resource did wrong: the latter. */
export function violationOf(message: string): string {
  const [description, ...rest] = message.trim().split("\n");
  return rest.join(" ").trim() || description.trim();
}

/**
 * The preview the engine's structured events describe, in the shape of
 * `pulumi preview --json` (the steps it lists, the diagnostics, the change
 * summary); a policy violation is a diagnostic naming its policy.
 */
export function previewFromEvents(events: readonly EngineEvent[]): Preview {
  const preview: Required<Preview> = { steps: [], diagnostics: [], changeSummary: {} };
  for (const e of events) {
    const m = e.resourcePreEvent?.metadata;
    if (m && LISTED(m.op, m.urn)) preview.steps.push({ op: m.op, urn: m.urn, oldState: stateOf(m.old), newState: stateOf(m.new) });
    const d = e.diagnosticEvent;
    if (d && (d.severity === "error" || d.severity === "warning" || (d.severity === "info#err" && /^warning: /.test(d.message.trim()))) && !d.ephemeral) {
      preview.diagnostics.push({ severity: d.severity, message: `${d.prefix ?? ""}${d.message}`, urn: d.urn });
    }
    const p = e.policyEvent;
    if (p) {
      preview.diagnostics.push({
        severity: p.enforcementLevel === "mandatory" ? "error" : "warning",
        message: `policy ${p.policyName} (${p.policyPackName}): ${violationOf(p.message)}`,
        urn: p.resourceUrn,
      });
    }
    if (e.summaryEvent) preview.changeSummary = e.summaryEvent.resourceChanges as Record<string, number>;
  }
  return preview;
}

const shown = (v: unknown) => (v === undefined ? "(none)" : v === UNKNOWN ? "(known after the update)" : JSON.stringify(v));

/**
 * How what a preview shows now differs from the reviewed one, one line per
 * difference in the operators' words; none when they would do the same.
 * Steps are matched by URN; a step's op and each of its new inputs compare
 * (`__provider` aside).
 */
export function planDifferences(reviewed: Preview, now: Preview): string[] {
  const byUrn = (p: Preview) => new Map((p.steps ?? []).map((s) => [s.urn, s]));
  const [before, after] = [byUrn(reviewed), byUrn(now)];
  const out: string[] = [];
  for (const urn of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const [a, b] = [before.get(urn), after.get(urn)];
    const what = `${kindOf((b ?? a)!)} ${nameOf((b ?? a)!)}`;
    if (!a) {
      const olds = b!.oldState?.inputs ?? {};
      const news = b!.newState?.inputs ?? {};
      const changed = b!.oldState && b!.newState ? changedKeys(b!).map((k) => `${k} ${shown(olds[k])} -> ${shown(news[k])}`) : [];
      out.push(`${what}: ${b!.op}, which the review did not show${changed.length > 0 ? ` (${changed.join("; ")})` : ""}`);
      continue;
    }
    if (!b) {
      out.push(`${what}: the review showed ${a.op}, which would no longer happen`);
      continue;
    }
    if (a.op !== b.op) out.push(`${what}: ${b.op} now, ${a.op} in the review`);
    const [olds, news] = [a.newState?.inputs ?? {}, b.newState?.inputs ?? {}];
    for (const key of [...new Set([...Object.keys(olds), ...Object.keys(news)])].sort()) {
      // The provider's serialized code is no change of what a step does (each
      // kind's diff ignores it, and the engine's plans leave `_` keys out).
      if (key === "__provider" || JSON.stringify(olds[key]) === JSON.stringify(news[key])) continue;
      out.push(`${what}: ${key} ${shown(news[key])} now, ${shown(olds[key])} in the review`);
    }
  }
  return out;
}

// Run as a command (Node runs this file as an ES module: no require.main).
if (process.argv[1]?.endsWith("tools/review.ts")) {
  const args = process.argv.slice(2);
  const markdown = args.includes("--markdown");
  const files = args.filter((a) => a !== "--markdown");
  if (files.length === 0) {
    console.error("usage: node tools/review.ts [--markdown] PREVIEW.json [...]   (from `pulumi preview --json` or fleet.ts --json-dir)");
    process.exit(2);
  }
  const reviews = files.map((f) => review(basename(f, ".json"), JSON.parse(readFileSync(f, "utf8")) as Preview));
  console.log(markdown ? renderMarkdown(reviews) : render(reviews));
  process.exit(reviews.some((r) => r.destroys.length > 0 || r.errors.length > 0) ? 1 : 0);
}
