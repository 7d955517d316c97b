// What to look for to prove an OpenSSH private key is not stored anywhere in clear: the key's secret
// bytes as the places it could land would hold them. The first lines of an unencrypted ed25519 key file
// are the same fixed header in every such key, so finding them proves nothing; the secret is the 32-byte
// seed in the key's private section.
//
//   needles(keyText) -> strings, any one of which found in a file means the key (or its seed) is there:
//   - each base64 line of the key file that carries part of the private section, as written and as a
//     JSON string would escape it;
//   - the seed in base64 at each of the three alignments it can take inside a longer base64 text (the
//     characters that depend only on the seed's own bytes), and in hex.

/** The 32-byte ed25519 seed of an unencrypted OpenSSH private key (openssh-key-v1). */
export function ed25519Seed(keyText: string): Buffer {
  const body = keyText.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  const blob = Buffer.from(body, "base64");
  let at = 0;
  const magic = "openssh-key-v1\0";
  if (blob.subarray(0, magic.length).toString("latin1") !== magic) throw new Error("not an OpenSSH private key");
  at = magic.length;
  const str = (): Buffer => {
    const n = blob.readUInt32BE(at);
    const s = blob.subarray(at + 4, at + 4 + n);
    at += 4 + n;
    return s;
  };
  const cipher = str().toString();
  if (cipher !== "none") throw new Error(`the key is encrypted (${cipher}): its secret bytes cannot be read`);
  str(); // kdfname
  str(); // kdfoptions
  at += 4; // number of keys
  str(); // public key blob
  const priv = str();
  let p = 8; // two check integers
  const field = (): Buffer => {
    const n = priv.readUInt32BE(p);
    const s = priv.subarray(p + 4, p + 4 + n);
    p += 4 + n;
    return s;
  };
  const type = field().toString();
  if (type !== "ssh-ed25519") throw new Error(`not an ed25519 key (${type})`);
  field(); // public key
  return Buffer.from(field().subarray(0, 32));
}

/** base64 of `data` wherever it starts in a longer base64 text: the part fixed by data alone, per alignment. */
export function base64Cores(data: Buffer): string[] {
  return [0, 1, 2].map((pad) => {
    const b64 = Buffer.concat([Buffer.alloc(pad), data]).toString("base64");
    // Leading characters mix the padding bytes in; trailing ones mix what follows.
    const start = pad === 0 ? 0 : 4;
    const usable = Math.floor((pad + data.length) / 3) * 4;
    return b64.slice(start, usable - 4);
  });
}

export function needles(keyText: string): string[] {
  const seed = ed25519Seed(keyText);
  const lines = keyText.split("\n").filter((l) => l && !l.startsWith("-----"));
  // The header and public part fill the first three lines of a 70-column ed25519 key; the rest is secret.
  const secretLines = lines.slice(3).filter((l) => l.length >= 16);
  return [...new Set([...secretLines, ...base64Cores(seed).filter((c) => c.length >= 16), seed.toString("hex")])];
}

/** Which needles `text` holds (empty: none). */
export function found(text: string, keyText: string): string[] {
  return needles(keyText).filter((n) => text.includes(n));
}
