// Editing a file on a host that others edit too (operators by hand, other
// resources of the same run, other stacks).
//
//   await editRemoteFile(host, "/etc/sanoid/sanoid.conf", (old) => setSection(old ?? "", ...), SANOID_FILE)
//
// - An edit is a pure function from the old content (undefined when the file
//   is missing) to the new one.
// - The edits that resources of one run ask for at the same time are applied
//   together, in one read and one write: 40 resources in parallel cost a few
//   round trips, not 40 serialized ones.
// - The write is a compare-and-swap under a lock held on the host
//   (flock on <dir>/.zfs-fleet.lock): it replaces the file only if the file
//   still has the checksum of what was read, else the edits are re-applied to
//   the new content. Nothing is lost whoever else writes in between.
// - The new content goes to a temporary file in the same directory, is
//   checked against its checksum (a cut connection delivers less), validated
//   (for sanoid.conf by sanoid itself), fsynced and renamed over the file:
//   the file is always either the old or the new version. The file's
//   checksum is compared again right before the rename, so the swap covers
//   exactly what was validated. The previous version stays as
//   <file>.zfs-fleet.bak. A new file is root:root 0644; an existing one keeps
//   its owner and mode.
// - A file that is a symbolic link (or not a regular file), or a directory
//   reached through one, is refused by the read and the write: never followed.
import { createHash } from "node:crypto";
import { settings } from "../config";
import { RemoteCommandError, run, sh } from "../transport";

export type Validator = "none" | "sanoid";

export interface FileKind {
  /** Checked on the host before the new content replaces the file (or chosen by the new content). */
  validator: Validator | ((content: string) => Validator);
  /**
   * Problems with a whole file's content (pure). An edit whose result has a
   * problem the old content did not have is refused, and only that edit.
   */
  problems?: (content: string) => string[];
  /** Name used in messages (sanoid.conf, syncoid-args.conf). */
  label: string;
}

export type Edit = (content: string | undefined) => string;

/** The validator the host runs on `content` before it replaces the file. */
export const validatorOf = (kind: FileKind, content: string): Validator =>
  typeof kind.validator === "function" ? kind.validator(content) : kind.validator;

export interface EditResult {
  /** Whether this edit changed the file. */
  changed: boolean;
  /** The file as written (or as found when nothing changed). */
  content: string;
}

export const sha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");
const ABSENT = "absent";

// Exit codes of the scripts.
const CONFLICT = 74;
const LOCK_TIMEOUT = 75;
const INCOMPLETE = 76;
const INVALID = 77;
const NOT_A_FILE = 78;

/**
 * Both scripts refuse, and never follow, a file that is a symbolic link or
 * not a regular file, and a directory reached through a symbolic link: the
 * provider runs as root, and a link would send its read into the state or
 * its write (with the link target's owner and mode) anywhere on the host.
 * The check is made right before each use, under the lock for writes, and
 * the file is read with O_NOFOLLOW (`dd iflag=nofollow`); the owner and mode
 * copied to the new file are the file's own (stat, not following), and the
 * backup link and the rename never follow a link either (`-T`).
 */
const REFUSE_LINKS = `refuse() { echo "$1" >&2; exit ${NOT_A_FILE}; }
plain_dir() { [ "$(realpath -e -- "$1")" = "$1" ] || refuse "$1 is a symbolic link or goes through one; refusing to use it"; }
plain_file() { if [ -L "$1" ] || { [ -e "$1" ] && [ ! -f "$1" ]; }; then refuse "$1 is a symbolic link or not a regular file; refusing to follow or replace it"; fi; }`;

/** Reads the file: prints it, or exits 3 when it does not exist. */
export const READ_SCRIPT = `${REFUSE_LINKS}
f=$1 dir=$(dirname -- "$1")
[ -d "$dir" ] || exit 3
plain_dir "$dir"
plain_file "$f"
if [ -e "$f" ]; then exec dd if="$f" iflag=nofollow bs=65536 status=none; else exit 3; fi`;

/**
 * Replaces "$1" with stdin if "$1" still has checksum "$2" (or is absent
 * and "$2" is "absent") and stdin has checksum "$3", after validating it
 * with "$4"; all under flock on the directory's lock file. The checksum of
 * the file is compared again after the validation (which takes a second or
 * two), right before the rename: what replaces the file is exactly what was
 * validated, and it replaces exactly the content the edits were made from
 * (a hand edit made meanwhile, outside the lock, is a conflict, not lost).
 */
