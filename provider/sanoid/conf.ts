// sanoid.conf as data: an INI file that operators also edit by hand. The
// editor changes only the section it is asked about and keeps every other
// line byte for byte (comments carry metadata such as `# no_sanoid_checks:`).
// Pure.
import { absolutePathProblem, controlProblem, datasetNameProblem, named, own, shown } from "../names";

/** Every key sanoid 2.1 knows (/usr/share/sanoid/sanoid.defaults.conf); any other is fatal to sanoid. */
export const SANOID_KEYS: Record<string, RegExp> = {};
const COUNT = /^\d{1,6}$/;
const BOOL = /^(yes|no|1|0)$/;
const DURATION = /^\d{1,6}[smhdwMy]?$/;
const SCRIPT = /^\/[A-Za-z0-9_.\/+-]+$/;
for (const k of ["frequently", "hourly", "daily", "weekly", "monthly", "yearly", "frequent_period", "script_timeout", "prune_defer"]) SANOID_KEYS[k] = COUNT;
for (const k of ["hourly_min", "daily_hour", "daily_min", "weekly_wday", "weekly_hour", "weekly_min", "monthly_mday", "monthly_hour", "monthly_min", "yearly_mon", "yearly_mday", "yearly_hour", "yearly_min"]) SANOID_KEYS[k] = /^\d{1,2}$/;
for (const k of ["autosnap", "autoprune", "process_children_only", "skip_children", "no_inconsistent_snapshot", "force_post_snapshot_script", "monitor", "monitor_dont_warn", "monitor_dont_crit"]) SANOID_KEYS[k] = BOOL;
for (const p of ["frequently", "hourly", "daily", "weekly", "monthly", "yearly"]) {
  SANOID_KEYS[`${p}_warn`] = DURATION;
  SANOID_KEYS[`${p}_crit`] = DURATION;
}
SANOID_KEYS.capacity_warn = /^\d{1,3}$/;
SANOID_KEYS.capacity_crit = /^\d{1,3}$/;
SANOID_KEYS.recursive = /^(yes|no|zfs|1|0)$/;
SANOID_KEYS.use_template = /^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$/;
SANOID_KEYS.pre_snapshot_script = SCRIPT;
SANOID_KEYS.post_snapshot_script = SCRIPT;
SANOID_KEYS.pruning_script = SCRIPT;
SANOID_KEYS.path = /^[A-Za-z0-9_.:\/-]+$/;

/**
 * Where a pre/post snapshot or pruning script may be: directories only root
 * writes, since sanoid runs the script as root at every snapshot (a script in
 * /tmp or a home directory would run whatever its owner puts there).
 */
export const SCRIPT_DIRS = /^\/(usr\/local\/s?bin|usr\/s?bin|etc\/sanoid)\//;
const SCRIPT_KEYS = new Set(["pre_snapshot_script", "post_snapshot_script", "pruning_script"]);

/** Numbers sanoid reads as a time of day, a day or a percentage: their range (sanoid.defaults.conf). */
export const SANOID_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  hourly_min: [0, 59],
  daily_hour: [0, 23],
  daily_min: [0, 59],
  weekly_wday: [0, 7],
  weekly_hour: [0, 23],
  weekly_min: [0, 59],
  monthly_mday: [1, 31],
  monthly_hour: [0, 23],
  monthly_min: [0, 59],
  yearly_mon: [1, 12],
  yearly_mday: [1, 31],
  yearly_hour: [0, 23],
  yearly_min: [0, 59],
  capacity_warn: [0, 100],
  capacity_crit: [0, 100],
};

/** Keys sanoid ignores (with a warning) inside a template. */
export const NOT_IN_TEMPLATES = new Set(["recursive", "process_children_only", "use_template"]);

