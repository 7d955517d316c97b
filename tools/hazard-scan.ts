// Prints the hazard scan's remote command (provider/hazards/scan.ts) for the
// datasets given, so lab/capture-fixtures runs exactly what the provider runs.
//
//   node tools/hazard-scan.ts zfs-hdd/off/products [more datasets...]
import { scanCommand } from "../provider/hazards/scan.ts";

process.stdout.write(`${scanCommand(process.argv.slice(2)).text}\n`);
