// One program per host. Each returns the stack outputs that other host
// stacks read (for example the datasets a pulling host replicates).
import { off1 } from "./off1";
import { off2 } from "./off2";
import { ovh3 } from "./ovh3";

export type HostProgram = () => Record<string, unknown>;

export const hostPrograms: Record<string, HostProgram> = { off1, off2, ovh3 };
