// Host key pinning. A host is trusted only through a key the stack's config
// names (an OpenSSH public key line, or known_hosts content): an unknown or
// changed key is refused, and the message says which host, what was expected
// and what was seen, as OpenSSH's SHA256 fingerprints.
import { createHash, createHmac } from "node:crypto";

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

/** Why known_hosts content cannot be used as it is: a line it cannot honour for the host. */
export class KnownHostsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KnownHostsError";
  }
}

/** One known_hosts host pattern (plain, `[host]:port`, `*`/`?` wildcards or hashed `|1|salt|hash`) against the names of a host. */
function patternMatches(pattern: string, names: readonly string[]): boolean {
  const hashed = pattern.match(/^\|1\|([A-Za-z0-9+/=]+)\|([A-Za-z0-9+/=]+)$/);
  if (hashed) {
    const salt = Buffer.from(hashed[1], "base64");
    return names.some((n) => createHmac("sha1", salt).update(n).digest("base64") === hashed[2]);
  }
  const literal = pattern.replace(/[.+^$()|[\]{}\\]/g, "\\$&");
  const glob = new RegExp(`^${literal.replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
  return names.some((n) => glob.test(n));
}

/** Whether a line's comma-separated patterns apply to the host, as OpenSSH reads them (a negated match excludes). */
function lineMatches(patterns: string, names: readonly string[]): boolean {
  const list = patterns.split(",");
  if (list.some((p) => p.startsWith("!") && patternMatches(p.slice(1), names))) return false;
  return list.some((p) => !p.startsWith("!") && patternMatches(p, names));
}

export interface KnownHosts {
  /** The keys pinned for `address:port` (plain host patterns only), revoked ones left out. */
  keys: PinnedKey[];
  /** Every key marked @revoked, whatever its host pattern: a revoked key is never accepted. */
  revoked: PinnedKey[];
}

/**
 * Reads known_hosts content for `address:port`. Keys are pinned from plain
 * host patterns only (`host`, `[host]:port`, comma lists): a hashed or
 * wildcard entry pins nothing (pin such hosts with `hostKey`). `@revoked`
 * lines are honoured for every host. `@cert-authority` lines (host
 * certificates) are not supported: one that applies to the host is refused,
 * never pinned as if it were the host's own key.
 */
export function readKnownHosts(content: string, address: string, port: number): KnownHosts {
  const wanted = port === 22 ? [address, `[${address}]:22`] : [`[${address}]:${port}`];
  const keys: PinnedKey[] = [];
  const revoked: PinnedKey[] = [];
  for (const line of content.split("\n")) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith("#")) continue;
    const marker = trimmed.match(/^@(\S+)\s+/);
    const [patterns, ...rest] = trimmed.slice(marker ? marker[0].length : 0).split(/\s+/);
    const key = parsePublicKeyLine(rest.join(" "));
    if (marker?.[1] === "revoked") {
      if (key) revoked.push(key);
      continue;
    }
    if (marker?.[1] === "cert-authority") {
      if (lineMatches(patterns, wanted)) {
        throw new KnownHostsError(
          `a @cert-authority line applies to ${wanted[0]} (${patterns}): host certificates are not supported, and a CA key is not the host's key; ` +
            `pin the host's own key (hostKey, or a plain known_hosts line)`,
        );
      }
      continue;
    }
    if (marker) throw new KnownHostsError(`unknown marker @${marker[1]} (known_hosts has @revoked and @cert-authority)`);
    if (!patterns.split(",").some((p) => wanted.includes(p))) continue;
    if (key) keys.push(key);
  }
  const isRevoked = (k: PinnedKey) => revoked.some((r) => r.blob === k.blob);
  return { keys: keys.filter((k) => !isRevoked(k)), revoked };
}

/** The keys known_hosts content pins for `address:port` (see readKnownHosts). */
export const keysFromKnownHosts = (content: string, address: string, port: number): PinnedKey[] => readKnownHosts(content, address, port).keys;

export class HostKeyError extends Error {
  constructor(host: string, expected: readonly PinnedKey[], seen: Buffer, revoked = false) {
    const want = expected.length
      ? expected.map((k) => `${k.type} ${fingerprint(k.blob)}`).join(" or ")
      : "nothing: no hostKey or knownHosts entry is configured for it";
    super(
      `host key of ${host} refused: expected ${want}, the server presented ${fingerprint(seen)}${revoked ? ", which knownHosts marks @revoked" : ""}. ` +
        `If the host was really reinstalled, verify the new key out of band and pin it in the stack config ` +
        `(zfs-fleet:hosts.${host}.hostKey).`,
    );
    this.name = "HostKeyError";
  }
}

/** True when the presented key (raw blob) is one of the pinned keys and not a revoked one. */
export function matchesPinned(expected: readonly PinnedKey[], presented: Buffer, revoked: readonly PinnedKey[] = []): boolean {
  const is = (k: PinnedKey) => Buffer.from(k.blob, "base64").equals(presented);
  return !revoked.some(is) && expected.some(is);
}
