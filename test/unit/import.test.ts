// The import of a live host (provider/import/): the one command's output
// parsed byte for byte, what is described and what is left as it is, the
// module it writes, and the round trip: the written program, run on Pulumi's
// mocks, registers resources that the providers' own pure planning (check,
// the sanoid.conf and syncoid-args.conf editors, the `zfs allow` plan, the
// Dataset's adoption and diff, the share comparison) finds already in place
// on the same host, so its first up changes nothing and the next preview is
// empty. Hosts: the lab's seed (test/unit/import-hosts.ts), the captured
// OpenZFS outputs in test/fixtures/openzfs-2.1/, and made-up ones.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import ts from "typescript";
import { beforeAll, describe, expect, it, vi } from "vitest";
import * as api from "../../provider";
import { sameValue } from "../../provider/dataset/properties";
import { outputsOf as datasetOutputs } from "../../provider/dataset/provider";
import { datasetKind } from "../../provider/dataset/schema";
import { type Grants, heldIn, isEmptyPlan, parseAllow, planAllow, wanted, whoLabel } from "../../provider/delegation/allow";
import * as delegation from "../../provider/delegation/provider";
import { whoOf } from "../../provider/delegation/schema";
import { type Description, describeHost } from "../../provider/import/describe";
import { type HostFacts, IMPORT_SCRIPT, importCommand, parseHostOutput, splitSections } from "../../provider/import/facts";
import { literal, previousKeys, renderModule } from "../../provider/import/render";
import * as nfs from "../../provider/nfs/provider";
import { parseSharenfs, shareKey } from "../../provider/nfs/sharenfs";
import { parseIni, setSection, settingsOf } from "../../provider/sanoid/conf";
import * as sanoid from "../../provider/sanoid/provider";
import { linesFor, parseArgs, setPull } from "../../provider/syncoid/args";
import * as syncoid from "../../provider/syncoid/provider";
import { FIXTURES, NONCE, PATHS, type SeedHost, allowHeader, fileSection, fixtureHost, framed, seededHost, zfsSections } from "./import-hosts";

// A module run on the mocks transpiles it first (TypeScript's compiler): a second or more on a busy machine.
vi.setConfig({ testTimeout: 30_000 });

const HOSTS: readonly SeedHost[] = ["off1", "off2", "ovh3"];

function read(stdout: string): HostFacts {
  return parseHostOutput(stdout, NONCE, PATHS);
}

// ---------------------------------------------------------------------------
// The written program, run on Pulumi's mocks.

interface Registered {
  kind: string;
  name: string;
  inputs: Record<string, any>;
}
const registered: Registered[] = [];

beforeAll(async () => {
  await pulumi.runtime.setMocks({
    newResource: (args) => {
      registered.push({ kind: args.type.split(":").pop()!, name: args.name, inputs: args.inputs });
      return { id: `${args.name}-id`, state: args.inputs };
    },
    call: () => ({}),
  });
});

/** Transpiles the module and runs its program() with the provider's sources, as a stack would; returns what it registered. */
async function runModule(text: string): Promise<{ registered: Registered[]; outputs: Record<string, unknown> }> {
  const js = ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const mod = { exports: {} as Record<string, any> };
  const requireOf = (id: string) => {
    if (id === "zfs-fleet-provider") return api;
    if (id === "@pulumi/pulumi") return pulumi;
    throw new Error(`the module requires ${id}`);
  };
  new Function("require", "module", "exports", js)(requireOf, mod, mod.exports);
  registered.length = 0;
  const result = mod.exports.program();
  const datasets = await new Promise<Record<string, string>>((resolve) => (result.datasets as pulumi.Output<Record<string, string>>).apply(resolve));
  await new Promise((r) => setTimeout(r, 50));
  return { registered: [...registered], outputs: { host: result.host, datasets } };
}

const NONE: Grants = { local: [], descendent: [] };

/**
 * What each registered resource's provider would do on the host whose facts
 * these are: the changes its create (adopt) would make, and whether the
 * preview after it would show a change. Empty when nothing changes.
 */
