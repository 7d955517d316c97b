// SyncoidPull's lifecycle: one line of /etc/sanoid/syncoid-args.conf on the
// pulling host, found by its target dataset. Changing or removing a pull
// first waits (bounded) for a syncoid of that pull to finish, as operators
// do by hand. check and diff are pure.
import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { type FileKind, editRemoteFile, readRemoteFile } from "../remotefile";
import { type Failure, hasUnknown, hostProblem, isUnknown, zodFailures } from "../remotefile/inputs";
import { RemoteCommandError, knownHosts, run, sh } from "../transport";
import {
  type Endpoint,
  type Pull,
  duplicateTargets,
  endpointProblem,
  flagProblem,
  lineProblems,
  linesFor,
  parseArgs,
  parseEndpoint,
  removePull,
  renderEndpoint,
  renderPull,
  setPull,
} from "./args";

export const SYNCOID_ARGS = "/etc/sanoid/syncoid-args.conf";
export const ARGS_FILE: FileKind = { validator: "none", problems: lineProblems, label: "syncoid-args.conf" };

export interface SyncoidPullInputs {
  /** The pulling host (where the line lives and syncoid runs). */
  host: string;
  source: Endpoint;
  target: string;
  flags: string[];
  enabled: boolean;
  /** How long a change or removal waits for a running syncoid of this pull. */
  waitForRunningSeconds: number;
  /** Run the pull once at create (the operators' manual test); a failure fails the create and writes no line. */
  runOnCreate: boolean;
  resolveDuplicates: boolean;
  path?: string;
}

export interface SyncoidPullOutputs extends SyncoidPullInputs {
  /** The line as it is in the file ("" when missing). */
  line: string;
  /** Targets pulled by more than one line of the file. */
  duplicates: string[];
}

const raw = z.object({
  host: z.string(),
  source: z.object({ user: z.string().optional(), host: z.string().optional(), dataset: z.string() }).strict(),
  target: z.string(),
  flags: z.array(z.string()).default([]),
  enabled: z.boolean().default(true),
  waitForRunningSeconds: z.number().int().min(0).max(86_400).default(600),
  runOnCreate: z.boolean().default(false),
  resolveDuplicates: z.boolean().default(false),
  path: z.string().regex(/^\/[A-Za-z0-9_.\/-]+$/, "must be an absolute path").optional(),
});

export function checkSyncoidPull(
  news: Record<string, unknown>,
  /** The hosts of `zfs-fleet:hosts`, once the provider is configured. */
  configuredHosts: readonly string[] = [],
): { inputs: Record<string, unknown>; failures: Failure[] } {
  const parsed = raw.safeParse(news);
  if (!parsed.success) return { inputs: news, failures: zodFailures(parsed.error.issues) };
  const d = parsed.data;
  const failures: Failure[] = [];
  const hp = hostProblem(d.host, configuredHosts);
  if (hp) failures.push({ property: "host", reason: hp });
  if (!hasUnknown(d.source)) {
    const p = endpointProblem(d.source, "source");
    if (p) failures.push({ property: "source", reason: p });
  }
  if (!isUnknown(d.target)) {
    // A dataset on the pulling host; or `[user@]host:dataset` for a push line, so a
    // program can adopt (and then remove) the pushes operators used before pulls.
    const p = endpointProblem(parseEndpoint(d.target), "target");
    if (p) failures.push({ property: "target", reason: p });
  }
  d.flags.forEach((f, i) => {
    if (isUnknown(f)) return;
    const p = flagProblem(f);
    if (p) failures.push({ property: `flags[${i}]`, reason: p });
  });
  if (d.flags.includes("--skip-parent") && !d.flags.some((f) => f === "--recursive" || f === "-r")) {
    failures.push({ property: "flags", reason: "--skip-parent does nothing without --recursive" });
  }
  return { inputs: { ...news, ...d }, failures };
}

export async function check(_olds: unknown, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
  return checkSyncoidPull(news, knownHosts());
}

export const pullOf = (i: SyncoidPullInputs): Pull => ({ flags: i.flags ?? [], source: i.source, target: i.target, enabled: i.enabled ?? true });

export async function diff(_id: string, olds: SyncoidPullOutputs, news: SyncoidPullInputs): Promise<pulumi.dynamic.DiffResult> {
  const replaces: string[] = [];
  if (olds.host !== news.host) replaces.push("host");
  if ((olds.path ?? SYNCOID_ARGS) !== (news.path ?? SYNCOID_ARGS)) replaces.push("path");
  const wanted = hasUnknown(news) ? undefined : renderPull(pullOf(news));
  const changes =
    replaces.length > 0 ||
    JSON.stringify(pullOf(olds)) !== JSON.stringify(pullOf(news)) ||
    olds.waitForRunningSeconds !== news.waitForRunningSeconds ||
    olds.runOnCreate !== news.runOnCreate ||
    olds.resolveDuplicates !== news.resolveDuplicates ||
    (wanted !== undefined && olds.line !== undefined && olds.line !== wanted); // edited by hand
  // A pull moved to another host: stop the old one before the new one starts.
  return { changes, replaces, deleteBeforeReplace: true };
}

