// Hardening (issue 15) on the lab, as an operator meets it: a production
// stack will not take the lab's public passphrase for its root key; a pull
// whose ssh options would run code or drop host-key checking fails preview
// before anything reaches ovh3; and the non-root receive that replication
// needs (create,mount,receive delegated on ovh3) really receives a stream
// sent from off2, where the same grant without mount does not.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllow } from "../../provider/delegation/allow";
import { PulumiError, TestStack, repo } from "./engine";
import { closeConnections, lab, out, resetLab, run, sh } from "./support";

const PROGRAM = `
import * as pulumi from "@pulumi/pulumi";
import { Dataset, Delegation, SyncoidPull } from "zfs-fleet-provider/src";

const cfg = new pulumi.Config();
const recv = new Dataset("recv", { host: "ovh3", name: "rpool/recv" });
new Delegation("off2operator-recv", {
  host: "ovh3",
  dataset: recv.name,
  who: { user: "off2operator" },
  permissions: cfg.getObject<string[]>("permissions") ?? ["create", "mount", "receive"],
});
const flags = cfg.getObject<string[]>("flags");
if (flags) {
  new SyncoidPull("pulled", { host: "ovh3", target: "rpool/pulled",
    source: { user: "ovh3operator", host: "off2.openfoodfacts.org", dataset: "zfs-hdd/sendme" }, flags });
}
`;

const SNAP = "zfs-hdd/sendme@hardening";
/** What off2operator holds on rpool/recv, as ZFS stores it. */
const granted = async () => parseAllow(await out("ovh3", sh`zfs allow rpool/recv`), "rpool/recv").grants["user off2operator"];
/** On off2, as root: zfs send, piped over ssh to ovh3 as off2operator (not root), who runs zfs receive -u. */
const sendToOvh3 = (target: string) =>
  run(
    "off2",
    // A non-root user's PATH has no sbin, where zfs is.
    sh`zfs send ${SNAP} | ssh -o BatchMode=yes off2operator@ovh3.openfoodfacts.org ${`id -un >&2; PATH=/usr/sbin:/sbin:$PATH zfs receive -u ${target}`}`,
    { allowFailure: true, timeoutMs: 300_000 },
  );