async function plannedChanges(host: string, facts: HostFacts, resources: readonly Registered[]): Promise<string[]> {
  const changes: string[] = [];
  const conf = "content" in facts.sanoidConf ? facts.sanoidConf.content : "";
  const args = "content" in facts.syncoidArgs ? facts.syncoidArgs.content : "";
  const clean = (i: Record<string, any>) => Object.fromEntries(Object.entries(i).filter(([k, v]) => k !== "__provider" && v !== undefined));
  for (const r of resources) {
    const inputs = clean(r.inputs);
    const what = `${r.kind} ${r.name}`;
    if (r.kind === "Dataset") {
      const checked = datasetKind.check(inputs, [host]);
      if (checked.failures.length) changes.push(`${what}: check fails: ${JSON.stringify(checked.failures)}`);
      const ds = facts.datasets.byName.get(inputs.name);
      if (!ds) {
        changes.push(`${what}: would create ${inputs.name}`);
        continue;
      }
      if (inputs.adopt !== true) changes.push(`${what}: does not adopt`);
      for (const [k, v] of Object.entries(checked.inputs.properties as Record<string, string>)) {
        const p = ds.properties[k];
        if (!p || p.source !== "local" || !sameValue(k, v, p.value)) changes.push(`${what}: zfs set ${k}=${v}`);
      }
      const outs = datasetOutputs(checked.inputs as never, ds);
      if (datasetKind.diff(outs, checked.inputs).changes) changes.push(`${what}: the next preview shows a change`);
    } else if (r.kind === "Delegation") {
      const checked = await delegation.check({}, inputs);
      if (checked.failures?.length) changes.push(`${what}: check fails: ${JSON.stringify(checked.failures)}`);
      const i = checked.inputs as Record<string, any>;
      const allow = facts.allow.get(i.dataset)?.output ?? "";
      const live = parseAllow(allow, i.dataset).grants[whoLabel(whoOf(i.who))] ?? NONE;
      const plan = planAllow(live, wanted(i.permissions, i.scope), i.scope);
      if (!isEmptyPlan(plan)) changes.push(`${what}: zfs allow/unallow ${JSON.stringify(plan)}`);
      const olds = { ...i, datasetGuid: facts.datasets.byName.get(i.dataset)?.guid, live, held: heldIn(live, i.scope) };
      if ((await delegation.diff("id", olds as never, i as never)).changes) changes.push(`${what}: the next preview shows a change`);
    } else if (r.kind === "SanoidPolicy" || r.kind === "SanoidTemplate") {
      const checked = await sanoid.check({}, inputs);
      if (checked.failures?.length) changes.push(`${what}: check fails: ${JSON.stringify(checked.failures)}`);
      const i = checked.inputs as Record<string, any>;
      const section = sanoid.sectionName(i);
      if (setSection(conf, section, sanoid.entriesOf(i), { resolveDuplicates: i.resolveDuplicates }) !== conf) changes.push(`${what}: sanoid.conf [${section}] rewritten`);
      const olds = { ...i, section, live: settingsOf(parseIni(conf), section) ?? {}, duplicates: [] };
      if ((await sanoid.diff("id", olds as never, i as never)).changes) changes.push(`${what}: the next preview shows a change`);
    } else if (r.kind === "SyncoidPull") {
      const checked = await syncoid.check({}, inputs);
      if (checked.failures?.length) changes.push(`${what}: check fails: ${JSON.stringify(checked.failures)}`);
      const i = checked.inputs as Record<string, any>;
      if (setPull(args, syncoid.pullOf(i as never), { resolveDuplicates: i.resolveDuplicates }) !== args) changes.push(`${what}: syncoid-args.conf line for ${i.target} rewritten`);
      const line = linesFor(parseArgs(args), i.target)[0]?.raw.replace(/\r?\n$/, "") ?? "";
      if ((await syncoid.diff("id", { ...i, line, duplicates: [] } as never, i as never)).changes) changes.push(`${what}: the next preview shows a change`);
    } else if (r.kind === "NfsShare") {
      const checked = await nfs.check({}, inputs);
      if (checked.failures?.length) changes.push(`${what}: check fails: ${JSON.stringify(checked.failures)}`);
      const i = checked.inputs as Record<string, any>;
      const p = facts.datasets.byName.get(i.dataset)?.properties.sharenfs;
      if (!p || p.source !== "local" || shareKey(parseSharenfs(p.value)) !== shareKey(nfs.shareOf(i as never))) changes.push(`${what}: zfs set sharenfs on ${i.dataset}`);
      const olds = { ...i, sharenfs: p?.value ?? "off", staleExports: [] };
      if ((await nfs.diff("id", olds as never, i as never)).changes) changes.push(`${what}: the next preview shows a change`);
    } else {
      changes.push(`${what}: a kind the check does not know`);
    }
  }
  return changes;
}

