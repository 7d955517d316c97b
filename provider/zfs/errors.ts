// What a failed zfs command said, recognised once (after zrepl's
// internal/zfs/zfs.go): each line of its stderr is read against ZFS's own
// wording (libzfs, OpenZFS 2.1) and callers ask for the failure they handle
// ("missing", "busy", ...) instead of matching text themselves.
import { RemoteCommandError } from "../transport";

export type ZfsFailureKind =
  /** The dataset (or pool) does not exist: gone, or renamed away. */
  | "missing"
  /** Held by something: a mount in use, an NFS export, a process inside it. */
  | "busy"
  /** The name is taken by another dataset. */
  | "exists"
  /** A create or rename into a parent that does not exist. */
  | "parentMissing"
  /** A destroy of a dataset with children or snapshots, without -r. */
  | "hasChildren"
  /** `zfs allow` for a user or group the host does not know. */
  | "unknownGrantee";

/** First match wins, line by line: "parent does not exist" is parentMissing, not missing. */
const WORDING: readonly [ZfsFailureKind, RegExp][] = [
  ["hasChildren", /has children|snapshots/i],
  ["parentMissing", /parent does not exist/i],
  ["missing", /does not exist|no such pool|No such file or directory/i],
  ["busy", /busy/i],
  ["exists", /already exists/i],
  ["unknownGrantee", /invalid user|invalid group|no such user|no such group/i],
];

export interface ZfsFailure {
  kind: ZfsFailureKind;
  /** The line of stderr that says so. */
  line: string;
}

/** The failures a command's stderr reports, in order; none for anything but a RemoteCommandError. */
export function zfsFailures(err: unknown): ZfsFailure[] {
  if (!(err instanceof RemoteCommandError)) return [];
  return err.stderr.split("\n").flatMap((line): ZfsFailure[] => {
    const match = WORDING.find(([, re]) => re.test(line));
    return match ? [{ kind: match[0], line: line.trim() }] : [];
  });
}

/** True when the command failed for that reason. */
export const failedWith = (err: unknown, kind: ZfsFailureKind): boolean => zfsFailures(err).some((f) => f.kind === kind);
