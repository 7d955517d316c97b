// What the stack last recorded, for the rules that compare with it. A policy
// sees only the program's new inputs, so the pack asks the stack's backend,
// once per run, with the same CLI and settings the engine runs under
// (PULUMI_BACKEND_URL, PULUMI_HOME, ... are inherited): `pulumi stack export`
// reads the checkpoint without taking the stack's lock, so it works during
// the preview or update that started the pack.
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import type { Recorded } from "./rules";

let cached: Map<string, Recorded> | undefined;

/** The stack's recorded resources by URN (empty for a stack never applied). */
export function recordedResources(stack: { organization: string; project: string; stack: string }): Map<string, Recorded> {
  if (cached) return cached;
  const name = `${stack.organization}/${stack.project}/${stack.stack}`;
  let text: string;
  try {
    text = execFileSync("pulumi", ["stack", "export", "--stack", name, "--non-interactive"], {
      cwd: tmpdir(), // a fully qualified stack name needs no project
      encoding: "utf8",
      maxBuffer: 1 << 30,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    // Without the recorded state the pack cannot tell a rename from a
    // replacement: refuse rather than let a replacement through.
    throw new Error(`zfs-fleet-policy cannot read what stack ${name} recorded (pulumi stack export): ${(e.stderr || e.message).trim()}`);
  }
  const resources = (JSON.parse(text) as { deployment?: { resources?: Recorded[] | null } }).deployment?.resources ?? [];
  cached = new Map(resources.map((r) => [r.urn, r]));
  return cached;
}