/** Why `key = value` cannot go into a section, or undefined. */
export function keyProblem(key: string, value: string, inTemplate: boolean): string | undefined {
  const rule = own(SANOID_KEYS, key);
  if (!rule) return `${shown(key)} is not a sanoid setting (sanoid stops with "I don't understand the setting"); known: hourly, daily, monthly, autosnap, autoprune, recursive, ...`;
  if (inTemplate && NOT_IN_TEMPLATES.has(key)) return `"${key}" is ignored by sanoid inside a template; set it on the dataset's policy`;
  if (typeof value !== "string") return `${key} must be a string`;
  if (/[\r\n]/.test(value)) return `${key}: a value must be on one line`;
  const control = controlProblem(value);
  if (control) return `${key}: ${shown(value)} ${control}`;
  if (/[#;]/.test(value)) return `${key}: ${shown(value)} contains # or ;, which sanoid would read as part of the value`;
  if (!rule.test(value)) return `${key} cannot be ${shown(value)}`;
  if (SCRIPT_KEYS.has(key)) {
    const problem = absolutePathProblem(value) ?? (SCRIPT_DIRS.test(value) ? undefined : "is not in /usr/local/sbin/, /usr/local/bin/, /usr/sbin/, /usr/bin/ or /etc/sanoid/");
    if (problem) return `${key} ${shown(value)} ${problem} (directories only root writes: sanoid runs it as root at every snapshot)`;
  }
  const range = own(SANOID_RANGES, key);
  if (range && (Number(value) < range[0] || Number(value) > range[1])) return `${key} cannot be ${shown(value)}: it is from ${range[0]} to ${range[1]}`;
  return undefined;
}

/**
 * Why `name` cannot be a sanoid dataset section (pools are allowed), or
 * undefined: a dataset name (../names.ts), which also keeps out the characters
 * that would break the file; those are named as such.
 */
export function sectionDatasetProblem(name: string): string | undefined {
  if (name.startsWith("template_")) return "starts with template_, which sanoid reads as a template";
  if (/[\s\]\[#;=]/.test(name)) return `${shown(name)} contains a character that breaks sanoid.conf (white space, [ ] # ; =)`;
  return named(name, datasetNameProblem(name, { poolRoot: true }));
}

export const TEMPLATE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Why `name` cannot name a template (`[template_<name>]`, `use_template =
 * <name>`), or undefined. A name is given without `template_`: `template_x`
 * would be the section `[template_template_x]`.
 */
export function templateNameProblem(name: string): string | undefined {
  if (typeof name !== "string" || !TEMPLATE_NAME.test(name)) return `${shown(name)} is not a template name (letters, digits, _ and -)`;
  if (name.startsWith("template_")) return `${shown(name)}: give the template's name without template_ (this would be the section [template_${name}])`;
  return undefined;
}

// ---------------------------------------------------------------------------

export interface KeyLine {
  key: string;
  value: string;
  /** Index into lines. */
  index: number;
}

export interface Section {
  name: string;
  header: number;
  keys: KeyLine[];
  /** Index of the first line after this section (the next header, or the end). */
  end: number;
}

export interface IniDoc {
  /** Lines with their own line endings: joining them gives the file back byte for byte. */
  lines: string[];
  sections: Section[];
  /** Lines that are neither blank, comment, header nor key = value. */
  garbage: number[];
}

const HEADER = /^\s*\[([^\]]*)\]\s*$/;
const COMMENT = /^\s*[#;]/;
const KEY = /^\s*([^=\s][^=]*?)\s*=\s*(.*?)\s*$/;

const bare = (line: string) => line.replace(/\r?\n$/, "");

export function parseIni(content: string): IniDoc {
  const lines = content === "" ? [] : content.split(/(?<=\n)/);
  const sections: Section[] = [];
  const garbage: number[] = [];
  let current: Section | undefined;
  lines.forEach((raw, i) => {
    const line = bare(raw);
    const h = line.match(HEADER);
    if (h) {
      if (current) current.end = i;
      current = { name: h[1].trim(), header: i, keys: [], end: lines.length };
      sections.push(current);
      return;
    }
    if (line.trim() === "" || COMMENT.test(line)) return;
    const k = line.match(KEY);
    if (k && current) current.keys.push({ key: k[1], value: k[2], index: i });
    else garbage.push(i);
  });
  return { lines, sections, garbage };
}

export interface Duplicate {
  name: string;
  /** 1-based line numbers of each header. */
  lines: number[];
}

/** Sections that appear more than once: sanoid merges them, the first value of each key winning. */
export function duplicates(doc: IniDoc): Duplicate[] {
  const seen = new Map<string, number[]>();
  for (const s of doc.sections) seen.set(s.name, [...(seen.get(s.name) ?? []), s.header + 1]);
  return [...seen].filter(([, l]) => l.length > 1).map(([name, lines]) => ({ name, lines }));
}

export const describeDuplicate = (d: Duplicate, file = "sanoid.conf"): string =>
  `[${d.name}] appears ${d.lines.length} times in ${file} (lines ${d.lines.join(", ")}); sanoid merges them and the first value of each key wins`;

/** The settings of a section as sanoid reads them (first value of a duplicated key wins). */
export function settingsOf(doc: IniDoc, name: string): Record<string, string> | undefined {
  const secs = doc.sections.filter((s) => s.name === name);
  if (secs.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const s of secs) for (const k of s.keys) if (!(k.key in out)) out[k.key] = k.value;
  return out;
}

export class ConfEditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfEditError";
  }
}

export interface SetSectionOptions {
  /** The section's previous name (a dataset renamed): its header is renamed in place. */
  renameFrom?: string;
  /** Merge the copies of a duplicated section into the first one instead of refusing. */
  resolveDuplicates?: boolean;
}

const eolOf = (doc: IniDoc) => (doc.lines.some((l) => l.endsWith("\r\n")) ? "\r\n" : "\n");

/**
 * Makes section `name` hold exactly `entries`, in place: a key already there
 * keeps its line's indentation and spacing, a key no longer wanted loses its
 * line, a new key goes after the section's last key. A missing section is
 * appended at the end of the file. Comments and blank lines in the section
 * and every other line of the file are kept as they are.
 */
export function setSection(content: string, name: string, entries: readonly [string, string][], opts: SetSectionOptions = {}): string {
  let doc = parseIni(content);
  const dup = duplicates(doc).find((d) => d.name === name || d.name === opts.renameFrom);
  if (dup) {
    if (!opts.resolveDuplicates) {
      throw new ConfEditError(`${describeDuplicate(dup)}. Remove the extra copy by hand, or set resolveDuplicates: true to merge them into the first.`);
    }
    doc = parseIni(mergeDuplicates(doc, dup.name));
  }
  const lines = [...doc.lines];
  const eol = eolOf(doc);
  let section = doc.sections.find((s) => s.name === name);
  if (opts.renameFrom && opts.renameFrom !== name) {
    const old = doc.sections.find((s) => s.name === opts.renameFrom);
    if (old && section) {
      throw new ConfEditError(`cannot rename [${opts.renameFrom}] to [${name}]: [${name}] is already in the file (line ${section.header + 1}); that would make a duplicate`);
    }
    if (old) {
      const text = bare(lines[old.header]);
      const ending = lines[old.header].slice(text.length);
      lines[old.header] = text.replace(`[${bare(text).match(HEADER)![1]}]`, `[${name}]`) + ending;
      section = old;
    }
  }
  if (!section) {
    const body = entries.map(([k, v]) => `  ${k} = ${v}${eol}`).join("");
    let prefix = "";
    if (lines.length > 0) {
      if (!lines[lines.length - 1].endsWith("\n")) prefix = eol;
      if (bare(lines[lines.length - 1]).trim() !== "") prefix += eol;
    }
    return lines.join("") + prefix + `[${name}]${eol}` + body;
  }
  const wanted = new Map(entries);
  const style = section.keys[0] ? bare(lines[section.keys[0].index]).match(/^(\s*)\S[^=]*?(\s*=\s*)/) : null;
  const indent = style?.[1] ?? "  ";
  const sep = style?.[2] ?? " = ";
  const remove = new Set<number>();
  const seen = new Set<string>();
  for (const k of section.keys) {
    if (!wanted.has(k.key) || seen.has(k.key)) {
      remove.add(k.index);
      continue;
    }
    seen.add(k.key);
    const v = wanted.get(k.key)!;
    if (k.value !== v) {
      const text = bare(lines[k.index]);
      const ending = lines[k.index].slice(text.length);
      const m = text.match(/^(\s*[^=]*?\s*=\s*)/)!;
      lines[k.index] = m[1] + v + ending;
    }
  }
  const added = entries.filter(([k]) => !seen.has(k)).map(([k, v]) => `${indent}${k}${sep}${v}${eol}`);
  const after = section.keys.length ? section.keys[section.keys.length - 1].index : section.header;
  if (added.length && !lines[after].endsWith("\n")) lines[after] += eol;
  lines.splice(after + 1, 0, ...added);
  // Indices after `after` moved; removals are all at or before `after`.
  return lines.filter((_, i) => !remove.has(i)).join("");
}

/** Removes section `name` (its header and its key lines; comments around it stay). */
export function removeSection(content: string, name: string): string {
  const doc = parseIni(content);
  const remove = new Set<number>();
  for (const s of doc.sections.filter((x) => x.name === name)) {
    remove.add(s.header);
    for (const k of s.keys) remove.add(k.index);
    // The blank line we put before a section we appended goes with it.
    const last = s.keys.length ? s.keys[s.keys.length - 1].index : s.header;
    const nextBlank = last + 1 < doc.lines.length && bare(doc.lines[last + 1]).trim() === "";
    const prevBlank = s.header > 0 && bare(doc.lines[s.header - 1]).trim() === "";
    if (prevBlank && (last + 1 >= doc.lines.length || nextBlank)) remove.add(s.header - 1);
  }
  return doc.lines.filter((_, i) => !remove.has(i)).join("");
}

/** Folds the later copies of a duplicated section into the first (sanoid's own reading: first value wins). */
function mergeDuplicates(doc: IniDoc, name: string): string {
  const copies = doc.sections.filter((s) => s.name === name);
  const [first, ...rest] = copies;
  const have = new Set(first.keys.map((k) => k.key));
  const moved: string[] = [];
  const remove = new Set<number>();
  for (const s of rest) {
    remove.add(s.header);
    for (const k of s.keys) {
      remove.add(k.index);
      if (!have.has(k.key)) {
        have.add(k.key);
        moved.push(doc.lines[k.index].endsWith("\n") ? doc.lines[k.index] : doc.lines[k.index] + eolOf(doc));
      }
    }
  }
  const lines = [...doc.lines];
  const at = first.keys.length ? first.keys[first.keys.length - 1].index : first.header;
  const out: string[] = [];
  lines.forEach((l, i) => {
    if (!remove.has(i)) out.push(l);
    if (i === at) out.push(...moved);
  });
  return out.join("");
}

/** Checks a whole file the way sanoid would before it is written: known keys, no duplicate sections. */
export function validateConf(content: string): string[] {
  const doc = parseIni(content);
  const problems: string[] = [];
  for (const i of doc.garbage) problems.push(`line ${i + 1}: ${JSON.stringify(bare(doc.lines[i]))} is not a section, a comment or key = value`);
  for (const s of doc.sections) {
    if (s.name === "version") continue;
    for (const k of s.keys) {
      if (!own(SANOID_KEYS, k.key)) problems.push(`line ${k.index + 1}: [${s.name}] ${k.key} is not a sanoid setting`);
    }
  }
  return problems;
}
