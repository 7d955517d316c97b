// The needles the lab's "key never in clear" check looks for must find the key's secret in every form
// it could be stored in, and must not match what is public (the fixed header, the public key).
import { execFileSync } from "node:child_process";
import { createPrivateKey, createPublicKey, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { base64Cores, ed25519Seed, found, needles } from "../support/secret-needles";

const dir = mkdtempSync(join(tmpdir(), "needles-"));
const keygen = (name: string) => {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", join(dir, name)]);
  return { key: readFileSync(join(dir, name), "utf8"), pub: readFileSync(join(dir, `${name}.pub`), "utf8") };
};
const a = keygen("a");
const b = keygen("b");

describe("the secret of an ed25519 key, and the needles that find it", () => {
  it("reads the seed: the public key derived from it is the key's own", () => {
    const seed = ed25519Seed(a.key);
    expect(seed).toHaveLength(32);
    // PKCS#8 for ed25519 is a fixed 16-byte prefix and the seed.
    const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
    const raw = createPublicKey(createPrivateKey({ key: der, format: "der", type: "pkcs8" })).export({ format: "der", type: "spki" }).subarray(-32);
    expect(a.pub.split(" ")[1]).toBe(Buffer.concat([Buffer.from("0000000b7373682d65643235353139", "hex"), Buffer.from([0, 0, 0, 32]), raw]).toString("base64"));
  });

  it("finds the key file as written, and as a JSON string holds it", () => {
    expect(found(a.key, a.key).length).toBeGreaterThan(0);
    expect(found(JSON.stringify({ sshPrivateKey: a.key }), a.key).length).toBeGreaterThan(0);
  });

  it("finds the seed base64-encoded inside other data at every alignment, and in hex", () => {
    const seed = ed25519Seed(a.key);
    for (let pad = 0; pad < 6; pad++) {
      const blob = Buffer.concat([randomBytes(pad), seed, randomBytes(7)]).toString("base64");
      expect(found(blob, a.key), `offset ${pad}`).not.toEqual([]);
    }
    expect(found(`x${seed.toString("hex")}y`, a.key)).not.toEqual([]);
    expect(base64Cores(seed).every((c) => c.length >= 36)).toBe(true);
  });

  it("does not match what is public or another key: the header, the public key, a key of another", () => {
    const header = a.key.split("\n")[1];
    expect(header).toBe(b.key.split("\n")[1]); // the same fixed line in every such key: proves nothing
    expect(needles(a.key)).not.toContain(header);
    expect(found(`${header}\n${a.pub}\n${b.key}`, a.key)).toEqual([]);
  });
});
