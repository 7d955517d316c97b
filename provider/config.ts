// The provider's configuration, from the stack's config through the dynamic
// provider's `configure`: how to reach each host, and the SSH credentials.
// Credentials live only in this process's memory (see transport/): never in
// resource inputs, outputs, state or logs.
import { z } from "zod";
import { HOST_ADDRESS, HOST_NAME, UNIX_NAME, configFileProblem } from "./names";
import { DEFAULT_FILES, type HostTable } from "./transport/connection";
import { type PinnedKey, parsePublicKeyLine, readKnownHosts } from "./transport/hostkey";

/** A host's config file: directly in /etc/sanoid/, no `..`, plain characters. */
const configFile = (dflt: string) =>
  z
    .string()
    .default(dflt)
    .superRefine((path, ctx) => {
      const problem = configFileProblem(path);
      if (problem) ctx.addIssue({ code: "custom", message: `${JSON.stringify(path)} ${problem}` });
    });

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
    // A boolean, or its text as the CLI may store it ("false" must not read as true).
    sudo: z
      .union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")])
      .default(false),
    /** sanoid.conf on this host (the SanoidPolicy and SanoidTemplate resources' file). */
    sanoidConf: configFile(DEFAULT_FILES.sanoidConf),
    /** syncoid-args.conf on this host (the SyncoidPull resources' file). */
    syncoidArgs: configFile(DEFAULT_FILES.syncoidArgs),
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
    let revokedKeys: PinnedKey[] = [];
    if (h.knownHosts) {
      try {
        const known = readKnownHosts(h.knownHosts, h.address, h.port);
        hostKeys.push(...known.keys);
        revokedKeys = known.revoked;
      } catch (err) {
        throw new ConfigError(`zfs-fleet:hosts.${name}.knownHosts: ${(err as Error).message}`);
      }
    }
    if (h.hostKey) {
      const k = parsePublicKeyLine(h.hostKey);
      if (!k) throw new ConfigError(`zfs-fleet:hosts.${name}.hostKey: not an OpenSSH public key line ("ssh-ed25519 AAAA...")`);
      if (revokedKeys.some((r) => r.blob === k.blob)) {
        throw new ConfigError(`zfs-fleet:hosts.${name}.hostKey: that key is marked @revoked in zfs-fleet:hosts.${name}.knownHosts; a revoked key is never accepted`);
      }
      hostKeys.unshift(k);
    }
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
      revokedKeys,
      files: { sanoidConf: h.sanoidConf, syncoidArgs: h.syncoidArgs },
      privateKey: privateKey ? privateKey.replace(/\r\n/g, "\n").trimEnd() + "\n" : undefined,
      agent: agentWanted ? env.SSH_AUTH_SOCK : undefined,
    };
  }
  return table;
}

/** The provider's tunables, from the environment of the process that runs it. */
export interface Settings {
  /** ZFSFLEET_TIMEOUT_MS: a remote command's deadline. */
  timeoutMs: number;
  /** ZFSFLEET_MAX_CHANNELS: commands at once per host (OpenSSH's MaxSessions is 10). */
  maxChannels: number;
  /** ZFSFLEET_SWAP_WAIT_MS: how long a rename waits for its target name to be freed. */
  swapWaitMs: number;
  /** ZFSFLEET_EDIT_ATTEMPTS: compare-and-swap attempts of a file edit. */
  editAttempts: number;
  /** ZFSFLEET_MAX_OUTPUT_BYTES: what one command's stdout and stderr may hold together. */
  maxOutputBytes: number;
}

const SETTINGS: Record<string, { key: keyof Settings; dflt: number; min: number; max: number; unit: string }> = {
  ZFSFLEET_TIMEOUT_MS: { key: "timeoutMs", dflt: 120_000, min: 1_000, max: 86_400_000, unit: "ms" },
  ZFSFLEET_MAX_CHANNELS: { key: "maxChannels", dflt: 8, min: 1, max: 10, unit: "channels" },
  ZFSFLEET_SWAP_WAIT_MS: { key: "swapWaitMs", dflt: 120_000, min: 0, max: 86_400_000, unit: "ms" },
  ZFSFLEET_EDIT_ATTEMPTS: { key: "editAttempts", dflt: 60, min: 1, max: 1_000, unit: "attempts" },
  ZFSFLEET_MAX_OUTPUT_BYTES: { key: "maxOutputBytes", dflt: 64 << 20, min: 1 << 20, max: 1 << 30, unit: "bytes" },
};

/**
 * The tunables, each a whole number within its bounds, or its default when
 * unset or empty. A bad one (`ZFSFLEET_TIMEOUT_MS=2m` read as NaN would time
 * every command out at once) is refused: configure calls this first, so the
 * provider refuses to start instead.
 */
export function settings(env: NodeJS.ProcessEnv = process.env): Settings {
  const out = {} as Settings;
  const bad: string[] = [];
  for (const [name, s] of Object.entries(SETTINGS)) {
    const raw = env[name];
    if (raw === undefined || raw === "") {
      out[s.key] = s.dflt;
      continue;
    }
    const n = /^\d{1,12}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
    if (!(n >= s.min && n <= s.max)) bad.push(`${name}=${JSON.stringify(raw)} must be a whole number of ${s.unit} from ${s.min} to ${s.max} (default ${s.dflt})`);
    out[s.key] = n;
  }
  if (bad.length) throw new ConfigError(`bad settings in the environment: ${bad.join("; ")}`);
  return out;
}
