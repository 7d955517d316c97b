// SyncoidPull's lifecycle: one line of /etc/sanoid/syncoid-args.conf on the
// pulling host, found by its target dataset. Changing or removing a pull
// first waits (bounded) for a syncoid of that pull to finish, as operators
// do by hand. check and diff are pure.
import type * as pulumi from "@pulumi/pulumi";
import { hasUnknown } from "../kind";
import { type FileKind, editRemoteFile, readRemoteFile } from "../remotefile";
import { RemoteCommandError, configFile, knownHosts, run, sh } from "../transport";
import { invalidate } from "../zfs/inventory";
import { type Pull, duplicateTargets, lineProblems, linesFor, parseArgs, removePull, renderEndpoint, renderPull, setPull } from "./args";
import { type CheckedSyncoidPullInputs, type SyncoidPullInputs, type SyncoidPullOutputs, syncoidPullKind } from "./schema";

export const ARGS_FILE: FileKind = { validator: "none", problems: lineProblems, label: "syncoid-args.conf" };

export async function check(_olds: unknown, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
  return syncoidPullKind.check(news, knownHosts());
}

export function pullOf(stored: SyncoidPullInputs): Pull {
  const i = syncoidPullKind.complete(stored);
  return { flags: i.flags, source: i.source, target: i.target, enabled: i.enabled };
}

export async function diff(_id: string, olds: SyncoidPullOutputs, news: SyncoidPullInputs): Promise<pulumi.dynamic.DiffResult> {
  // The line edited by hand (seen by the last read).
  const drift = !hasUnknown(news) && olds.line !== undefined && olds.line !== renderPull(pullOf(news));
  return syncoidPullKind.diff(olds, news, { changed: drift });
}

/** The host's syncoid-args.conf (its config, `zfs-fleet:hosts.<host>.syncoidArgs`). */
const pathOf = (i: SyncoidPullInputs) => configFile(i.host, "syncoidArgs");

function outputsOf(inputs: SyncoidPullInputs, content: string | undefined): SyncoidPullOutputs {
  const lines = parseArgs(content ?? "");
  const mine = linesFor(lines, inputs.target);
  return {
    ...syncoidPullKind.complete(inputs),
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
 * `seconds`; fails with what still runs. A pull's update and removal wait
 * so before they edit its line.
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
async function runOnce(inputs: CheckedSyncoidPullInputs): Promise<void> {
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
  } finally {
    invalidate(inputs.host); // it received datasets: what Datasets of this run read of the pool is out of date
  }
}

export async function create(inputs: CheckedSyncoidPullInputs): Promise<pulumi.dynamic.CreateResult> {
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

export async function update(_id: string, olds: SyncoidPullOutputs, news: CheckedSyncoidPullInputs): Promise<pulumi.dynamic.UpdateResult> {
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
  await waitForSyncoid(props.host, props.target, syncoidPullKind.complete(props).waitForRunningSeconds);
  await editRemoteFile(props.host, pathOf(props), (old) => (old === undefined ? "" : removePull(old, props.target)), ARGS_FILE);
}