// ---------------------------------------------------------------------------

describe("the one command", () => {
  it("is one sh -c with the script as its text and the paths, the nonce and the read script as quoted arguments", () => {
    const cmd = importCommand(NONCE, { sanoidConf: "/etc/sanoid/sanoid.conf", syncoidArgs: "/etc/sanoid/syncoid args.conf" });
    expect(cmd.text.startsWith("sh -c ")).toBe(true);
    expect(cmd.text).toContain(`zfs-fleet-import ${NONCE} /etc/sanoid/sanoid.conf '/etc/sanoid/syncoid args.conf' /etc/exports.d/zfs.exports`);
    // Only zfs get, zfs list, zfs allow and the read script: nothing that writes.
    expect(IMPORT_SCRIPT).not.toMatch(/zfs (set|inherit|create|destroy|rename|unallow|share)|\bmv\b|\brm\b|>(?!&1|\/dev\/null)/);
  });

  it("gives each section's bytes back exactly: no trailing newline, blank lines, a line that looks like a frame", () => {
    const tricky = "no newline at the end\n\n  zfs-fleet-xyz end 0\n" + "last";
    const out = framed([{ name: "sanoid", body: tricky }, { name: "syncoid", body: "" }, { name: "exports", body: "\n" }]);
    const s = splitSections(out, NONCE);
    expect(s.map((x) => [x.name, x.body])).toEqual([["sanoid", tricky], ["syncoid", ""], ["exports", "\n"]]);
  });

  it("refuses an output cut before its end", () => {
    const out = framed([{ name: "identity", body: "a\tguid\t1\t-\n" }]);
    expect(() => splitSections(out.slice(0, out.length - 20), NONCE)).toThrow(/cut/);
  });

  it("tells an absent file, a refused one (a symbolic link) and a read that failed apart", () => {
    const out = framed([
      ...zfsSections("h", []),
      fileSection("sanoid", undefined),
      { name: "syncoid", body: "", exitCode: 78 },
      { name: "exports", body: "", exitCode: 1 },
    ]);
    const f = read(out);
    expect(f.sanoidConf).toEqual({ path: PATHS.sanoidConf, absent: true });
    expect(f.syncoidArgs).toMatchObject({ refused: expect.stringMatching(/symbolic link/) });
    expect(f.exports).toMatchObject({ refused: expect.stringMatching(/exit 1/) });
  });
});

