// Host key pinning (provider/transport/hostkey.ts), line by line: what a
// public key line and known_hosts content yield, and what a refusal says.
import { describe, expect, it } from "vitest";
import { HostKeyError, KnownHostsError, fingerprint, keysFromKnownHosts, matchesPinned, parsePublicKeyLine, readKnownHosts } from "../../provider/transport/hostkey";

const ED = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const OTHER = "AAAAC3NzaC1lZDI1NTE5AAAAIKq8c3Y2xH6ZbXWkq1Qy0hQx9r3o8kQwYwq0Vv2yZbWm";
// A key only ever listed to be revoked (a base64 blob is all the parser asks).
const REVOKED = Buffer.from("a key that was revoked").toString("base64");
// `ssh-keygen -lf` of `ssh-ed25519 ${ED}`.
const ED_FINGERPRINT = "SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU";

describe("fingerprints", () => {
  it("are OpenSSH's, from the base64 blob or the raw key alike", () => {
    expect(fingerprint(ED)).toBe(ED_FINGERPRINT);
    expect(fingerprint(Buffer.from(ED, "base64"))).toBe(ED_FINGERPRINT);
  });
});

describe("a public key line", () => {
  it.each([
    [`ssh-ed25519 ${ED}`, "ssh-ed25519"],
    [`ssh-ed25519 ${ED} root@off2`, "ssh-ed25519"],
    [`  ssh-ed25519\t${ED}   comment with spaces  `, "ssh-ed25519"],
    [`ssh-rsa ${ED}==`, "ssh-rsa"],
    [`ssh-dss ${ED}`, "ssh-dss"],
    [`ecdsa-sha2-nistp256 ${ED}`, "ecdsa-sha2-nistp256"],
    [`ecdsa-sha2-nistp384 ${ED}`, "ecdsa-sha2-nistp384"],
    [`ecdsa-sha2-nistp521 ${ED}`, "ecdsa-sha2-nistp521"],
    [`sk-ssh-ed25519@openssh.com ${ED}`, "sk-ssh-ed25519@openssh.com"],
  ])("%j is a %s key", (line, type) => {
    const blob = line.trim().split(/\s+/)[1];
    expect(parsePublicKeyLine(line)).toEqual({ type, blob });
  });

  it.each([
    "",
    "ssh-ed25519",
    ED,
    `ssh-ed448 ${ED}`,
    `xssh-ed25519 ${ED}`,
    `ssh-ed25519x ${ED}`,
    `ecdsa-sha2-nistp999 ${ED}`,
    `SSH-ED25519 ${ED}`,
    `ssh-ed25519 ${ED}!`,
    `ssh-ed25519 =${ED}`,
    "ssh-ed25519 not-base64",
    `ssh-ed25519 ${ED}=x`,
  ])("%j is not", (line) => expect(parsePublicKeyLine(line)).toBeUndefined());
});

