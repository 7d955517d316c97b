// The guard a Dataset's move or removal goes through (provider/hazards/index.ts), with the host's
// answers replaced by the scans captured on the lab: it waits for replication and then fails having
// done nothing, refuses holders unless acknowledged, warns about NFS clients, and asks the host once
// per batch of sibling moves.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";

const fixture = (name: string) => readFileSync(join(__dirname, "..", "fixtures", "openzfs-2.1", name), "utf8");
const answers: string[] = [];
const sent: string[] = [];
vi.mock("../../provider/transport", () => ({
  run: async (_host: string, command: { text: string }) => {
    sent.push(command.text);
    return { stdout: answers.length > 1 ? answers.shift()! : answers[0], stderr: "", exitCode: 0 };
  },
}));
import { guard } from "../../provider/hazards";

const busy = fixture("hazards-scan-off2.txt");
/** off2 as captured, without the pull's ssh session: the pull has ended. */
const idle = busy.split("\n").filter((l) => !l.includes("sshd: ovh3operator@notty")).join("\n");

afterEach(() => {
  answers.length = 0;
  sent.length = 0;
});

describe("guard", () => {
  it("waits while replication is in flight, then fails naming it, having done nothing else", async () => {
    answers.push(busy);
    const err = await guard("off2", "zfs-hdd/off/products", "rename zfs-hdd/off/products to x", { acknowledge: [], waitSeconds: 0.4, pollMs: 20 }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/did not rename zfs-hdd\/off\/products to x: replication of zfs-hdd\/off\/products is still in flight .*ssh session of ovh3operator/s);
    expect(sent.length).toBeGreaterThan(1); // it looked again while waiting
    expect(sent.every((c) => c.includes("@@zfs-fleet:"))).toBe(true); // nothing but scans
  });

  it("once replication ended, refuses the holders that are not acknowledged, each named", async () => {
    answers.push(busy, idle);
    const err = await guard("off2", "zfs-hdd/off/products", "rename zfs-hdd/off/products to x", { acknowledge: ["bindMount:101"], waitSeconds: 5, pollMs: 10 }).catch((e: Error) => e);
    const text = (err as Error).message;
    expect(text).toMatch(/refused to rename zfs-hdd\/off\/products to x: 2 mounts of containers or processes hold it; nothing was changed/);
    expect(text).toContain("systemctl stop zfslab-holder-simple.service");
    expect(text).toContain("container 102 (stopped)");
    expect(text).not.toContain("lxc 101"); // acknowledged
  });

  it("all acknowledged: goes ahead, saying each acknowledged hazard and the NFS client", async () => {
    answers.push(idle);
    const said: string[] = [];
    const orig = console.error;
    console.error = (m: string) => said.push(m);
    try {
      await guard("off2", "zfs-hdd/off/products", "rename it", { acknowledge: ["bindMount:101", "bindMount:zfslab-holder-simple.service", "configuredContainer:102"], waitSeconds: 0, pollMs: 10 });
    } finally {
      console.error = orig;
    }
    expect(said.filter((m) => m.includes("acknowledged (acknowledgeHazards)")).length).toBe(5);
    expect(said.filter((m) => m.includes("NFS client 10.0.0.3"))).toHaveLength(1);
  });

  it("sibling moves that start together share one scan, asking zfs allow about each", async () => {
    answers.push(idle);
    const ack = { acknowledge: ["bindMount:101", "bindMount:zfslab-holder-simple.service", "configuredContainer:102"], waitSeconds: 0 };
    const quiet = console.error;
    console.error = () => undefined;
    try {
      await Promise.all([guard("off2", "zfs-hdd/off/products", "a", ack), guard("off2", "zfs-hdd/off/images", "b", ack)]);
    } finally {
      console.error = quiet;
    }
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain("for d in zfs-hdd/off/products zfs-hdd/off/images; do");
  });
});
