// provider/transport for unit tests of what must run no remote command (check, diff): the real
// module, but `run` counts the call and throws. In a test file:
//   vi.mock("../../provider/transport", async () => (await import("../support/no-remote")).transportWithoutRemote("in check"));
//   import { remote } from "../support/no-remote";   // remote.calls
import { vi } from "vitest";

export const remote = { calls: 0 };

export async function transportWithoutRemote(where: string) {
  const real = await vi.importActual<typeof import("../../provider/transport")>("../../provider/transport");
  return {
    ...real,
    run: async () => {
      remote.calls++;
      throw new Error(`no remote command may run ${where}`);
    },
  };
}