export const WRITE_SCRIPT = `set -eu
${REFUSE_LINKS}
f=$1 expected=$2 newsum=$3 validate=$4
dir=$(dirname -- "$f") base=$(basename -- "$f")
mkdir -p -- "$dir"
plain_dir "$dir"
plain_file "$dir/.zfs-fleet.lock"
exec 9>>"$dir/.zfs-fleet.lock"
flock -w 120 9 || { echo "timed out after 120 s waiting for $dir/.zfs-fleet.lock" >&2; exit ${LOCK_TIMEOUT}; }
unchanged() {
  plain_file "$f"
  if [ -e "$f" ]; then current=$(dd if="$f" iflag=nofollow bs=65536 status=none | sha256sum | cut -d' ' -f1); else current=absent; fi
  if [ "$current" != "$expected" ]; then echo "$f changed since it was read" >&2; exit ${CONFLICT}; fi
}
unchanged
find "$dir" -maxdepth 1 -name ".$base.zfs-fleet.*" -mmin +10 -exec rm -f {} + 2>/dev/null || true
tmp=$(mktemp "$dir/.$base.zfs-fleet.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT HUP INT TERM
cat >"$tmp"
got=$(sha256sum <"$tmp" | cut -d' ' -f1)
if [ "$got" != "$newsum" ]; then echo "the new content arrived incomplete; $f is unchanged" >&2; exit ${INCOMPLETE}; fi
case "$validate" in
  sanoid)
    v=$(mktemp -d)
    cp -- "$tmp" "$v/sanoid.conf"
    if out=$(sanoid --configdir="$v" --cache-dir="$v" --run-dir="$v" --monitor-health 2>&1); then rc=0; else rc=$?; fi
    checked=$(sha256sum <"$v/sanoid.conf" | cut -d' ' -f1)
    rm -rf -- "$v"
    case "$out" in *FATAL*) rc=255 ;; esac
    if [ "$rc" -gt 3 ]; then printf 'sanoid refuses the new file: %s\\n' "$out" >&2; exit ${INVALID}; fi
    if [ "$checked" != "$newsum" ]; then echo "the validated copy is not the new content; $f is unchanged" >&2; exit ${INCOMPLETE}; fi
    ;;
  none) ;;
  *) echo "unknown validator $validate" >&2; exit 2 ;;
esac
if [ -e "$f" ]; then
  chown "$(stat -c %u:%g -- "$f")" -- "$tmp"
  chmod "$(stat -c %a -- "$f")" -- "$tmp"
else
  chown root:root -- "$tmp"
  chmod 0644 -- "$tmp"
fi
sync -- "$tmp"
got=$(sha256sum <"$tmp" | cut -d' ' -f1)
if [ "$got" != "$newsum" ]; then echo "the new content changed after it was validated; $f is unchanged" >&2; exit ${INCOMPLETE}; fi
unchanged
if [ -e "$f" ]; then ln -fT -- "$f" "$dir/$base.zfs-fleet.bak"; fi
mv -fT -- "$tmp" "$f"
trap - EXIT HUP INT TERM
sync -- "$dir"
echo "$newsum"`;

export class RemoteFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RemoteFileError";
  }
}

export async function readRemoteFile(host: string, path: string): Promise<string | undefined> {
  try {
    const r = await run(host, sh`sh -c ${READ_SCRIPT} zfs-fleet-read ${path}`, { idempotent: true, okExitCodes: [3] });
    return r.exitCode === 3 ? undefined : r.stdout;
  } catch (err) {
    if (err instanceof RemoteCommandError && err.exitCode === NOT_A_FILE) throw new RemoteFileError(`${host}: ${path} not read: ${err.stderr.trim()}`);
    throw err;
  }
}

/** One compare-and-swap write; true when written, false when the file changed since it was read. */
async function writeIfUnchanged(host: string, path: string, expected: string, content: string, kind: FileKind): Promise<boolean> {
  try {
    await run(host, sh`sh -c ${WRITE_SCRIPT} zfs-fleet-write ${path} ${expected} ${sha256(content)} ${validatorOf(kind, content)}`, {
      stdin: content,
      timeoutMs: 180_000,
    });
    return true;
  } catch (err) {
    if (!(err instanceof RemoteCommandError)) throw err;
    if (err.exitCode === CONFLICT) return false;
    // A lost connection: the file is old or new. Reading it again tells which.
    if (err.exitCode === null || err.exitCode === INCOMPLETE) return false;
    if (err.exitCode === INVALID || err.exitCode === LOCK_TIMEOUT || err.exitCode === NOT_A_FILE) {
      throw new RemoteFileError(`${host}: ${path} not changed: ${err.stderr.trim()}`);
    }
    throw err;
  }
}

