// One program per host: the fleet description (fleet.ts) filtered to the
// host, built into resources by program.ts. The stack outputs are what other
// host stacks read (for example the datasets a pulling host replicates).
import { HOSTS, type HostName } from "./fleet";
import { type HostOutputs, hostProgram } from "./program";

export type HostProgram = () => HostOutputs;

export const hostPrograms: Record<string, HostProgram> = Object.fromEntries(
  HOSTS.map((h: HostName) => [h, () => hostProgram(h)]),
);
