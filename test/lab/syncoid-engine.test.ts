// SanoidPolicy and SyncoidPull through the real Pulumi engine on ovh3: 40 of
// each in one `pulumi up` with high parallelism, in files that already hold
// the operators' own lines; then a target renamed in the same up as its pull
// line and policy header; then the connection cut in the middle of a write.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseIni, duplicates as iniDuplicates, settingsOf } from "../../provider/sanoid/conf";
import { duplicateTargets, parseArgs } from "../../provider/syncoid/args";
import { PulumiError, TestStack } from "./engine";
import { closeConnections, out, resetLab, run, sh } from "./support";

const N = 40;
const SNAP = "autosnap_2024-03-13_00:00:01_daily";

// Lines the operators wrote; they must stay byte for byte.
const SANOID_HEAD = `# sanoid conf data - see https://github.com/jimsalterjrs/sanoid/wiki/Sanoid
#
# no_sanoid_checks:rpool/staging-clones:

# Policy for volumes replicated from Proxmox
[template_replicated_volumes]
  frequently = 0
  hourly = 10
  daily = 10
  monthly = 6
  yearly = 0
  autosnap = no
  autoprune = yes
`;
const ARGS_HEAD = `# pulling from off2 (operators' notes)
#
# obf opf opff
#--no-sync-snap --no-privilege-elevation --recursive ovh3operator@off2.openfoodfacts.org:zfs-hdd/obf rpool/obf
## pulling from off1
`;

const PROGRAM = `
import * as pulumi from "@pulumi/pulumi";
import { Dataset, SanoidPolicy, SanoidTemplate, SyncoidPull } from "zfs-fleet-provider/src";

const cfg = new pulumi.Config();
const n = cfg.requireNumber("count");
const hourly = cfg.get("hourly") ?? "36";
const stage = cfg.get("stage") ?? "initial"; // initial | adopt | renamed
const extraFlags = cfg.get("extraFlag") ? [cfg.get("extraFlag")!] : [];
const local = new SanoidTemplate("zfleet_local", { host: "ovh3", name: "zfleet_local",
  settings: { frequently: "0", hourly: "36", daily: "30", monthly: "3", yearly: "0", autosnap: "yes", autoprune: "yes" } });
const synced = new SanoidTemplate("zfleet_synced", { host: "ovh3", name: "zfleet_synced",
  settings: { frequently: "0", hourly: "36", daily: "30", monthly: "3", yearly: "0", autosnap: "no", autoprune: "yes" } });
new SanoidPolicy("pulled", { host: "ovh3", dataset: "rpool/pulled", templates: ["zfleet_synced"], recursive: "yes", processChildrenOnly: true },
  { dependsOn: [synced] });
let d0: pulumi.Input<string> = "rpool/pulled/d0";
if (stage !== "initial") {
  const ds = new Dataset("pulled-d0", { host: "ovh3", name: stage === "renamed" ? "rpool/pulled/d0-renamed" : "rpool/pulled/d0", adopt: true });
  d0 = ds.name;
  new SanoidPolicy("pulled-d0", { host: "ovh3", dataset: ds.name, templates: ["zfleet_synced"], settings: { hourly: "12" } }, { dependsOn: [synced] });
}
for (let i = 0; i < n; i++) {
  new SanoidPolicy("p" + i, { host: "ovh3", dataset: "rpool/snap/p" + i, templates: ["zfleet_local"], recursive: "no",
    settings: { hourly } }, { dependsOn: [local] });
  new SyncoidPull("d" + i, { host: "ovh3", target: i === 0 ? d0 : "rpool/pulled/d" + i,
    source: { user: "ovh3operator", host: "off2.openfoodfacts.org", dataset: "zfs-hdd/src/d" + i },
    flags: ["--no-sync-snap", "--no-privilege-elevation", ...extraFlags] });
}
`;

const sanoidConf = () => out("ovh3", "cat /etc/sanoid/sanoid.conf");
const argsConf = () => out("ovh3", "cat /etc/sanoid/syncoid-args.conf");
const seconds = (ms: number) => Math.round(ms / 100) / 10;

