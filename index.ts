// The program: a stack manages one host, named by the stack's config
// (`zfs-fleet:host`), and the host's desired state is that host's part of the
// fleet description (stacks/fleet.ts) built by stacks/program.ts. The
// production stack (off2) and the lab stack (lab-off2) run the same host
// program; only their config differs.
import * as pulumi from "@pulumi/pulumi";
import { hostPrograms } from "./stacks";

const host = new pulumi.Config().require("host");
const program = hostPrograms[host];
if (!program) {
  throw new Error(
    `zfs-fleet:host is "${host}", which has no program: expected one of ${Object.keys(hostPrograms).join(", ")}`,
  );
}

export = program();
