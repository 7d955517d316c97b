// How the transport reaches a host: the address, the SSH user, the pinned
// host keys and the credentials (config.ts builds the table from the stack's
// config; configureHosts in index.ts takes it). Credentials stay in this
// process's memory: never in inputs, outputs, state or logs.
import type { PinnedKey } from "./hostkey";

export interface HostConnection {
  name: string;
  address: string;
  port: number;
  user: string;
  sudo: boolean;
  hostKeys: PinnedKey[];
  /** Keys known_hosts marks @revoked: refused even when pinned. */
  revokedKeys: PinnedKey[];
  /** Private key (PEM or OpenSSH format); absent when an agent is used. */
  privateKey?: string;
  agent?: string;
  /** Where the host keeps the files the provider edits: facts of the host, never resource inputs. */
  files: ConfigFiles;
}

/** The host's sanoid and syncoid files, each directly in /etc/sanoid/ (names.ts, configFileProblem). */
export interface ConfigFiles {
  sanoidConf: string;
  syncoidArgs: string;
}

export const DEFAULT_FILES: ConfigFiles = { sanoidConf: "/etc/sanoid/sanoid.conf", syncoidArgs: "/etc/sanoid/syncoid-args.conf" };

/** By the host's name in `zfs-fleet:hosts`. */
export type HostTable = Record<string, HostConnection>;