describe("known_hosts content", () => {
  const content = [
    "# a comment",
    "",
    `off1 ssh-ed25519 ${ED}`,
    `off2,10.0.0.2 ssh-ed25519 ${OTHER}`,
    `[off3]:2222 ssh-ed25519 ${ED}`,
    `[off4]:22 ssh-ed25519 ${OTHER}`,
    `@cert-authority off5 ssh-ed25519 ${OTHER}`,
    `@revoked off6 ssh-ed25519 ${REVOKED}`,
    `off6 ssh-ed25519 ${REVOKED}`,
    `off6 ssh-ed25519 ${OTHER}`,
    `off12 ssh-ed25519 ${REVOKED}`,
    `   off7   ssh-ed25519 ${ED}   `,
    `off8 ssh-ed25519 ${ED}`,
    `off8 ssh-ed25519 ${OTHER}`,
    `off9 garbage`,
    `|1|hashed= ssh-ed25519 ${ED}`,
    `off10 ssh-ed25519 ${ED}`,
    `#off11 ssh-ed25519 ${ED}`,
  ].join("\n");
  const blobs = (address: string, port = 22) => keysFromKnownHosts(content, address, port).map((k) => k.blob);

  it("finds a host by name, in a comma list, and with port 22 written or not", () => {
    expect(blobs("off1")).toEqual([ED]);
    expect(blobs("off2")).toEqual([OTHER]);
    expect(blobs("10.0.0.2")).toEqual([OTHER]);
    expect(blobs("off4")).toEqual([OTHER]);
  });
  it("matches another port only as [host]:port", () => {
    expect(blobs("off3", 2222)).toEqual([ED]);
    expect(blobs("off3")).toEqual([]);
    expect(blobs("off1", 2222)).toEqual([]);
  });
  it("refuses a @cert-authority line for the host (a CA key is not the host's), and ignores one for another host", () => {
    expect(() => blobs("off5")).toThrow(KnownHostsError);
    expect(() => blobs("off5")).toThrow(
      "a @cert-authority line applies to off5 (off5): host certificates are not supported, and a CA key is not the host's key; pin the host's own key (hostKey, or a plain known_hosts line)",
    );
    expect(blobs("off5", 2222)).toEqual([]);
  });
  it("a @revoked key is never pinned, for the host its line names or any other; comments are skipped, lines trimmed", () => {
    expect(blobs("off6")).toEqual([OTHER]);
    expect(blobs("off12")).toEqual([]);
    expect(readKnownHosts(content, "off1", 22)).toEqual({ keys: [{ type: "ssh-ed25519", blob: ED }], revoked: [{ type: "ssh-ed25519", blob: REVOKED }] });
    expect(blobs("off7")).toEqual([ED]);
    expect(blobs("off11")).toEqual([]);
  });
  it("returns every key listed for the host, and nothing for a bad line or a hashed entry", () => {
    expect(blobs("off8")).toEqual([ED, OTHER]);
    expect(blobs("off9")).toEqual([]);
    expect(blobs("off")).toEqual([]);
    expect(keysFromKnownHosts(content, "off10", 22)).toEqual([{ type: "ssh-ed25519", blob: ED }]);
  });
});

describe("pinning", () => {
  it("matches the presented raw key against any pinned key", () => {
    const pinned = [parsePublicKeyLine(`ssh-ed25519 ${OTHER}`)!, parsePublicKeyLine(`ssh-ed25519 ${ED}`)!];
    expect(matchesPinned(pinned, Buffer.from(ED, "base64"))).toBe(true);
    expect(matchesPinned(pinned.slice(0, 1), Buffer.from(ED, "base64"))).toBe(false);
    expect(matchesPinned([], Buffer.from(ED, "base64"))).toBe(false);
  });
  it("a refusal names the host, every expected key with its fingerprint, what was seen, and where to pin", () => {
    const err = new HostKeyError("off2", [parsePublicKeyLine(`ssh-ed25519 ${ED}`)!, parsePublicKeyLine(`ssh-rsa ${OTHER}`)!], Buffer.from(OTHER, "base64"));
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe("HostKeyError");
    expect(err.message).toBe(
      `host key of off2 refused: expected ssh-ed25519 ${ED_FINGERPRINT} or ssh-rsa ${fingerprint(OTHER)}, the server presented ${fingerprint(OTHER)}. ` +
        "If the host was really reinstalled, verify the new key out of band and pin it in the stack config (zfs-fleet:hosts.off2.hostKey).",
    );
  });
});

describe("known_hosts, odd but possible", () => {
  it("a comment that lists the host is still a comment; blanks after a marker and between type and key are blanks", () => {
    const content = [`#off1,off1 ssh-ed25519 ${ED}`, `@cert-authority   off2 ssh-ed25519 ${ED}`, `off3 ssh-ed25519   ${OTHER}`, `@revoked\t off4 ssh-ed25519  ${ED}`, `off4 ssh-ed25519 ${ED}`].join("\n");
    expect(keysFromKnownHosts(content, "off1", 22)).toEqual([]);
    expect(() => keysFromKnownHosts(content, "off2", 22)).toThrow(/^a @cert-authority line applies to off2 \(off2\)/);
    expect(keysFromKnownHosts(content, "off3", 22).map((k) => k.blob)).toEqual([OTHER]);
    expect(readKnownHosts(content, "off4", 22)).toEqual({ keys: [], revoked: [{ type: "ssh-ed25519", blob: ED }] });
    expect(parsePublicKeyLine(`ssh-ed25519  ${ED}`)).toEqual({ type: "ssh-ed25519", blob: ED });
  });
});