describe("hardening, on the lab", () => {
  let stack: TestStack;

  beforeAll(async () => {
    await resetLab();
    await run("off2", sh`zfs create zfs-hdd/sendme && head -c 65536 /dev/urandom > /zfs-hdd/sendme/data.bin && zfs snapshot ${SNAP}`);
    stack = await TestStack.create("hardening", ["off2", "ovh3"], PROGRAM);
  });
  afterAll(async () => {
    await stack?.dispose();
    await closeConnections();
  });

  it("a production-named stack refuses the lab passphrase for the root key, by default or set by hand", async () => {
    // `pulumi` as tools/env.sh puts it on PATH, in this test's project and backend.
    const wrapper = join(repo, "tools", "bin", "pulumi");
    const key = readFileSync(lab().hosts.off2.privateKeyPath, "utf8");
    const env: NodeJS.ProcessEnv = { ...process.env, PULUMI_BACKEND_URL: `file://${stack.dir}` };
    delete env.PULUMI_CONFIG_PASSPHRASE;
    delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
    const cli = (args: string[], extra: NodeJS.ProcessEnv) =>
      new Promise<{ code: number; stderr: string }>((done) => {
        const child = execFile(wrapper, [...args, "--non-interactive"], { cwd: stack.dir, env: { ...env, ...extra } }, (err, _stdout, stderr) =>
          done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
        );
        child.stdin?.end(key);
      });
    for (const passphrase of [{}, { PULUMI_CONFIG_PASSPHRASE_FILE: join(repo, "stacks", "lab.passphrase") }, { PULUMI_CONFIG_PASSPHRASE: readFileSync(join(repo, "stacks", "lab.passphrase"), "utf8").trim() }]) {
      const init = await cli(["stack", "init", "off2"], passphrase);
      expect(init.code, JSON.stringify(passphrase)).toBe(1);
      expect(init.stderr).toMatch(/refused, nothing was run: stack off2 is not a lab stack/);
      const secret = await cli(["config", "set", "--secret", "zfs-fleet:sshPrivateKey", "-s", "off2"], passphrase);
      expect(secret.code).toBe(1);
      expect(secret.stderr).toMatch(/stack off2 is not a lab stack/);
    }
    expect(existsSync(join(stack.dir, "Pulumi.off2.yaml"))).toBe(false);
    expect(existsSync(join(stack.dir, ".pulumi", "stacks", "zfs-fleet", "off2.json"))).toBe(false);
  });

  it.each([
    ["ProxyCommand, which runs a command as root on ovh3", "--sshoption=ProxyCommand=/tmp/pwn", /sets "ProxyCommand", which a pull may not set \(it runs a command\)/],
    ["PKCS11Provider, which loads a library", "--sshoption=PKCS11Provider=/tmp/pwn.so", /it loads a shared library/],
    ["StrictHostKeyChecking=no", "--sshoption=StrictHostKeyChecking=no", /StrictHostKeyChecking "no" is not yes/],
    ["UserKnownHostsFile=/dev/null", "--sshoption=UserKnownHostsFile=/dev/null", /replaces the known_hosts that host keys are checked against/],
  ])("a pull with %s fails preview, and nothing reaches ovh3", async (_what, option, why) => {
    const before = await out("ovh3", "cat /etc/sanoid/syncoid-args.conf 2>/dev/null || true");
    await stack.setConfig("zfs-fleet:flags", JSON.stringify(["--no-sync-snap", "--no-privilege-elevation", option]));
    stack.takeCommands();
    const err = await stack.preview().catch((e: unknown) => e);
    await stack.pulumi("config", "rm", "zfs-fleet:flags");
    expect(err).toBeInstanceOf(PulumiError);
    expect((err as PulumiError).text).toMatch(why);
    expect(stack.takeCommands().filter((c) => c.event === "command")).toEqual([]);
    expect(await out("ovh3", "cat /etc/sanoid/syncoid-args.conf 2>/dev/null || true")).toBe(before);
  });

  it("create,mount,receive delegated on ovh3 lets off2operator receive a stream sent from off2 (a real non-root receive)", async () => {
    const up = await stack.up();
    // mount is accepted, with what it does and does not allow on Linux.
    expect(up).toMatch(/Delegation of "mount" to user off2operator on rpool\/recv: on Linux the grantee cannot mount/);
    expect(await granted()).toEqual({ local: ["create", "mount", "receive"], descendent: ["create", "mount", "receive"] });

    const r = await sendToOvh3("rpool/recv/from-off2");
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain("off2operator"); // the receiving side ran as the delegated user, not root
    expect(await out("ovh3", sh`zfs list -H -o name -t snapshot rpool/recv/from-off2`)).toBe("rpool/recv/from-off2@hardening\n");
    // -u: received, not mounted (Linux lets only root mount); root mounts it and finds the data.
    expect(await out("ovh3", sh`zfs get -H -o value mounted rpool/recv/from-off2`)).toBe("no\n");
    await run("ovh3", sh`zfs mount rpool/recv/from-off2`);
    const sums = await Promise.all([
      out("off2", "sha256sum < /zfs-hdd/sendme/data.bin"),
      out("ovh3", sh`sha256sum < "$(zfs get -H -o value mountpoint rpool/recv/from-off2)/data.bin"`),
    ]);
    expect(sums[1]).toBe(sums[0]);
  });

  it("the same grant without mount warns that receive lacks it, and the receive is then refused", async () => {
    await stack.setConfig("zfs-fleet:permissions", JSON.stringify(["create", "receive"]));
    const up = await stack.up();
    expect(up).toMatch(/Delegation of receive to user off2operator on rpool\/recv: zfs-allow\(8\) requires create and mount with it, and this grant lacks mount/);
    expect(await granted()).toEqual({ local: ["create", "receive"], descendent: ["create", "receive"] });
    const r = await sendToOvh3("rpool/recv/without-mount");
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/permission denied/i);
    expect((await run("ovh3", sh`zfs list rpool/recv/without-mount`, { allowFailure: true })).exitCode).not.toBe(0);
  });
});
