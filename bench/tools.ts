// The two ways operators would do the benchmark's work without zfs-fleet,
// driven against the same lab host: Ansible's community.general.zfs module
// (Debian's `ansible` package), and a per-command baseline that opens one SSH
// connection and runs one `zfs get` per dataset, as a program of
// `@pulumi/command` resources (one remote command per dataset) does.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { baseArgs, lab, target } from "../test/lab/support";

// Values as `zfs get -p` prints them: the Ansible module compares those strings (a
// size like recordsize=1M would read 1048576 and always count as a change).
export const PROPERTIES: Record<string, string> = { compression: "lz4", atime: "off", snapdir: "visible", "org.openfoodfacts:role": "bench" };

function spawnTimed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; out: string; ms: number }> {
  return new Promise((resolvePromise, reject) => {
    const started = Date.now();
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code: code ?? 1, out, ms: Date.now() - started }));
  });
}

// ---------------------------------------------------------------------------
// Ansible

export class Ansible {
  readonly dir = mkdtempSync(join(tmpdir(), "zfs-fleet-bench-ansible-"));

  constructor(host: "off2") {
    const h = lab().hosts[host];
    writeFileSync(
      join(this.dir, "inventory.ini"),
      `${host} ansible_host=${h.host} ansible_port=${h.port} ansible_user=${h.user} ansible_ssh_private_key_file=${h.privateKeyPath} ansible_python_interpreter=/usr/bin/python3\n`,
    );
    // Host keys checked as for every tool here; one multiplexed connection
    // for the play (ControlPersist) and pipelining: Ansible at its fastest.
    writeFileSync(
      join(this.dir, "ansible.cfg"),
      [
        "[defaults]",
        "host_key_checking = True",
        "gathering = explicit",
        "forks = 1",
        "[ssh_connection]",
        "pipelining = True",
        `ssh_args = -o ControlMaster=auto -o ControlPersist=600s -o UserKnownHostsFile=${lab().knownHostsPath} -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes`,
        `control_path_dir = ${join(this.dir, "cp")}`,
        "",
      ].join("\n"),
    );
  }

  /** One task: every dataset present with its properties (check mode reports what it would change). */
  async ensure(names: readonly string[], check: boolean): Promise<{ ms: number; changed: number; ok: number }> {
    writeFileSync(join(this.dir, "names.json"), JSON.stringify({ names }));
    writeFileSync(
      join(this.dir, "datasets.yml"),
      [
        "- hosts: all",
        "  vars_files: [names.json]",
        "  tasks:",
        "    - community.general.zfs:",
        "        name: \"{{ item }}\"",
        "        state: present",
        "        extra_zfs_properties:",
        ...Object.entries(PROPERTIES).map(([k, v]) => `          \"${k}\": \"${v}\"`),
        "      loop: \"{{ names }}\"",
        "",
      ].join("\n"),
    );
    return this.play("datasets.yml", check);
  }

  /** The module has no rename: a command task, as operators write it. */
  async rename(from: string, to: string): Promise<{ ms: number; changed: number; ok: number }> {
    writeFileSync(
      join(this.dir, "rename.yml"),
      ["- hosts: all", "  tasks:", `    - ansible.builtin.command: zfs rename ${from} ${to}`, ""].join("\n"),
    );
    return this.play("rename.yml", false);
  }

  private async play(file: string, check: boolean): Promise<{ ms: number; changed: number; ok: number }> {
    const r = await spawnTimed(
      "ansible-playbook",
      ["-i", join(this.dir, "inventory.ini"), join(this.dir, file), ...(check ? ["--check"] : [])],
      { ...process.env, ANSIBLE_CONFIG: join(this.dir, "ansible.cfg"), ANSIBLE_NOCOLOR: "1" },
    );
    if (r.code !== 0) throw new Error(`ansible-playbook ${file} failed (${r.code}):\n${r.out.slice(-3000)}`);
    const recap = r.out.match(/ok=(\d+)\s+changed=(\d+)/);
    return { ms: r.ms, ok: Number(recap?.[1] ?? 0), changed: Number(recap?.[2] ?? 0) };
  }
}

// ---------------------------------------------------------------------------
// The per-command baseline

/** A connection of its own each time: ssh keeps the first value of an option, so these win over the shared master's. */
const sshArgs = (host: "off2"): string[] => ["-o", "ControlMaster=no", "-o", "ControlPath=none", ...baseArgs(host), target(host)];

/**
 * Reads every dataset's properties the per-command way: a new connection and
 * one `zfs get` per dataset, `parallel` at a time (a Pulumi program runs its
 * resources in parallel; sshd's MaxStartups allows 10 unauthenticated at once).
 */
export async function perCommandRead(host: "off2", names: readonly string[], parallel = 8): Promise<{ ms: number; connections: number; commands: number }> {
  const started = Date.now();
  let next = 0;
  const props = Object.keys(PROPERTIES).join(",");
  const worker = async () => {
    while (next < names.length) {
      const name = names[next++];
      const r = await spawnTimed("ssh", [...sshArgs(host), `zfs get -H -p -o property,value ${props} '${name}'`]);
      if (r.code !== 0) throw new Error(`ssh zfs get ${name} failed: ${r.out}`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return { ms: Date.now() - started, connections: names.length, commands: names.length };
}

export async function perCommandRename(host: "off2", from: string, to: string): Promise<{ ms: number; connections: number; commands: number }> {
  const r = await spawnTimed("ssh", [...sshArgs(host), `zfs rename '${from}' '${to}'`]);
  if (r.code !== 0) throw new Error(`ssh zfs rename failed: ${r.out}`);
  return { ms: r.ms, connections: 1, commands: 1 };
}