interface Pending {
  edit: Edit;
  kind: FileKind;
  resolve: (r: EditResult) => void;
  reject: (e: Error) => void;
}

interface FileQueue {
  pending: Pending[];
  running: boolean;
}

const QUEUES_KEY = Symbol.for("zfs-fleet.remotefile");
const queues: Map<string, FileQueue> = ((globalThis as Record<symbol, unknown>)[QUEUES_KEY] as Map<string, FileQueue>) ??
  ((globalThis as Record<symbol, unknown>)[QUEUES_KEY] = new Map<string, FileQueue>());


/**
 * Applies `edit` to the file on the host, together with the other edits of
 * this process waiting for the same file. Resolves once the file holds it.
 */
export function editRemoteFile(host: string, path: string, edit: Edit, kind: FileKind): Promise<EditResult> {
  const key = `${host}\u0000${path}`;
  let q = queues.get(key);
  if (!q) queues.set(key, (q = { pending: [], running: false }));
  const queue = q;
  return new Promise<EditResult>((resolve, reject) => {
    queue.pending.push({ edit, kind, resolve, reject });
    if (!queue.running) {
      queue.running = true;
      // Let the other resources of this tick queue their edits first.
      setImmediate(() => void drain(host, path, queue));
    }
  });
}

async function drain(host: string, path: string, queue: FileQueue): Promise<void> {
  try {
    while (queue.pending.length > 0) {
      const batch = process.env.ZFSFLEET_NO_BATCH ? queue.pending.splice(0, 1) : queue.pending.splice(0);
      await applyBatch(host, path, batch);
    }
  } finally {
    queue.running = false;
    if (queue.pending.length > 0) {
      queue.running = true;
      setImmediate(() => void drain(host, path, queue));
    }
  }
}

export interface BatchOutcome {
  content: string;
  /** Per edit: the error that refused it, or whether it changed anything. */
  results: ({ error: Error } | { changed: boolean })[];
}

/** Applies edits in order to `old`; an edit that throws or adds a problem is refused and skipped. Pure. */
export function applyEdits(old: string | undefined, edits: readonly Edit[], kind: FileKind): BatchOutcome {
  let text = old;
  const results: BatchOutcome["results"] = [];
  for (const edit of edits) {
    try {
      const next = edit(text);
      if (kind.problems) {
        const before = new Set((kind.problems(text ?? "")).map(stripLine));
        const added = kind.problems(next).filter((p) => !before.has(stripLine(p)));
        if (added.length) throw new RemoteFileError(`the edit would make ${kind.label} invalid: ${added.join("; ")}`);
      }
      results.push({ changed: text === undefined ? next !== "" : next !== text });
      text = next;
    } catch (err) {
      results.push({ error: err as Error });
    }
  }
  return { content: text ?? "", results };
}

const stripLine = (p: string) => p.replace(/^line \d+: /, "");

async function applyBatch(host: string, path: string, batch: Pending[]): Promise<void> {
  const kind = batch[0].kind;
  try {
    for (let attempt = 1; ; attempt++) {
      const old = await readRemoteFile(host, path);
      const outcome = applyEdits(old, batch.map((p) => p.edit), kind);
      const changed = old === undefined ? outcome.content !== "" : outcome.content !== old;
      let written = true;
      if (changed) {
        try {
          written = await writeIfUnchanged(host, path, old === undefined ? ABSENT : sha256(old), outcome.content, kind);
        } catch (err) {
          if (err instanceof RemoteFileError && batch.length > 1) {
            // One edit made the file invalid on the host: apply them one by one to find it.
            for (const p of batch) await applyBatch(host, path, [p]);
            return;
          }
          throw err;
        }
      }
      if (written) {
        batch.forEach((p, i) => {
          const r = outcome.results[i];
          if ("error" in r) p.reject(r.error);
          else p.resolve({ changed: r.changed && changed, content: outcome.content });
        });
        return;
      }
      if (attempt >= settings().editAttempts) {
        throw new RemoteFileError(`${host}: ${path} kept changing while ${batch.length} edit(s) were applied (${attempt} attempts); try again`);
      }
      // Someone else wrote in between: back off (with jitter, so racing writers spread out) and redo.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(3000, 100 * 2 ** Math.min(attempt, 5))));
    }
  } catch (err) {
    for (const p of batch) p.reject(err as Error);
  }
}
