// Runs around every lab file (vitest `setupFiles`): before it, every VM alive or restarted once per
// run; during it, a watchdog that ends what is in flight when a VM dies; after a failed test, a full
// check (a hung VM shows only over ssh). A file that lost a VM fails naming it, with its console's
// last lines, and its remaining tests fail at once instead of each waiting out its timeout.
import { afterAll, afterEach, beforeAll, beforeEach, inject } from "vitest";
import { assertLabAlive, checkNow, deathsInThisFile, describeDeath, ensureLabAlive, startWatchdog, stopWatchdog } from "./health";

beforeAll(async () => {
  await ensureLabAlive(inject("zfslabRunId"));
  startWatchdog();
}, 1_500_000);

let deathsBefore = 0;
beforeEach(() => {
  deathsBefore = deathsInThisFile().length;
  assertLabAlive();
});

afterEach(async (context) => {
  if (context.task.result?.state === "fail" && deathsInThisFile().length === 0) await checkNow();
  const deaths = deathsInThisFile().slice(deathsBefore);
  if (deaths.length > 0) throw new Error(deaths.map((d) => describeDeath(d, "during this test")).join("\n"));
}, 180_000);

afterAll(() => {
  stopWatchdog();
  assertLabAlive();
});