describe("40 policies and 40 pulls on ovh3 in one up", () => {
  let stack: TestStack;

  beforeAll(async () => {
    await resetLab();
    const sources = Array.from({ length: N }, (_, i) => `zfs-hdd/src/d${i}`);
    const policies = Array.from({ length: N }, (_, i) => `rpool/snap/p${i}`);
    // The 80 datasets of the setup: created side by side (each create waits for its transaction group;
    // together they share them) on both hosts at once, each create's status checked.
    const together = (body: string) => `pids=; for d in "$@"; do ( ${body} ) & pids="$pids $!"; done; for p in $pids; do wait "$p" || exit 1; done`;
    await Promise.all([
      run("off2", sh`zfs create zfs-hdd/src && sh -c ${together(`zfs create "$d" && echo "$d" > "/$d/name.txt"`)} - ${sources} && zfs snapshot -r ${`zfs-hdd/src@${SNAP}`} && zfs allow -u ovh3operator hold,send zfs-hdd`),
      run("ovh3", sh`zfs create rpool/pulled && zfs create rpool/snap && sh -c ${together(`zfs create "$d"`)} - ${policies}`),
    ]);
    await run("ovh3", sh`cat > /etc/sanoid/sanoid.conf`, { input: SANOID_HEAD });
    await run("ovh3", sh`cat > /etc/sanoid/syncoid-args.conf`, { input: ARGS_HEAD });
    stack = await TestStack.create("sanoid-syncoid", ["ovh3"], PROGRAM);
    await stack.setConfig("zfs-fleet:count", String(N));
  });
  afterAll(async () => {
    await stack?.dispose();
    await closeConnections();
  });

  it("each section and line appears exactly once and the operators' lines are untouched", async () => {
    stack.takeCommands();
    const started = Date.now();
    await stack.pulumi("up", "--yes", "--skip-preview", "--parallel", "128");
    const took = Date.now() - started;
    const commands = stack.takeCommands().filter((c) => c.event === "command");
    const writes = commands.filter((c) => (c.command ?? "").includes("zfs-fleet-write"));
    console.log(`[measure] ${2 * N + 3} resources created in ${seconds(took)} s: ${commands.length} remote commands, ${writes.length} file writes`);

    const conf = await sanoidConf();
    expect(conf.startsWith(SANOID_HEAD)).toBe(true);
    const doc = parseIni(conf);
    expect(iniDuplicates(doc)).toEqual([]);
    for (let i = 0; i < N; i++) expect(settingsOf(doc, `rpool/snap/p${i}`)).toEqual({ use_template: "zfleet_local", recursive: "no", hourly: "36" });
    expect(doc.sections.map((s) => s.name).filter((s) => s.startsWith("template_")).sort()).toEqual(["template_replicated_volumes", "template_zfleet_local", "template_zfleet_synced"]);

    const args = await argsConf();
    expect(args.startsWith(ARGS_HEAD)).toBe(true);
    const lines = parseArgs(args);
    expect(duplicateTargets(lines)).toEqual([]);
    expect(lines.filter((l) => l.pull?.enabled)).toHaveLength(N);
    expect(args).toContain("\n--no-sync-snap --no-privilege-elevation ovh3operator@off2.openfoodfacts.org:zfs-hdd/src/d7 rpool/pulled/d7\n");
    const summary = (await stack.preview("--expect-no-changes")).changeSummary;
    expect(Object.keys(summary)).toEqual(["same"]);
  });

  it("sanoid accepts the file and would take each policy's hourly, daily and monthly snapshots", async () => {
    // sanoid's own plan for the file the provider wrote (--readonly: what it would take, no zfs snapshot
    // run). Taking them for real is sanoid's own work, 120 zfs snapshots here, about 6 minutes under
    // emulation; sanoid.test.ts has sanoid --cron take them from a policy the provider wrote.
    const started = Date.now();
    const plan = await out("ovh3", "sanoid --take-snapshots --readonly --verbose", { timeoutMs: 600_000 });
    console.log(`[measure] sanoid's plan over ${N} policies: ${seconds(Date.now() - started)} s`);
    expect(plan).not.toMatch(/CRITICAL|ERROR|unknown|invalid/i);
    const taking = [...plan.matchAll(/^taking snapshot (\S+)$/gm)].map((m) => m[1]);
    for (let i = 0; i < N; i++) {
      for (const period of ["hourly", "daily", "monthly"]) {
        expect(taking.filter((s) => s.startsWith(`rpool/snap/p${i}@autosnap_`) && s.endsWith(`_${period}`)), `p${i} ${period}`).toHaveLength(1);
      }
    }
    expect(taking.filter((s) => s.startsWith("rpool/snap/p"))).toHaveLength(3 * N);
    expect(taking.some((s) => s.endsWith("_yearly") || s.endsWith("_frequently"))).toBe(false);
  });

  it("the pull service's own loop reads all 40 lines as the provider meant them, and pulls with them", async () => {
    // The operators' loop (/usr/local/sbin/syncoid-args, what syncoid.service runs) over the very file
    // the provider wrote, in a mount namespace where /usr/sbin/syncoid is a wrapper (kept under /var/tmp:
    // a bind mount keeps its source's noexec, and /run is noexec): it records the
    // words each line became (the loop splits with `read -a`, as the service does) and runs the real
    // syncoid for the lines of d0, d13, d26 and d39. A real pull is syncoid's own work, about 10 s a
    // line alone and 50 s under the suite's load (all 40 took 12 minutes here, in three slices); every
    // line's words, and four lines pulled for real, prove what the provider adds. syncoid.test.ts runs
    // the service itself.
    const sampled = [0, 13, 26, 39];
    const wrapper = [
      "#!/bin/sh",
      'printf "%s\\0" "$@" >> /var/tmp/zfleet-syncoid/words; printf "\\n" >> /var/tmp/zfleet-syncoid/words',
      'for last; do :; done',
      'case "$last" in',
      ...sampled.map((i) => `  rpool/pulled/d${i}) exec perl /var/tmp/zfleet-syncoid/syncoid "$@" ;;`),
      "esac",
      "exit 0",
    ].join("\n");
    const started = Date.now();
    const loop = await run(
      "ovh3",
      sh`rm -rf /var/tmp/zfleet-syncoid && mkdir /var/tmp/zfleet-syncoid && cp /usr/sbin/syncoid /var/tmp/zfleet-syncoid/syncoid &&
         printf '%s\n' ${wrapper} > /var/tmp/zfleet-syncoid/wrapper && chmod 755 /var/tmp/zfleet-syncoid/wrapper &&
         unshare -m --propagation private sh -c 'mount --bind /var/tmp/zfleet-syncoid/wrapper /usr/sbin/syncoid && exec /usr/local/sbin/syncoid-args'`,
      { timeoutMs: 1_800_000 },
    );
    console.log(`[measure] the service's loop over ${N} lines, ${sampled.length} of them pulled for real: ${seconds(Date.now() - started)} s`);
    expect(loop.stdout.match(/^syncoid-args: exit 0$/gm)).toHaveLength(N);
    const words = (await out("ovh3", "tr '\\0' '\\t' < /var/tmp/zfleet-syncoid/words && rm -rf /var/tmp/zfleet-syncoid")).split("\n").filter(Boolean).map((l) => l.replace(/\t$/, "").split("\t"));
    const wanted = parseArgs(await argsConf()).filter((l) => l.pull?.enabled).map((l) => [...l.pull!.flags, `ovh3operator@off2.openfoodfacts.org:${l.pull!.source.dataset}`, l.pull!.target]);
    expect(wanted).toHaveLength(N);
    expect(words).toEqual(wanted);
    // and each pull as the program wrote it, once (the parallel up writes the lines in the order it made them)
    const each = (i: number) => ["--no-sync-snap", "--no-privilege-elevation", `ovh3operator@off2.openfoodfacts.org:zfs-hdd/src/d${i}`, `rpool/pulled/d${i}`].join(" ");
    expect(words.map((w) => w.join(" ")).sort()).toEqual(Array.from({ length: N }, (_, i) => each(i)).sort());
    const pulled = (await out("ovh3", "zfs list -H -o name -t snapshot -r rpool/pulled")).split("\n").filter(Boolean);
    expect(pulled.sort()).toEqual(sampled.map((i) => `rpool/pulled/d${i}@${SNAP}`).sort());
    // The very snapshot of the source, not only one of its name (a snapshot's guid is kept by send/receive).
    const guids = async (host: "off2" | "ovh3", names: string[]) => (await out(host, sh`zfs get -H -o value guid ${names}`)).split("\n").filter(Boolean);
    expect(await guids("ovh3", sampled.map((i) => `rpool/pulled/d${i}@${SNAP}`))).toEqual(await guids("off2", sampled.map((i) => `zfs-hdd/src/d${i}@${SNAP}`)));
  });

  it("renaming a target dataset updates its pull line and policy header in place, in the same up", async () => {
    await stack.setConfig("zfs-fleet:stage", "adopt");
    await stack.up();
    const before = (await argsConf()).split("\n");
    const lineNo = before.findIndex((l) => l.endsWith(" rpool/pulled/d0"));
    const header = (await sanoidConf()).split("\n").indexOf("[rpool/pulled/d0]");
    expect(lineNo).toBeGreaterThan(0);
    expect(header).toBeGreaterThan(0);

    await stack.setConfig("zfs-fleet:stage", "renamed");
    const preview = await stack.preview();
    expect(preview.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn.split("::").pop()}`).sort()).toEqual([
      "update d0",
      "update pulled-d0",
      "update pulled-d0",
    ]);
    await stack.up();
    expect(await out("ovh3", "zfs list -H -o name rpool/pulled/d0-renamed")).toBe("rpool/pulled/d0-renamed\n");
    const after = (await argsConf()).split("\n");
    expect(after[lineNo]).toBe("--no-sync-snap --no-privilege-elevation ovh3operator@off2.openfoodfacts.org:zfs-hdd/src/d0 rpool/pulled/d0-renamed");
    expect(after.filter((l, i) => l !== before[i])).toHaveLength(1);
    const conf = (await sanoidConf()).split("\n");
    expect(conf[header]).toBe("[rpool/pulled/d0-renamed]");
    expect(conf).not.toContain("[rpool/pulled/d0]");
  });

  it("cutting the connection in the middle of the writes: the provider sees it and the up recovers or fails, each file is left whole, every line exactly old or new; a rerun converges", async () => {
    const before = { sanoid: await sanoidConf(), args: await argsConf() };
    stack.takeCommands();
    // One up that rewrites both files: every policy's hourly, every pull's flags.
    await stack.setConfig("zfs-fleet:hourly", "24");
    await stack.setConfig("zfs-fleet:extraFlag", "--no-rollback");
    const up = stack.pulumi("up", "--yes", "--skip-preview", "--parallel", "128").then(
      () => "succeeded",
      (e: unknown) => (e instanceof PulumiError ? "failed" : Promise.reject(e)),
    );
    // A write script runs for a second or two (sanoid checks the new sanoid.conf; syncoid-args.conf is
    // checked line by line): cut the provider's connection then, by killing the sshd process serving it.
    let settled = false;
    void up.then(() => (settled = true));
    let killed: string | undefined;
    while (!settled && !killed) {
      const r = await run(
        "ovh3",
        `pid=$(pgrep -f 'zfs-fleet-writ[e] /etc/sanoid/' | head -1); [ -n "$pid" ] || exit 1
         p=$pid; while [ "$p" -gt 1 ] && [ "$(ps -o comm= -p "$p")" != sshd ]; do p=$(ps -o ppid= -p "$p" | tr -d ' '); done
         [ "$p" -gt 1 ] && kill -9 "$p" && echo "$p"`,
        { allowFailure: true },
      );
      if (r.exitCode === 0) killed = r.stdout.trim();
    }
    const outcome = await up;
    expect(killed, "the writes finished before one could be cut").toBeDefined();
    // The cut reached the provider: a write's command ended with its connection lost. The provider
    // then reads the file again on a new connection (a write replaces the file only if it is still
    // what the edit read: it is old or new) and redoes the edits on what it finds, so the up may
    // succeed; if it does, the files are already the new ones (checked below).
    const lost = stack.takeCommands().filter((c) => c.event === "command" && /zfs-fleet-write/.test(c.command ?? "") && (c.exit === null || c.exit === undefined));
    expect(lost.length, "no write of the provider saw its connection cut").toBeGreaterThan(0);
    const cut = { sanoid: await sanoidConf(), args: await argsConf() };
    expect(await out("ovh3", "ls -a /etc/sanoid")).not.toMatch(/\.(sanoid\.conf|syncoid-args\.conf)\.zfs-fleet\.\w+\n/);

    await stack.up();
    const after = { sanoid: await sanoidConf(), args: await argsConf() };
    expect(after.sanoid).not.toBe(before.sanoid);
    expect(after.args).not.toBe(before.args);
    // Each write is whole. The provider writes a file once per batch of the edits that reached it
    // together (remotefile/), so the file as the cut left it is the old one with the batches written
    // before the cut applied, none of the batch in flight: line for line, each line exactly its old or
    // its new version, none cut short, no line gained or lost (every edit here changes one line).
    const wholeWrites = (file: string, cutText: string, oldText: string, newText: string) => {
      const [c, o, n] = [cutText, oldText, newText].map((t) => t.split("\n"));
      expect(n.length, `${file}: the edits change lines, not their number`).toBe(o.length);
      expect(c.length, `${file} after the cut: ${c.length} lines, the old and new have ${o.length}`).toBe(o.length);
      c.forEach((line, i) => expect([o[i], n[i]], `${file} line ${i + 1} after the cut`).toContain(line));
      return c.filter((line, i) => line !== o[i]).length;
    };
    if (outcome === "succeeded") expect(cut, "an up that succeeded after the cut left the files as the rerun wants them").toEqual(after);
    const sanoidNew = wholeWrites("sanoid.conf", cut.sanoid, before.sanoid, after.sanoid);
    const argsNew = wholeWrites("syncoid-args.conf", cut.args, before.args, after.args);
    console.log(`[measure] cut the provider's ssh session (sshd pid ${killed}) mid-write: ${sanoidNew} of sanoid.conf's changed lines new, ${argsNew} of syncoid-args.conf's`);
    const final = parseIni(after.sanoid);
    for (let i = 0; i < N; i++) expect(settingsOf(final, `rpool/snap/p${i}`)?.hourly).toBe("24");
    expect(parseArgs(after.args).filter((l) => l.pull?.enabled && l.pull.flags.includes("--no-rollback"))).toHaveLength(N);
    expect((await stack.preview("--expect-no-changes")).changeSummary).not.toHaveProperty("update");
    await run("ovh3", "sanoid --cron --readonly", { timeoutMs: 600_000 });
  });

  it.each([
    ["a key sanoid does not know", `new SanoidPolicy("bad", { host: "ovh3", dataset: "rpool/snap", settings: { frobnicate: "1" } });`, /"frobnicate" is not a sanoid setting/],
    ["a value that starts a new section", `new SanoidPolicy("bad", { host: "ovh3", dataset: "rpool/snap", settings: { hourly: "1\\n[rpool]" } });`, /one line/],
    ["a flag with white space", `new SyncoidPull("bad", { host: "ovh3", target: "rpool/x", source: { dataset: "rpool/snap" }, flags: ["--sendoptions=Lc e"] });`, /white space/],
    ["an unknown flag", `new SyncoidPull("bad", { host: "ovh3", target: "rpool/x", source: { dataset: "rpool/snap" }, flags: ["--frobnicate"] });`, /not a syncoid option/],
    ["a '#' in an identifier", `new SyncoidPull("bad", { host: "ovh3", target: "rpool/x", source: { dataset: "rpool/snap" }, flags: ["--identifier=a#b"] });`, /'#'/],
  ])("refuses %s at preview, running no remote command", async (_what, extra, why) => {
    await stack.program(PROGRAM + extra);
    stack.takeCommands();
    const err = await stack.preview().catch((e: unknown) => e);
    await stack.program(PROGRAM);
    expect(err).toBeInstanceOf(PulumiError);
    expect((err as PulumiError).text).toMatch(why);
    expect(stack.takeCommands().filter((c) => c.event === "command")).toEqual([]);
  });
});
