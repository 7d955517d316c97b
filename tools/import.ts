// Writes the program module that adopts a live host as it is (the package's
// zfs-fleet-import, provider/import/): `make build` first, then
//
//   node tools/import.ts off1 --stack lab-off1 --out /tmp/off1.ts
//   node tools/import.ts tank1 --address 192.0.2.10 --host-key "ssh-ed25519 AAAA..." --key ~/.ssh/id_ed25519 --out tank1.ts
//
// Options and what the module holds: provider/README.md ("Import a live host").
// It runs the compiled provider (the same code a stack's provider runs), so
// it needs no TypeScript at run time.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { realpathSync } from "node:fs";
import type { main as Main } from "../provider/import/cli.ts";

const here = dirname(realpathSync(process.argv[1]));
const compiled = join(here, "../provider/dist/provider/import/cli.js");
let main: typeof Main;
try {
  ({ main } = createRequire(join(here, "import.ts"))(compiled));
} catch (err) {
  process.stderr.write(`tools/import.ts: the compiled provider is missing (${(err as Error).message.split("\n")[0]}); run make build\n`);
  process.exit(2);
}
main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`zfs-fleet-import: ${err.message}\n`);
    process.exit(err.constructor?.name === "UsageError" ? 2 : 1);
  },
);