const pathOf = (i: SyncoidPullInputs) => i.path ?? SYNCOID_ARGS;

function outputsOf(inputs: SyncoidPullInputs, content: string | undefined): SyncoidPullOutputs {
  const lines = parseArgs(content ?? "");
  const mine = linesFor(lines, inputs.target);
  return {
    ...inputs,
    line: mine.length ? mine[0].raw.replace(/\r?\n$/, "") : "",
    duplicates: duplicateTargets(lines).map((d) => `${d.target} is pulled by lines ${d.lines.join(", ")}`),
  };
}

/** syncoid processes whose arguments name `dataset` (syncoid has no lock file: it too looks at ps). */
export function runningSyncoids(ps: string, dataset: string): string[] {
  return ps
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /(^|\/|\s)syncoid(\s|$)/.test(l))
    .filter((l) => l.split(/\s+/).some((w) => w === dataset || w.endsWith(`:${dataset}`)));
}

/**
 * Waits until no syncoid of `dataset` runs on the host, for at most
 * `seconds`; fails with what still runs. Also for the Dataset resource: a
 * rename of a pulled dataset should wait the same way.
 */
export async function waitForSyncoid(host: string, dataset: string, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const r = await run(host, sh`ps -eo args=`, { idempotent: true });
    const busy = runningSyncoids(r.stdout, dataset);
    if (busy.length === 0) return;
    if (Date.now() >= deadline) {
      throw new Error(`${host}: syncoid is still running for ${dataset} after ${seconds} s (${busy[0]}); try again when it has finished, or raise waitForRunningSeconds`);
    }
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

/** The pull once, as the service would run it. */
async function runOnce(inputs: SyncoidPullInputs): Promise<void> {
  const words = [...inputs.flags, renderEndpoint(inputs.source), inputs.target];
  try {
    await run(inputs.host, sh`syncoid ${words} </dev/null`, { timeoutMs: 3_600_000 });
  } catch (err) {
    if (err instanceof RemoteCommandError) {
      throw new Error(
        `${inputs.host}: the first run of the pull into ${inputs.target} failed (exit ${err.exitCode}); no line was written. syncoid said: ${err.stderr.trim().slice(-2000)}`,
      );
    }
    throw err;
  }
}

export async function create(inputs: SyncoidPullInputs): Promise<pulumi.dynamic.CreateResult> {
  if (inputs.runOnCreate && inputs.enabled) await runOnce(inputs);
  const r = await editRemoteFile(inputs.host, pathOf(inputs), (old) => setPull(old ?? "", pullOf(inputs), { resolveDuplicates: inputs.resolveDuplicates }), ARGS_FILE);
  return { id: `${inputs.host}:${pathOf(inputs)}:${inputs.target}`, outs: outputsOf(inputs, r.content) };
}

export async function read(id: string, props: SyncoidPullOutputs): Promise<pulumi.dynamic.ReadResult> {
  const content = await readRemoteFile(props.host, pathOf(props));
  const outs = outputsOf(props, content);
  if (!outs.line) return { id: "", props: {} };
  // Report the line as found, so a hand edit shows as a difference.
  const found = linesFor(parseArgs(content ?? ""), props.target)[0].pull!;
  return { id, props: { ...outs, flags: found.flags, source: found.source, enabled: found.enabled } };
}

export async function update(_id: string, olds: SyncoidPullOutputs, news: SyncoidPullInputs): Promise<pulumi.dynamic.UpdateResult> {
  await waitForSyncoid(news.host, olds.target, news.waitForRunningSeconds);
  const previousTarget = olds.target !== news.target ? olds.target : undefined;
  const r = await editRemoteFile(
    news.host,
    pathOf(news),
    (old) => setPull(old ?? "", pullOf(news), { previousTarget, resolveDuplicates: news.resolveDuplicates }),
    ARGS_FILE,
  );
  return { outs: outputsOf(news, r.content) };
}

export async function remove(_id: string, props: SyncoidPullOutputs): Promise<void> {
  await waitForSyncoid(props.host, props.target, props.waitForRunningSeconds ?? 600);
  await editRemoteFile(props.host, pathOf(props), (old) => (old === undefined ? "" : removePull(old, props.target)), ARGS_FILE);
}