describe("datasets: the properties set on them", () => {
  const facts = read(framed([...fixtureHost(), fileSection("sanoid", undefined), fileSection("syncoid", undefined), fileSection("exports", undefined)]));
  const d = describeHost("off1", facts);

  it("describes each filesystem with its local properties only (inherited and default ones left out), sizes as ZFS reports them", () => {
    expect(d.datasets.map((x) => [x.name, x.properties])).toEqual([
      ["zfs-nvme/off", { compression: "zstd", "org.openfoodfacts:role": "replica", quota: "10737418240", "syncoid:sync": "false" }],
      ["zfs-nvme/off/cache", { canmount: "noauto", mountpoint: "/mnt/off-cache" }],
      ["zfs-nvme/off/images", { atime: "on", recordsize: "1048576" }],
      ["zfs-nvme/off/products", {}],
      ["zfs-nvme/staging-products", {}],
    ]);
    expect(d.datasets.find((x) => x.name === "zfs-nvme/off")?.guid).toMatch(/^\d+$/);
  });

  it("leaves the pool's root and a volume alone, saying so", () => {
    expect(d.unmanaged).toContainEqual(expect.stringMatching(/^pool zfs-nvme's root .*set on it atime=off, compression=lz4, mountpoint=\/zfs-nvme$/));
    expect(d.unmanaged).toContainEqual("volume zfs-nvme/vol1: a Dataset is a filesystem");
  });

  it("keeps a property a Dataset refuses out of it, and a received one, each said", () => {
    const out = framed([
      ...zfsSections("h", [
        { name: "tank", properties: {} },
        { name: "tank/a", properties: { snapdev: ["visible", "local"], compression: ["zstd", "received"], atime: ["off", "local"], mountpoint: ["/srv/my data", "local"] } },
      ]),
      fileSection("sanoid", undefined),
      fileSection("syncoid", undefined),
      fileSection("exports", undefined),
    ]);
    const x = describeHost("h", read(out));
    expect(x.datasets).toEqual([{ key: "tank/a", name: "tank/a", guid: expect.any(String), properties: { atime: "off" } }]);
    expect(x.unmanaged.join("\n")).toMatch(/tank\/a: snapdev=visible is set on it, which a Dataset cannot manage/);
    expect(x.unmanaged.join("\n")).toMatch(/tank\/a: mountpoint=\/srv\/my data is set on it, which a Dataset cannot manage/);
    expect(x.unmanaged.join("\n")).toMatch(/tank\/a: received compression \(replication's, not managed\)/);
  });
});

describe("grants: zfs allow per dataset, grantee and scope", () => {
  const allowOf = (file: string) => readFileSync(join(FIXTURES, file), "utf8");
  const host = (allow: Record<string, string>) => {
    const names = ["zfs-hdd", "zfs-hdd/fx-allow", "zfs-hdd/fx-allow/child", "zfs-hdd/fx-allow/empty"];
    return read(framed([...zfsSections("h", names.map((name) => ({ name, properties: {} })), (n) => allow[n] ?? ""), fileSection("sanoid", undefined), fileSection("syncoid", undefined), fileSection("exports", undefined)]));
  };
  // `zfs allow` of a child prints its parents' blocks too: each dataset's own block is its grants.
  const parent = allowOf("delegation-zfs-allow-child-and-parent.txt").split(/(?=^---- Permissions on zfs-hdd\/fx-allow -)/m)[1];
  const facts = host({
    "zfs-hdd": allowOf("zfs-allow-off2-zfs-hdd.txt"),
    "zfs-hdd/fx-allow": parent,
    "zfs-hdd/fx-allow/child": allowOf("delegation-zfs-allow-child-and-parent.txt"),
    "zfs-hdd/fx-allow/empty": allowOf("delegation-zfs-allow-create-time.txt"),
  });
  const d = describeHost("off2", facts);

  it("one Delegation with scope both where both scopes hold the same, one per scope where they differ", () => {
    expect(d.grants.map((g) => [g.key, g.dataset, g.who, g.permissions, g.scope])).toEqual([
      ["off1operator-zfs-hdd", "zfs-hdd", { user: "off1operator" }, ["hold", "send"], "both"],
      ["ovh3operator-zfs-hdd", "zfs-hdd", { user: "ovh3operator" }, ["hold", "send"], "both"],
      ["everyone-zfs-hdd/fx-allow", "zfs-hdd/fx-allow", { everyone: true }, ["readonly"], "both"],
      ["group-ovh3operator-zfs-hdd/fx-allow-descendent", "zfs-hdd/fx-allow", { group: "ovh3operator" }, ["destroy", "mount"], "descendent"],
      ["off1operator-zfs-hdd/fx-allow-local", "zfs-hdd/fx-allow", { user: "off1operator" }, ["snapshot"], "local"],
      ["ovh3operator-zfs-hdd/fx-allow", "zfs-hdd/fx-allow", { user: "ovh3operator" }, ["@pull", "userprop"], "both"],
      ["off2operator-zfs-hdd/fx-allow/child-local", "zfs-hdd/fx-allow/child", { user: "off2operator" }, ["hold", "send"], "local"],
      ["off2operator-zfs-hdd/fx-allow/child-descendent", "zfs-hdd/fx-allow/child", { user: "off2operator" }, ["hold"], "descendent"],
      ["root-zfs-hdd/fx-allow/empty-local", "zfs-hdd/fx-allow/empty", { user: "root" }, ["create", "destroy", "mount"], "local"],
    ]);
  });

  it("leaves a deleted user's grants, permission sets and create-time permissions alone, saying so", () => {
    const text = d.unmanaged.join("\n");
    expect(text).toMatch(/zfs allow zfs-hdd\/fx-allow\/child for user \(unknown: 1003\) \(local hold; descendent hold\): .*left as it is/);
    expect(text).toMatch(/zfs allow zfs-hdd\/fx-allow: the permission set @pull \(hold,send\) is defined there/);
    expect(text).toMatch(/zfs allow zfs-hdd\/fx-allow: create-time permissions create,destroy,mount/);
  });

  it("leaves a grant that a Delegation refuses (sharenfs) whole, never a part of it", () => {
    const f = host({ "zfs-hdd/fx-allow": `${allowHeader("zfs-hdd/fx-allow")}\nLocal+Descendent permissions:\n\tuser alice hold,sharenfs\n` });
    const x = describeHost("off2", f);
    expect(x.grants).toEqual([]);
    expect(x.unmanaged.join("\n")).toMatch(/zfs allow zfs-hdd\/fx-allow for user alice \(local hold,sharenfs; descendent hold,sharenfs\): permissions\[1\]: "sharenfs" is refused/);
  });

  it("plans no grant and no revocation for what it describes", async () => {
    const { registered } = await runModule(renderModule(d));
    expect(await plannedChanges("off2", facts, registered)).toEqual([]);
  });
});

describe("sanoid.conf and syncoid-args.conf: what is described, what is left", () => {
  const host = (conf: string, args: string) =>
    read(framed([...zfsSections("h", [{ name: "tank", properties: {} }, { name: "tank/a", properties: {} }]), fileSection("sanoid", conf), fileSection("syncoid", args), fileSection("exports", undefined)]));

  const conf = [
    "[tank/a]",
    "\tuse_template = hourly",
    "\trecursive = zfs",
    "\tdaily = 7",
    "",
    "[tank/b]",
    "  use_template = hourly, daily",
    "[tank/c]",
    "  hourly = 24 # a day",
    "[tank/d]",
    "  recursive = 1",
    "[tank/e]",
    "  hourly = 1",
    "  hourly = 2",
    "[template_hourly]",
    "  hourly = 24",
    "  autosnap = yes",
    "[template_bad]",
    "  recursive = yes",
    "stray line",
    "",
  ].join("\n");
  const args = [
    "# pulls",
    "--no-sync-snap tank/x tank/a",
    "#--recursive root@far.example:tank/y tank/paused",
    "# --recursive root@far.example:tank/y tank/spaced",
    "--no-sync-snap  root@far.example:tank/z tank/twospaces",
    "--compress=zstd-fast --sshoption=ProxyCommand=nc root@far.example:tank/w tank/proxy",
    "-r --no-sync-snap tank/a root@backup.example:tank/a",
    "oneword",
    "",
  ].join("\n");
  const facts = host(conf, args);
  const d = describeHost("h", facts);

  it("describes the sections and lines it can write back as they are", () => {
    expect(d.templates).toEqual([{ key: "template_hourly", name: "hourly", settings: { hourly: "24", autosnap: "yes" } }]);
    expect(d.policies).toEqual([{ key: "tank/a", dataset: "tank/a", templates: ["hourly"], recursive: "zfs", settings: { daily: "7" } }]);
    expect(d.pulls).toEqual([
      { key: "tank/a", source: { dataset: "tank/x" }, target: "tank/a", flags: ["--no-sync-snap"], enabled: true },
      { key: "tank/paused", source: { user: "root", host: "far.example", dataset: "tank/y" }, target: "tank/paused", flags: ["--recursive"], enabled: false },
      { key: "root@backup.example:tank/a", source: { dataset: "tank/a" }, target: "root@backup.example:tank/a", flags: ["-r", "--no-sync-snap"], enabled: true },
    ]);
  });

  it("leaves the rest as it is, naming each", () => {
    const text = d.unmanaged.join("\n");
    expect(text).toMatch(/\[tank\/b\] \(line 6\): templates\[1\]/);
    expect(text).toMatch(/\[tank\/c\] \(line 8\): settings\.hourly: hourly: "24 # a day" contains # or ;/);
    expect(text).toMatch(/\[tank\/d\] \(line 10\): recursive/);
    expect(text).toMatch(/\[tank\/e\] \(line 12\): hourly given more than once/);
    expect(text).toMatch(/\[template_bad\] \(line 18\): settings\.recursive/);
    expect(text).toMatch(/sanoid\.conf line 20: "stray line" is not a section/);
    expect(text).toMatch(/syncoid-args\.conf line 4: the resource would write it differently/);
    expect(text).toMatch(/syncoid-args\.conf line 5: the resource would write it differently/);
    expect(text).toMatch(/syncoid-args\.conf line 6: flags\[1\]: .*ProxyCommand/);
    expect(text).toMatch(/syncoid-args\.conf line 8: "oneword" is not a pull line/);
  });

  it("plans no edit of either file for what it describes", async () => {
    const { registered } = await runModule(renderModule(d));
    expect(registered.filter((r) => r.kind !== "Dataset").map((r) => `${r.kind} ${r.name}`).sort()).toEqual([
      "SanoidPolicy tank/a",
      "SanoidTemplate template_hourly",
      "SyncoidPull root@backup.example:tank/a",
      "SyncoidPull tank/a",
      "SyncoidPull tank/paused",
    ]);
    expect(await plannedChanges("h", facts, registered)).toEqual([]);
  });
});

describe("shares", () => {
  // The values of the captured `zfs list` (nfs-zfs-list-ovh3.txt), each set on its dataset.
  const values = readFileSync(join(FIXTURES, "nfs-zfs-list-ovh3.txt"), "utf8").split("\n").filter(Boolean).map((l) => l.split("\t"));
  const datasets = values.map(([name, mountpoint, sharenfs]) => ({
    name,
    properties: { mountpoint: [mountpoint, name.includes("/") ? "inherited from rpool" : "local"], sharenfs: [sharenfs, sharenfs === "off" ? "default" : "local"] } as Record<string, [string, string]>,
  }));
  datasets.push({ name: "rpool/wide", properties: { mountpoint: ["/rpool/wide", "inherited from rpool"], sharenfs: ["ro=@10.0.0.0/8", "local"] } });
  datasets.push({ name: "rpool/stop", properties: { mountpoint: ["/rpool/stop", "inherited from rpool"], sharenfs: ["off", "local"] } });
  const facts = read(framed([...zfsSections("ovh3", datasets), fileSection("sanoid", undefined), fileSection("syncoid", undefined), fileSection("exports", readFileSync(join(FIXTURES, "nfs-zfs.exports-ovh3.txt"), "utf8"))]));
  const d = describeHost("ovh3", facts);

  it("describes each sharenfs set on a dataset: clients, options, everyone where the host shares with everyone", () => {
    expect(d.shares.map((s) => [s.dataset, s.clients, s.options, s.allowEveryone])).toEqual([
      ["rpool/fx-nfs-on", [], [], true],
      ["rpool/fx-nfs-renamed", [{ address: "10.0.0.2/32", access: "rw" }, { address: "10.0.0.1/32", access: "rw" }, { address: "10.0.0.0/28", access: "ro" }], ["no_root_squash", "crossmnt"], false],
      ["rpool/fx-plain2", [{ address: "10.0.0.2", access: "rw" }], ["sec=sys", "async"], false],
      ["rpool/wide", [{ address: "10.0.0.0/8", access: "ro" }], [], true],
    ]);
    expect(d.unmanaged.join("\n")).toMatch(/rpool\/stop: sharenfs=off is set on it/);
  });

  it("says when the first up regenerates zfs.exports (it lists paths no longer shared)", () => {
    expect(d.firstUp.join("\n")).toMatch(/zfs\.exports disagrees with what ZFS shares \(it lists \/rpool\/fx-nfs, \/rpool\/fx-nfs\/child, \/rpool\/fx-nfs-plain, no longer shared; it misses .*\): the first up regenerates it/);
  });

  it("plans no zfs set for what it describes", async () => {
    const { registered } = await runModule(renderModule(d));
    expect(await plannedChanges("ovh3", facts, registered)).toEqual([]);
  });
});

describe("the seeded lab hosts", () => {
  const described = new Map<SeedHost, { facts: HostFacts; d: Description; text: string }>();
  for (const h of HOSTS) {
    const s = seededHost(h);
    const facts = parseHostOutput(s.stdout, s.nonce, s.paths);
    const d = describeHost(h, facts);
    described.set(h, { facts, d, text: renderModule(d, { version: "0.2.0" }) });
  }

  it.each(HOSTS)("%s: the written program changes nothing and previews empty after (the providers' own planning)", async (h) => {
    const { facts, text } = described.get(h)!;
    const { registered, outputs } = await runModule(text);
    expect(registered.length).toBeGreaterThan(20);
    expect(await plannedChanges(h, facts, registered)).toEqual([]);
    expect(outputs.host).toBe(h);
  });

  it.each(HOSTS)("%s: the module is valid TypeScript, and the same bytes when written again", (h) => {
    const { d, text } = described.get(h)!;
    const diagnostics = ts.transpileModule(text, { reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.CommonJS } }).diagnostics ?? [];
    expect(diagnostics.map((x) => ts.flattenDiagnosticMessageText(x.messageText, "\n"))).toEqual([]);
    expect(renderModule(d, { version: "0.2.0" })).toBe(text);
  });

  it("the check sees a change: a module edited by hand plans its zfs set, grant, section and line edits", async () => {
    const { facts, text } = described.get("off2")!;
    const edited = text
      .replace('name: "zfs-hdd/off", guid', 'name: "zfs-hdd/off-renamed", guid')
      .replace(/(\{ key: "zfs-hdd\/pve", name: "zfs-hdd\/pve", guid: "\d+", properties: )\{\}/, '$1{ atime: "on" }')
      .replace('permissions: ["hold", "send"], scope: "both" }', 'permissions: ["hold"], scope: "both" }')
      .replace('hourly: "36"', 'hourly: "48"')
      .replace('enabled: true }', "enabled: false }");
    const { registered } = await runModule(edited);
    const changes = (await plannedChanges("off2", facts, registered)).join("\n");
    expect(changes).toMatch(/Dataset zfs-hdd\/off: would create zfs-hdd\/off-renamed/);
    expect(changes).toMatch(/Dataset zfs-hdd\/pve: zfs set atime=on/);
    expect(changes).toMatch(/Delegation off1operator-rpool: zfs allow\/unallow .*"revoke":\{"local":\["send"\]/);
    expect(changes).toMatch(/SanoidTemplate template_local_data: sanoid.conf \[template_local_data\] rewritten/);
    expect(changes).toMatch(/SyncoidPull root@ovh3.openfoodfacts.org:rpool\/obf: syncoid-args.conf line for .* rewritten/);
  });

  it("off1: the duplicated sanoid section and the two lines pulling into zfs-hdd/obf are left as they are, and said", () => {
    const { d } = described.get("off1")!;
    expect(d.policies.map((p) => p.dataset)).not.toContain("zfs-hdd/backups");
    expect(d.pulls.map((p) => p.target)).not.toContain("zfs-hdd/obf");
    expect(d.unmanaged.join("\n")).toMatch(/\[zfs-hdd\/backups\] appears 2 times .*lines 20, 54/);
    expect(d.unmanaged.join("\n")).toMatch(/lines 9, 11 pull into zfs-hdd\/obf/);
  });

  it("ovh3: the paused pulls are described paused, the shares with their two clients, the clones adopted", () => {
    const { d } = described.get("ovh3")!;
    expect(d.pulls.filter((p) => !p.enabled).map((p) => p.target)).toEqual(["rpool/obf", "rpool/opf", "rpool/opff", "rpool/off", "rpool/off/products", "rpool/backups/off2-rpool"]);
    expect(d.shares.find((s) => s.dataset === "rpool/off/clones")?.clients).toHaveLength(2);
    expect(d.datasets.map((x) => x.name)).toContain("rpool/off/clones/images");
    expect(d.firstUp).toEqual([]);
  });
});

describe("the host's config files", () => {
  const stdout = framed([...zfsSections("h", [{ name: "tank", properties: {} }]), fileSection("sanoid", "[template_x]\n\thourly = 1\n"), fileSection("syncoid", ""), fileSection("exports", undefined)]);

  it("says the defaults are used when the files were read at the defaults", () => {
    const text = renderModule(describeHost("h", parseHostOutput(stdout, NONCE, PATHS)));
    expect(text).toContain("// The host's files are the defaults (/etc/sanoid/sanoid.conf, /etc/sanoid/syncoid-args.conf).");
    expect(text).not.toContain("zfs-fleet:hosts.h.sanoidConf");
  });

  it("names the zfs-fleet:hosts keys a file read elsewhere needs, only for that file", () => {
    const text = renderModule(describeHost("h", parseHostOutput(stdout, NONCE, { ...PATHS, sanoidConf: "/etc/sanoid/tank.conf" })));
    expect(text).toContain("//   pulumi config set --path zfs-fleet:hosts.h.sanoidConf /etc/sanoid/tank.conf\n");
    expect(text).not.toContain("zfs-fleet:hosts.h.syncoidArgs");
    expect(text).toContain("/etc/sanoid/tank.conf: the templates");
  });
});

describe("keys that stay when names change", () => {
  const s = seededHost("ovh3");
  const first = renderModule(describeHost("ovh3", parseHostOutput(s.stdout, s.nonce, s.paths)));

  it("an import after a rename keeps the dataset's key (by guid), and the keys of its policy, pull and share", () => {
    // rpool/backups renamed to rpool/nfs-backups on the host, children and all: same guids, new names.
    const renamed = s.stdout.replace(/(^|\t|begin allow )rpool\/backups(?=[\t/\n])/gm, "$1rpool/nfs-backups").replace(/\[rpool\/backups\//g, "[rpool/nfs-backups/").replace(/ rpool\/backups\//g, " rpool/nfs-backups/");
    const d = describeHost("ovh3", parseHostOutput(renamed, s.nonce, s.paths), { previousKeys: previousKeys(first) });
    const backups = d.datasets.find((x) => x.name === "rpool/nfs-backups")!;
    expect(backups.key).toBe("rpool/backups");
    expect(d.datasets.find((x) => x.name === "rpool/nfs-backups/robotoff")?.key).toBe("rpool/backups/robotoff");
    expect(d.shares.map((x) => x.key)).toContain("rpool/backups/robotoff");
    expect(d.policies.find((p) => p.dataset === "rpool/backups/off1-pve")?.key).toBe("rpool/backups/off1-pve");
    expect(d.pulls.find((p) => p.target === "rpool/backups/off1-rpool")?.key).toBe("rpool/backups/off1-rpool");
  });

  it("reads the guid -> key table back from the module as written", () => {
    const keys = previousKeys(first);
    expect(keys.size).toBe(29);
    expect([...keys.values()]).toContain("rpool/off/clones/users");
  });

  it("writes strings as JSON and quotes keys that are not identifiers", () => {
    expect(literal({ "syncoid:sync": "false", quota: "1", a: ["x\"y"], u: undefined })).toBe('{ "syncoid:sync": "false", quota: "1", a: ["x\\"y"] }');
  });
});
