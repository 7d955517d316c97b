// The provider as a package another team uses: `npm pack` in provider/
// makes the tarball, which installs into a project of another name (the
// example, examples/tank-backup, copied to a scratch directory outside the
// repository, with `npm install <tarball>` from the local npm cache); the
// program type-checks against the package's declarations, the internals are
// out of reach, an imported module type-checks too, and `pulumi preview`
// there proves the shim loads the installed package and that the provider
// reads `zfs-fleet:hosts` in a project named tank-backup. No host: every
// preview stops at check, with no remote command.
import { execFile } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeHost } from "../../provider/import/describe";
import { parseHostOutput } from "../../provider/import/facts";
import { renderModule } from "../../provider/import/render";
import { seededHost } from "../unit/import-hosts";

const repo = resolve(__dirname, "../..");
const version = (JSON.parse(readFileSync(join(repo, "provider/package.json"), "utf8")) as { version: string }).version;
const tarball = `zfs-fleet-provider-${version}.tgz`;

interface Ran {
  code: number;
  out: string;
}

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((done) => {
    execFile(cmd, args, { cwd, env, maxBuffer: 64 << 20, timeout: 600_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : 1) : 0;
      done({ code, out: `${stdout}${stderr}` });
    });
  });
}

async function ok(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const r = await sh(cmd, args, cwd, env);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) failed (${r.code}):\n${r.out}`);
  return r.out;
}

describe("zfs-fleet-provider, packed and installed into a project of another name", () => {
  let scratch: string;
  let project: string;
  let env: NodeJS.ProcessEnv;
  const pulumi = (...args: string[]) => sh("pulumi", [...args, "--non-interactive", "-s", "dev"], project, env);

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "zfs-fleet-package-"));
    project = join(scratch, "tank-backup");
    env = {
      ...process.env,
      PULUMI_BACKEND_URL: `file://${join(scratch, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "engine-test",
      PULUMI_CONFIG_PASSPHRASE_FILE: "",
      ZFSFLEET_STATS_FILE: join(scratch, "commands.jsonl"),
      npm_config_prefer_offline: "true",
      npm_config_audit: "false",
      npm_config_fund: "false",
      npm_config_update_notifier: "false",
    };
    await ok("npm", ["pack", "--pack-destination", scratch], join(repo, "provider"), env);
    cpSync(join(repo, "examples/tank-backup"), project, { recursive: true, filter: (src) => !src.includes("node_modules") });
    await ok("npm", ["install", `../${tarball}`], project, env);
    mkdirSync(join(scratch, "state"));
    await ok("pulumi", ["stack", "init", "dev", "--non-interactive"], project, env);
  });

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("the tarball holds the compiled provider, its declarations and its README, no sources or source maps", async () => {
    const files = (await ok("tar", ["-tzf", join(scratch, tarball)], scratch, env)).split("\n").filter(Boolean);
    expect(files).toEqual(expect.arrayContaining(["package/package.json", "package/README.md", "package/dist/provider/index.js", "package/dist/provider/shim.js", "package/dist/provider/import/cli.js", "package/dist/types/provider/index.d.ts"]));
    expect(files.filter((f) => f.endsWith(".map") || (f.endsWith(".ts") && !f.endsWith(".d.ts")))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(project, "node_modules/zfs-fleet-provider/package.json"), "utf8"));
    expect(pkg).toMatchObject({ name: "zfs-fleet-provider", version, dependencies: { ssh2: expect.any(String), zod: expect.any(String) }, peerDependencies: { "@pulumi/pulumi": expect.any(String) } });
  });

  it("installs as a package of its own, outside the repository, with its dependencies beside it", () => {
    const installed = join(project, "node_modules/zfs-fleet-provider");
    expect(lstatSync(installed).isSymbolicLink()).toBe(false);
    expect(project.startsWith(repo)).toBe(false);
    for (const dep of ["ssh2", "zod", "@pulumi/pulumi"]) expect(existsSync(join(project, "node_modules", dep, "package.json")), dep).toBe(true);
    expect(existsSync(join(project, "node_modules/.bin/zfs-fleet-import"))).toBe(true);
  });

  it("the example type-checks against the package's declarations", async () => {
    await ok("npm", ["run", "typecheck"], project, env);
  });

  it("gives the resource classes and their Args/Outputs types, and keeps the lifecycle and config internals out of reach", async () => {
    writeFileSync(
      join(project, "good.ts"),
      `import { Dataset, type DatasetArgs, type DatasetOutputs, Delegation, type DelegationArgs, NfsShare, type NfsShareOutputs, SanoidPolicy, SanoidTemplate, type SanoidTemplateArgs, SyncoidPull, type SyncoidPullArgs } from "zfs-fleet-provider";
export const kinds = [Dataset, Delegation, NfsShare, SanoidPolicy, SanoidTemplate, SyncoidPull];
export type T = [DatasetArgs, DatasetOutputs, DelegationArgs, NfsShareOutputs, SanoidTemplateArgs, SyncoidPullArgs];
`,
    );
    writeFileSync(join(project, "bad.ts"), `import { configure, dynamicProvider, providers } from "zfs-fleet-provider";\nimport { hostTable } from "zfs-fleet-provider/dist/provider/config";\nexport const x = [configure, dynamicProvider, providers, hostTable];\n`);
    writeFileSync(join(project, "tsconfig.more.json"), JSON.stringify({ extends: "./tsconfig.json", files: ["good.ts", "bad.ts"] }));
    const r = await sh("npx", ["tsc", "--noEmit", "-p", "tsconfig.more.json"], project, env);
    const errors = r.out.split("\n").filter((l) => /error TS/.test(l));
    expect(errors.some((l) => l.startsWith("good.ts"))).toBe(false);
    expect(errors.join("\n")).toMatch(/bad\.ts.*has no exported member 'configure'/);
    expect(errors.join("\n")).toMatch(/bad\.ts.*has no exported member 'providers'/);
    expect(errors.join("\n")).toMatch(/bad\.ts.*has no exported member 'dynamicProvider'/);
    expect(errors.join("\n")).toMatch(/bad\.ts.*Cannot find module 'zfs-fleet-provider\/dist\/provider\/config'/);
    // At run time: the entry points of the loader and of 0.2.0's shims are there (internal), a deep import is refused by the exports map.
    const probe = await ok(
      "node",
      ["-e", `const p = require("zfs-fleet-provider"); console.log(typeof p.dynamicProvider("Dataset").check, typeof p.configure, typeof p.providers.Dataset.check); try { require("zfs-fleet-provider/dist/provider/config"); } catch (e) { console.log(e.code); }`],
      project,
      env,
    );
    expect(probe.trim().split("\n")).toEqual(["function function function", "ERR_PACKAGE_PATH_NOT_EXPORTED"]);
  });

  it("a module written by the import type-checks against the installed package", async () => {
    const s = seededHost("ovh3");
    writeFileSync(join(project, "ovh3.ts"), renderModule(describeHost("ovh3", parseHostOutput(s.stdout, s.nonce, s.paths)), { version }));
    writeFileSync(join(project, "use.ts"), `import { program } from "./ovh3";\nexport const outputs = program();\n`);
    writeFileSync(join(project, "tsconfig.import.json"), JSON.stringify({ extends: "./tsconfig.json", files: ["use.ts"] }));
    await ok("npx", ["tsc", "--noEmit", "-p", "tsconfig.import.json"], project, env);
    // Its bin answers from the package (no host given: a usage error, before any connection).
    const bin = await sh(join(project, "node_modules/.bin/zfs-fleet-import"), [], project, env);
    expect(bin).toMatchObject({ code: 2, out: expect.stringMatching(/zfs-fleet-import: give the host's name/) });
  });

  it("pulumi preview loads the installed provider and reads zfs-fleet:hosts in a project named tank-backup", async () => {
    await ok("pulumi", ["config", "set", "--path", "zfs-fleet:hosts.store1.address", "192.0.2.10", "-s", "dev"], project, env);

    // A bad name: the provider's own check says so (the shim required the installed package); the host passes.
    await ok("pulumi", ["config", "set", "projects", "tank/bad name", "-s", "dev"], project, env);
    let r = await pulumi("preview");
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/Dataset resource 'projects': property name value \{tank\/bad name\} has a problem: "tank\/bad name" must not contain white space/);
    expect(r.out).not.toMatch(/property host value/);

    // A host the config does not have: refused, naming the ones zfs-fleet:hosts has.
    await ok("pulumi", ["config", "rm", "projects", "-s", "dev"], project, env);
    await ok("pulumi", ["config", "set", "host", "elsewhere", "-s", "dev"], project, env);
    r = await pulumi("preview");
    expect(r.out).toMatch(/"elsewhere" is not in the stack's zfs-fleet:hosts \(known: store1\)/);

    // The provider's keys under the project's own namespace: refused, naming the keys to use.
    await ok("pulumi", ["config", "rm", "host", "-s", "dev"], project, env);
    await ok("pulumi", ["config", "rm", "--path", "zfs-fleet:hosts", "-s", "dev"], project, env);
    await ok("pulumi", ["config", "set", "--path", "tank-backup:hosts.store1.address", "192.0.2.10", "-s", "dev"], project, env);
    r = await pulumi("preview");
    expect(r.out).toMatch(/the stack sets "hosts" under the project's own namespace, which this provider does not read: its keys are zfs-fleet:hosts/);

    expect(existsSync(env.ZFSFLEET_STATS_FILE!) ? readFileSync(env.ZFSFLEET_STATS_FILE!, "utf8") : "").toBe("");
  });
});
