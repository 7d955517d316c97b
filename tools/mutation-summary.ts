// The figures of a Stryker run (`make mutation`, docs/mutation.md): the score
// of each mutated module and, with --survivors, every mutant no test killed,
// as `file:line:column mutator: original -> replacement`.
//
//   node tools/mutation-summary.ts [REPORT.json] [--survivors]
//
// The report is reports/mutation/mutation.json, or one-module.json when
// MUTATE names modules (as stryker.config.mjs writes them).
// The score is Stryker's: killed and timed out over every mutant that could
// run (survivors and mutants no test covers included; ignored and
// compile-error mutants left out). Static mutants (module-level code) are
// ignored unless the run was made with STRYKER_STATIC=1: their count is shown.
import { readFileSync } from "node:fs";
import ts from "typescript";

interface Mutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number }; end: { line: number; column: number } };
}

interface Report {
  files: Record<string, { source: string; mutants: Mutant[] }>;
}

/**
 * Whether a mutant sits in code that runs only when its module loads (outside
 * every function body: a table, a regex constant, a top-level arrow). With
 * ignoreStatic, Stryker still runs such a mutant when a test seems to cover
 * it, but switches it on after the module has loaded, so it cannot be killed
 * (it shows as survived); STRYKER_STATIC=1 reloads the module for each one.
 */
export function atLoad(file: string, source: string): (line: number, column: number) => boolean {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const bodies: [number, number][] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) bodies.push([(node.body as ts.Node).getStart(sf), node.body.end]);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return (line, column) => {
    const pos = sf.getPositionOfLineAndCharacter(line - 1, column - 1);
    return !bodies.some(([start, end]) => pos >= start && pos < end);
  };
}

const DETECTED = new Set(["Killed", "Timeout"]);
const UNDETECTED = new Set(["Survived", "NoCoverage"]);

export interface ModuleScore {
  file: string;
  mutants: number;
  killed: number;
  survived: number;
  noCoverage: number;
  /** Of the survivors, those in code that runs at load (see atLoad). */
  survivedAtLoad: number;
  ignored: number;
  score: number;
}

export function scores(report: Report): ModuleScore[] {
  return Object.entries(report.files)
    .map(([file, { source, mutants }]) => {
      const loads = atLoad(file, source);
      const survivedAtLoad = mutants.filter((m) => m.status === "Survived" && loads(m.location.start.line, m.location.start.column)).length;
      const count = (s: string) => mutants.filter((m) => m.status === s).length;
      const detected = mutants.filter((m) => DETECTED.has(m.status)).length;
      const valid = detected + mutants.filter((m) => UNDETECTED.has(m.status)).length;
      return { file, mutants: valid, killed: detected, survived: count("Survived"), noCoverage: count("NoCoverage"), survivedAtLoad, ignored: count("Ignored"), score: valid ? (100 * detected) / valid : 100 };
    })
    .sort((a, b) => a.file.localeCompare(b.file));
}

export function table(rows: readonly ModuleScore[]): string {
  const all = rows.reduce(
    (t, r) => ({ mutants: t.mutants + r.mutants, killed: t.killed + r.killed, survived: t.survived + r.survived, noCoverage: t.noCoverage + r.noCoverage, survivedAtLoad: t.survivedAtLoad + r.survivedAtLoad, ignored: t.ignored + r.ignored }),
    { mutants: 0, killed: 0, survived: 0, noCoverage: 0, survivedAtLoad: 0, ignored: 0 },
  );
  const line = (name: string, r: Omit<ModuleScore, "file" | "score">) =>
    `| ${name} | ${r.mutants} | ${r.killed} | ${r.survived} | ${r.survivedAtLoad} | ${r.noCoverage} | ${r.ignored} | ${r.mutants ? ((100 * r.killed) / r.mutants).toFixed(1) : "100.0"} |`;
  return [
    "| module | mutants | killed | survived | of which at load | no coverage | ignored (static) | score % |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map((r) => line(`\`${r.file}\``, r)),
    line("**all**", all),
  ].join("\n");
}

export function survivors(report: Report): string[] {
  return Object.entries(report.files).flatMap(([file, { source, mutants }]) => {
    const lines = source.split("\n");
    const loads = atLoad(file, source);
    return mutants
      .filter((m) => UNDETECTED.has(m.status))
      .sort((a, b) => a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column)
      .map((m) => {
        const { start, end } = m.location;
        const original =
          start.line === end.line ? lines[start.line - 1].slice(start.column - 1, end.column - 1) : `${lines[start.line - 1].slice(start.column - 1)}...`;
        const status = m.status === "NoCoverage" ? " (no test runs it)" : loads(start.line, start.column) ? " (at load)" : "";
        return `${file}:${start.line}:${start.column} ${m.mutatorName}${status}: ${original.trim()} -> ${(m.replacement ?? "").replace(/\s+/g, " ").trim()}`;
      });
  });
}

if (process.argv[1]?.endsWith("tools/mutation-summary.ts")) {
  const args = process.argv.slice(2);
  const flags = args.filter((a) => a.startsWith("--"));
  const file = args.find((a) => !a.startsWith("--")) ?? `reports/mutation/${process.env.MUTATE ? "one-module" : "mutation"}.json`;
  const report = JSON.parse(readFileSync(file, "utf8")) as Report;
  console.log(table(scores(report)));
  if (flags.includes("--survivors")) {
    console.log("");
    for (const s of survivors(report)) console.log(s);
  }
}
