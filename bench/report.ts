// Turns docs/bench/results.json (bench/scale.run.ts) into the table of
// docs/bench.md (between its markers) and the chart docs/bench/cost.png
// (gnuplot, from Debian). Ratios are of times measured in the same run.
//
//   node bench/report.ts
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

interface Row {
  n: number;
  tool: string;
  op: string;
  seconds: number;
  connections: number;
  commands: number;
  sshdConnections: number;
  stateBytesPerDataset?: number;
}

// Run from the repository root (make bench does).
const repo = process.cwd();
const dir = join(repo, "docs", "bench");
const { rows, measured } = JSON.parse(readFileSync(join(dir, "results.json"), "utf8")) as { rows: Row[]; measured: string };
const sizes = [...new Set(rows.map((r) => r.n))].sort((a, b) => a - b);
const get = (n: number, tool: string, op: string) => rows.find((r) => r.n === n && r.tool === tool && r.op === op);

/** How a cost grows: the exponent b of cost ~ N^b between the smallest and largest N measured for it. */
function growth(tool: string, op: string, key: "seconds" | "connections" | "commands"): string {
  const measuredAt = sizes.filter((n) => get(n, tool, op));
  if (measuredAt.length < 2) return "-";
  const [nLo, nHi] = [measuredAt[0], measuredAt[measuredAt.length - 1]];
  const lo = get(nLo, tool, op)!;
  const hi = get(nHi, tool, op)!;
  if (lo[key] <= 0 || hi[key] <= 0) return lo[key] === hi[key] ? `none (0 at ${nLo} and ${nHi})` : "-";
  const b = Math.log(hi[key] / lo[key]) / Math.log(nHi / nLo);
  return `N^${b.toFixed(2)} (${nLo}-${nHi})`;
}

const ratio = (a?: Row, b?: Row) => (a && b && a.seconds > 0 ? `${(b.seconds / a.seconds).toFixed(1)}x` : "-");

const lines: string[] = [];
lines.push(`Measured ${measured.slice(0, 10)} on this 2-core machine, one lab VM (off2) under qemu emulation.`, "");
lines.push("| N | operation | zfs-fleet s | conn. | cmds | Ansible s | conn. | module runs | per-command s | conn. | cmds | Ansible / zfs-fleet | per-command / zfs-fleet |");
lines.push("| --: | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |");
const OPS: [string, string, string, string][] = [
  // label, our op, Ansible's op, the baseline's op
  ["preview (Ansible: check)", "preview", "check", "read-all"],
  ["refresh (Ansible: check)", "refresh", "check", "read-all"],
  ["no-op up (Ansible: apply)", "noop-up", "apply", "read-all"],
  ["rename a parent of 50", "rename", "rename", "rename"],
];
for (const n of sizes) {
  for (const [label, o, a, b] of OPS) {
    const ours = get(n, "zfs-fleet", o);
    const ans = get(n, "ansible", a);
    const base = get(n, "per-command", b);
    const cell = (r: Row | undefined, k: keyof Row) => (r ? String(r[k]) : "-");
    lines.push(
      `| ${n} | ${label} | ${cell(ours, "seconds")} | ${cell(ours, "connections")} | ${cell(ours, "commands")} | ${cell(ans, "seconds")} | ${cell(ans, "sshdConnections")} | ${cell(ans, "commands")} | ${cell(base, "seconds")} | ${cell(base, "sshdConnections")} | ${cell(base, "commands")} | ${ratio(ours, ans)} | ${ratio(ours, base)} |`,
    );
  }
}
// The targets of issue 20, each against a floor measured in the same run (or an absolute bound).
// `alone`: what the engine's floor of the same operation (do-nothing resources, bench/floor.ts) leaves
// of the bound, when it is added to the host's own floor: the best any provider could do.
const TARGETS: { label: string; measure: (n: number) => [number, string] | undefined; alone?: (n: number) => string | undefined; bound: number; unit: string }[] = [
  {
    label: "rename of a parent of 50, against the bare `zfs rename`",
    measure: (n) => ratioOf(get(n, "zfs-fleet", "rename"), get(n, "bare-zfs", "rename")),
    alone: (n) => withEngine(get(n, "engine-floor", "rename"), get(n, "bare-zfs", "rename")),
    bound: 1.3,
    unit: "x",
  },
  {
    label: "preview, against the engine's floor (bench/floor.ts)",
    measure: (n) => ratioOf(get(n, "zfs-fleet", "preview"), get(n, "engine-floor", "preview")),
    bound: 1.5,
    unit: "x",
  },
  {
    label: "refresh, against the bare `zfs get` of the pool",
    measure: (n) => ratioOf(get(n, "zfs-fleet", "refresh"), get(n, "bare-zfs", "get")),
    alone: (n) => withEngine(get(n, "engine-floor", "refresh"), get(n, "bare-zfs", "get")),
    bound: 1.3,
    unit: "x",
  },
  {
    label: "state per Dataset, bytes",
    measure: (n) => {
      const b = get(n, "zfs-fleet", "adopt")?.stateBytesPerDataset;
      return b === undefined ? undefined : [b, `${b} B`];
    },
    bound: 2048,
    unit: " B",
  },
  {
    label: "first adoption of the N datasets, seconds",
    measure: (n) => {
      const r = get(n, "zfs-fleet", "adopt");
      return r ? [r.seconds, `${r.seconds} s`] : undefined;
    },
    alone: (n) => {
      const f = get(n, "engine-floor", "adopt");
      return f ? `${f.seconds} s (the floor's first up)` : undefined;
    },
    bound: 60,
    unit: " s",
  },
];
function ratioOf(ours?: Row, floor?: Row): [number, string] | undefined {
  if (!ours || !floor || floor.seconds <= 0) return undefined;
  const x = ours.seconds / floor.seconds;
  return [x, `${ours.seconds} s / ${floor.seconds} s = ${x.toFixed(2)}x`];
}
/** The engine's floor of an operation plus the host's floor, as a ratio to the host's floor. */
function withEngine(engine?: Row, host?: Row): string | undefined {
  if (!engine || !host || host.seconds <= 0) return undefined;
  return `${engine.seconds} s + ${host.seconds} s = ${((engine.seconds + host.seconds) / host.seconds).toFixed(2)}x`;
}
const targetRows = sizes.flatMap((n) =>
  TARGETS.flatMap((t) => {
    const m = t.measure(n);
    return m ? [`| ${n} | ${t.label} | ${m[1]} | ${t.alone?.(n) ?? "-"} | at most ${t.bound}${t.unit} | ${m[0] <= t.bound ? "met" : "not met"} |`] : [];
  }),
);
if (targetRows.length > 0) {
  lines.push("", "Targets (issue 20), each from one run: the floors are measured beside zfs-fleet, on the same host in the same minutes.", "");
  lines.push(
    "\"engine alone\" is the engine's floor of the same operation (the same graph of do-nothing resources, bench/floor.ts) added to the host's floor: what is left of the bound for any provider of one resource per dataset.",
    "",
  );
  lines.push("| N | target | measured | engine alone | bound | |", "| --: | --- | --- | --- | --- | --- |", ...targetRows);
}
lines.push("", "How each cost grows with N (exponent between the smallest and the largest N measured, in brackets; 0 is flat, 1 is linear):", "");
lines.push("| tool, operation | time | connections | remote commands |", "| --- | --- | --- | --- |");
for (const [tool, op] of [
  ["zfs-fleet", "preview"],
  ["zfs-fleet", "refresh"],
  ["zfs-fleet", "noop-up"],
  ["zfs-fleet", "rename"],
  ["zfs-fleet", "adopt"],
  ["engine-floor", "adopt"],
  ["engine-floor", "preview"],
  ["engine-floor", "refresh"],
  ["engine-floor", "rename"],
  ["bare-zfs", "get"],
  ["bare-zfs", "rename"],
  ["ansible", "check"],
  ["ansible", "apply"],
  ["per-command", "read-all"],
]) {
  lines.push(`| ${tool} ${op} | ${growth(tool, op, "seconds")} | ${growth(tool, op, "connections")} | ${growth(tool, op, "commands")} |`);
}
lines.push("", "![cost against N](bench/cost.png)");

