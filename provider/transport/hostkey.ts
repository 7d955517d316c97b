// Host key pinning. A host is trusted only through a key the stack's config
// names (an OpenSSH public key line, or known_hosts content): an unknown or
// changed key is refused, and the message says which host, what was expected
// and what was seen, as OpenSSH's SHA256 fingerprints.
import { createHash } from "node:crypto";

export interface PinnedKey {
  type: string;
  /** The key blob, base64 as in authorized_keys / known_hosts. */
  blob: string;
}

export function fingerprint(blob: Buffer | string): string {
  const raw = typeof blob === "string" ? Buffer.from(blob, "base64") : blob;
  return `SHA256:${createHash("sha256").update(raw).digest("base64").replace(/=+$/, "")}`;
}

const KEY_TYPE = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+)$/;

/** Parses `type base64 [comment]` (a .pub line). */
export function parsePublicKeyLine(line: string): PinnedKey | undefined {
  const [type, blob] = line.trim().split(/\s+/);
  if (!type || !blob || !KEY_TYPE.test(type) || !/^[A-Za-z0-9+/]+=*$/.test(blob)) return undefined;
  return { type, blob };
}

/**
 * The keys known_hosts content lists for `address:port`. Plain host patterns
 * only (`host`, `[host]:port`, comma lists); hashed entries and wildcards are
 * not matched: pin such hosts with `hostKey` instead.
 */
export function keysFromKnownHosts(content: string, address: string, port: number): PinnedKey[] {
  const wanted = port === 22 ? [address, `[${address}]:22`] : [`[${address}]:${port}`];
  const keys: PinnedKey[] = [];
  for (const line of content.split("\n")) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith("#") || trimmed.startsWith("@revoked")) continue;
    const [patterns, ...rest] = trimmed.replace(/^@cert-authority\s+/, "").split(/\s+/);
    if (!patterns.split(",").some((p) => wanted.includes(p))) continue;
    const key = parsePublicKeyLine(rest.join(" "));
    if (key) keys.push(key);
  }
  return keys;
}

export class HostKeyError extends Error {
  constructor(host: string, expected: readonly PinnedKey[], seen: Buffer) {
    const want = expected.length
      ? expected.map((k) => `${k.type} ${fingerprint(k.blob)}`).join(" or ")
      : "nothing: no hostKey or knownHosts entry is configured for it";
    super(
      `host key of ${host} refused: expected ${want}, the server presented ${fingerprint(seen)}. ` +
        `If the host was really reinstalled, verify the new key out of band and pin it in the stack config ` +
        `(zfs-fleet:hosts.${host}.hostKey).`,
    );
    this.name = "HostKeyError";
  }
}

/** True when the presented key (raw blob) is one of the pinned keys. */
export function matchesPinned(expected: readonly PinnedKey[], presented: Buffer): boolean {
  return expected.some((k) => Buffer.from(k.blob, "base64").equals(presented));
}
