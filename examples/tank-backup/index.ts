// A storage host of another team, managed with zfs-fleet-provider: a pool
// named tank, an `archivist` user that may take holds and send, a `research`
// group that may set user properties, hourly snapshots by sanoid, a local
// replica by syncoid, and the projects shared over NFS with two clients.
//
// The project's own settings are under its own name (tank-backup:host,
// tank-backup:projects); the provider's are under zfs-fleet: whatever the
// project is called (zfs-fleet:hosts, zfs-fleet:sshPrivateKey).
import * as pulumi from "@pulumi/pulumi";
import { Dataset, Delegation, NfsShare, SanoidPolicy, SanoidTemplate, SyncoidPull } from "zfs-fleet-provider";

const config = new pulumi.Config();
const host = config.get("host") ?? "store1";
/** Changing it renames the dataset; its children, grants, policy, pull and share follow. */
const projectsName = config.get("projects") ?? "tank/projects";

const projects = new Dataset("projects", {
  host,
  name: projectsName,
  properties: { compression: "zstd", "com.example:owner": "research" },
});
// The children's names follow the parent's, so renaming the parent renames them too (ZFS moves them
// with it; each child's update finds itself already in place). Each waits for its parent.
const alpha = new Dataset("projects-alpha", { host, name: `${projectsName}/alpha` }, { dependsOn: [projects] });
const beta = new Dataset("projects-beta", { host, name: `${projectsName}/beta` }, { dependsOn: [projects] });
const raw = new Dataset("projects-beta-raw", { host, name: `${projectsName}/beta/raw`, properties: { recordsize: "1M" } }, { dependsOn: [beta] });
const replicas = new Dataset("replicas", { host, name: "tank/replicas" });

new Delegation("archivist-projects", { host, dataset: projects.name, who: { user: "archivist" }, permissions: ["hold", "send"] });
new Delegation("research-projects", { host, dataset: projects.name, who: { group: "research" }, permissions: ["userprop"], scope: "local" });

const hourly = new SanoidTemplate("template_hourly", {
  host,
  name: "hourly",
  settings: { frequently: "0", hourly: "24", daily: "7", monthly: "0", yearly: "0", autosnap: "yes", autoprune: "yes" },
});
new SanoidPolicy("projects", { host, dataset: projects.name, templates: ["hourly"], recursive: "yes" }, { dependsOn: [hourly] });

// A local pull (no source host): the replica of the projects on the same host, in tank/replicas.
new SyncoidPull(
  "replica-projects",
  { host, source: { dataset: projects.name }, target: pulumi.interpolate`${replicas.name}/projects`, flags: ["--recursive"] },
  { dependsOn: [replicas] },
);

// After every dataset: settling the exports runs `zfs share -a` over the host, which must not meet a rename half done.
new NfsShare(
  "projects",
  { host, dataset: projects.name, clients: [{ address: "10.0.0.2", access: "rw" }, { address: "10.0.0.3", access: "ro" }], options: ["no_subtree_check"] },
  { dependsOn: [projects, alpha, beta, raw, replicas] },
);

export const datasets = { projects: projects.name, alpha: alpha.name, beta: beta.name, raw: raw.name, replicas: replicas.name };
export const guids = { projects: projects.guid, alpha: alpha.guid, beta: beta.guid, raw: raw.guid };