const doc = join(repo, "docs", "bench.md");
const text = readFileSync(doc, "utf8");
const start = "<!-- results: generated by bench/report.ts -->";
const end = "<!-- end of results -->";
const before = text.slice(0, text.indexOf(start) + start.length);
const after = text.slice(text.indexOf(end));
writeFileSync(doc, `${before}\n${lines.join("\n")}\n${after}`);

// The chart: seconds against N, log-log, one line per tool and operation.
const series: [string, string, string][] = [
  ["zfs-fleet", "refresh", "zfs-fleet refresh"],
  ["zfs-fleet", "preview", "zfs-fleet preview"],
  ["zfs-fleet", "noop-up", "zfs-fleet no-op up"],
  ["zfs-fleet", "rename", "zfs-fleet rename"],
  ["engine-floor", "preview", "engine floor: preview"],
  ["engine-floor", "refresh", "engine floor: refresh"],
  ["engine-floor", "rename", "engine floor: rename (51 updates)"],
  ["bare-zfs", "get", "bare zfs get (floor of refresh)"],
  ["bare-zfs", "rename", "bare zfs rename (floor of rename)"],
  ["ansible", "check", "Ansible check mode"],
  ["ansible", "apply", "Ansible apply"],
  ["per-command", "read-all", "per-command read"],
];
const data = series
  // Only the sizes measured for a series, so a missing size does not break its line.
  .map(([tool, op]) => sizes.flatMap((n) => { const r = get(n, tool, op); return r ? [`${n} ${r.seconds}`] : []; }).join("\n") || "NaN NaN")
  .join("\n\n\n");
const dat = join(tmpdir(), "zfs-fleet-bench-cost.dat");
writeFileSync(dat, `${data}\n`);
const plot = [
  "set terminal png size 1000,560",
  `set output '${join(dir, "cost.png")}'`,
  "set title 'Cost against the number of datasets on one host (lab, 2 cores)'",
  "set logscale xy",
  "set xlabel 'datasets (N)'",
  "set ylabel 'wall time (s)'",
  `set xtics (${sizes.join(", ")})`,
  `set xrange [${sizes[0] * 0.8}:${sizes[sizes.length - 1] * 1.25}]`,
  "set key outside right top",
  "set grid",
  `plot ${series.map(([, , title], i) => `'${dat}' index ${i} with linespoints lw 2 title '${title}'`).join(", ")}`,
].join("\n");
execFileSync("gnuplot", { input: plot });
console.log(`docs/bench.md and docs/bench/cost.png written from ${rows.length} measurements`);
