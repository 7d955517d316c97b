// The provider's configuration, from the stack's config through the dynamic
// provider's `configure`: how to reach each host, and the SSH credentials.
// Credentials live only in this process's memory (see transport/): never in
// resource inputs, outputs, state or logs.
import { z } from "zod";
import { HOST_ADDRESS, HOST_NAME, UNIX_NAME } from "./names";
import type { HostTable } from "./transport/connection";
import { type PinnedKey, keysFromKnownHosts, parsePublicKeyLine } from "./transport/hostkey";

const hostSchema = z
  .object({
    address: z.string().regex(HOST_ADDRESS, "must be a host name or an IP address"),
    port: z.coerce.number().int().min(1).max(65535).default(22),
    user: z
      .string()
      .regex(UNIX_NAME, "must be a Unix user name")
      .default("root"),
    hostKey: z.string().optional(),
    knownHosts: z.string().optional(),
    sudo: z.coerce.boolean().default(false),
  })
  .strict();

/** Reads a config value that the engine may hand over as JSON text or as a value. */
function structured(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const t = value.trim();
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      return JSON.parse(t);
    } catch {
      return value;
    }
  }
  return value;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * Builds the host table from `zfs-fleet:hosts`, `zfs-fleet:sshPrivateKey`
 * (one key, or a map host -> key) and `zfs-fleet:sshAgent`.
 */
export function hostTable(get: (key: string) => unknown, env: NodeJS.ProcessEnv = process.env): HostTable {
  const rawHosts = structured(get("hosts"));
  if (rawHosts === undefined) return {};
  if (typeof rawHosts !== "object" || rawHosts === null || Array.isArray(rawHosts)) {
    throw new ConfigError("zfs-fleet:hosts must be a map of host name to {address, port, user, hostKey}");
  }
  const keyConfig = structured(get("sshPrivateKey"));
  const agentWanted = String(get("sshAgent") ?? "false") === "true";
  const table: HostTable = {};
  for (const [name, raw] of Object.entries(rawHosts)) {
    if (!HOST_NAME.test(name)) throw new ConfigError(`zfs-fleet:hosts: "${name}" is not a valid host name`);
    const parsed = hostSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConfigError(`zfs-fleet:hosts.${name}.${issue.path.join(".")}: ${issue.message}`);
    }
    const h = parsed.data;
    const hostKeys: PinnedKey[] = [];
    if (h.hostKey) {
      const k = parsePublicKeyLine(h.hostKey);
      if (!k) throw new ConfigError(`zfs-fleet:hosts.${name}.hostKey: not an OpenSSH public key line ("ssh-ed25519 AAAA...")`);
      hostKeys.push(k);
    }
    if (h.knownHosts) hostKeys.push(...keysFromKnownHosts(h.knownHosts, h.address, h.port));
    const privateKey =
      typeof keyConfig === "string"
        ? keyConfig
        : keyConfig && typeof keyConfig === "object"
          ? (keyConfig as Record<string, unknown>)[name]
          : undefined;
    if (privateKey !== undefined && typeof privateKey !== "string") {
      throw new ConfigError(`zfs-fleet:sshPrivateKey for ${name} must be a string`);
    }
    table[name] = {
      name,
      address: h.address,
      port: h.port,
      user: h.user,
      sudo: h.sudo,
      hostKeys,
      privateKey: privateKey ? privateKey.replace(/\r\n/g, "\n").trimEnd() + "\n" : undefined,
      agent: agentWanted ? env.SSH_AUTH_SOCK : undefined,
    };
  }
  return table;
}
