// Hostile input, per kind, as an attacker and a careless operator would
// write it (issue 15): every case is refused at check, naming the field and
// the rule, with no remote command; and the real fleet's values (stacks/
// fleet.ts, and the operators' own files in lab/seed/legacy/) are accepted,
// with the cases an operator plausibly writes beside them. The classes:
//   1 hidden inputs   2 syncoid options that run code or weaken trust
//   4 sharing with everyone by another name   5 what replication needs
//   6 bounds and characters (prototype names, control characters)
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";

vi.mock("../../provider/transport", async () => (await import("../support/no-remote")).transportWithoutRemote("at check"));
import { remote } from "../support/no-remote";

import * as dataset from "../../provider/dataset/provider";
import * as delegation from "../../provider/delegation/provider";
import * as nfs from "../../provider/nfs/provider";
import { parseIni, settingsOf } from "../../provider/sanoid/conf";
import * as sanoid from "../../provider/sanoid/provider";
import { parseArgs } from "../../provider/syncoid/args";
import * as syncoid from "../../provider/syncoid/provider";
import {
  HOSTS,
  type HostName,
  type Layout,
  PUSHES,
  SHARES,
  datasetsOf,
  delegationsOf,
  nameIn,
  policiesOf,
  policyArgs,
  pullArgs,
  pullsOf,
  templatesOf,
} from "../../stacks/fleet";

type Inputs = Record<string, unknown>;
type Checker = { check: (olds: unknown, news: Inputs) => Promise<{ failures?: { property: string; reason: string }[] }> };
/** [what it is, the inputs, the field that must be named, the rule its reason must state] */
type Hostile = [string, Inputs, string, RegExp];

const LAYOUTS: Layout[] = ["legacy", "current"];
const seed = (host: HostName, file: string) => readFileSync(join(__dirname, "../../lab/seed/legacy", host, file), "utf8");
/** JSON as the engine hands inputs over: `__proto__` is an own key there. */
const json = (text: string): Inputs => JSON.parse(text) as Inputs;

// ---------------------------------------------------------------------------
// Dataset

const ds = { host: "off2", name: "zfs-hdd/off-backups/off2-pve" };
const prop = (properties: Record<string, unknown>) => ({ ...ds, properties });

const DATASET_HOSTILE: Hostile[] = [
  // 1: hidden inputs
  ["an undeclared input (a file path)", { ...ds, path: "/etc/passwd" }, "path", /is not an input of Dataset \(its inputs: host, name,/],
  ["an undeclared input (a mountpoint beside the properties)", { ...ds, mountpoint: "/etc" }, "mountpoint", /is not an input of Dataset/],
  ["an output given as an input", { ...ds, guid: "1234" }, "guid", /is not an input of Dataset/],
  ["a __proto__ property", { ...ds, properties: json('{"__proto__": "on"}') }, "properties.__proto__", /the key "__proto__" is refused as a key/],
  // 4: sharing by another name
  ["sharenfs, which NfsShare owns", prop({ sharenfs: "on" }), "properties.sharenfs", /managed by the NfsShare resource/],
  ["sharesmb=on", prop({ sharesmb: "on" }), "properties.sharesmb", /sharing over SMB is not managed here/],
  ["sharesmb with options", prop({ sharesmb: "name=off,guest_ok=y" }), "properties.sharesmb", /SMB is not managed/],
  // 6: bounds, as zfs bounds them
  ["a quota of 16E (2^64 bytes)", prop({ quota: "16E" }), "properties.quota", /a size below 16E/],
  ["a quota of 16E written in G", prop({ quota: "17179869184G" }), "properties.quota", /a size below 16E/],
  ["a quota past 64 bits in bytes", prop({ quota: "18446744073709551616" }), "properties.quota", /a size below 16E/],
  ["a reservation of 16384P", prop({ reservation: "16384P" }), "properties.reservation", /a size below 16E/],
  ["a refquota of 20 digits", prop({ refquota: "99999999999999999999" }), "properties.refquota", /a size below 16E/],
  ["special_small_blocks past 1M", prop({ special_small_blocks: "2M" }), "properties.special_small_blocks", /0 or a power of two from 512 to 1M/],
  ["special_small_blocks not a power of two", prop({ special_small_blocks: "1000" }), "properties.special_small_blocks", /power of two/],
  ["recordsize past 16M", prop({ recordsize: "32M" }), "properties.recordsize", /from 512 to 16M/],
  ["recordsize under 512", prop({ recordsize: "256" }), "properties.recordsize", /from 512 to 16M/],
  ["copies=4", prop({ copies: "4" }), "properties.copies", /1, 2 or 3/],
  ["a wait past a day", { ...ds, waitForReplicationSeconds: 86_401 }, "waitForReplicationSeconds", /86400/],
  ["a negative wait", { ...ds, waitForReplicationSeconds: -1 }, "waitForReplicationSeconds", /0/],
  ["a fractional wait", { ...ds, waitForReplicationSeconds: 1.5 }, "waitForReplicationSeconds", /int/i],
  ["the retired syncoid wait", { ...ds, waitForSyncoidSeconds: 600 }, "waitForSyncoidSeconds", /use waitForReplicationSeconds/],
  ["an acknowledgement without a kind", { ...ds, acknowledgeHazards: ["101"] }, "acknowledgeHazards[0]", /must be <kind>:<holder>/],
  ["an acknowledgement of replication", { ...ds, acknowledgeHazards: ["replication:ovh3operator"] }, "acknowledgeHazards[0]", /a move waits for it/],
  ["an acknowledgement of an NFS client", { ...ds, acknowledgeHazards: ["nfsClient:10.0.0.3"] }, "acknowledgeHazards[0]", /never a refusal/],
  ["an acknowledgement of an unknown kind", { ...ds, acknowledgeHazards: ["bindmount:101"] }, "acknowledgeHazards[0]", /not a hazard kind/],
  ["an acknowledgement listed twice", { ...ds, acknowledgeHazards: ["bindMount:101", "bindMount:101"] }, "acknowledgeHazards", /more than once/],
  ["an acknowledgement that is not a list", { ...ds, acknowledgeHazards: "bindMount:101" }, "acknowledgeHazards", /array/i],
  // 6: characters
  ["a NUL in the name, shown escaped", { ...ds, name: "zfs-hdd/a\u0000b" }, "name", /contains '\\u0000'/],
  ["a right-to-left override in the name, shown escaped", { ...ds, name: "zfs-hdd/off\u202ekcab" }, "name", /contains '\\u202e'/],
  ["a BEL in a user property", prop({ "syncoid:sync": "false\u0007" }), "properties.syncoid:sync", /control characters/],
  ["a terminal escape in a user property", prop({ "org.off:note": "\u001b[31mred" }), "properties.org.off:note", /control characters/],
  ["a newline in a property's name", prop({ "syncoid:sync\n": "false" }), "properties.syncoid:sync\\n", /syncoid:sync\\n is not a valid user property name/],
  ["constructor as a property", prop({ constructor: "x" }), "properties.constructor", /is not a ZFS property this resource manages/],
  ["toString as a property", prop({ toString: "x" }), "properties.toString", /is not a ZFS property this resource manages/],
  ["hasOwnProperty as a property", prop({ hasOwnProperty: "on" }), "properties.hasOwnProperty", /is not a ZFS property/],
  ["valueOf as a property", prop({ valueOf: "1" }), "properties.valueOf", /is not a ZFS property/],
  // names and values the shell or zfs would read otherwise
  ["a command substitution in the name", { ...ds, name: "zfs-hdd/$(reboot)" }, "name", /contains '\$'/],
  ["a ; in the name", { ...ds, name: "zfs-hdd/a;id" }, "name", /contains ';'/],
  ["a name that starts like an option", { ...ds, name: "-r/x" }, "name", /must start with a letter/],
  ["a .. component", { ...ds, name: "zfs-hdd/../etc" }, "name", /'\.\.' component/],
  ["a pool's root", { ...ds, name: "rpool" }, "name", /pool's root dataset/],
  ["a name of 256 characters", { ...ds, name: `zfs-hdd/${"a".repeat(250)}` }, "name", /at most 255/],
  ["a mountpoint with a command", prop({ mountpoint: "/mnt/$(id)" }), "properties.mountpoint", /an absolute path/],
  ["a compression with a command", prop({ compression: "lz4;reboot" }), "properties.compression", /expected on, off, lz4/],
  ["a read-only property", prop({ guid: "1" }), "properties.guid", /read-only/],
  ["encryption, chosen only at create", prop({ encryption: "on" }), "properties.encryption", /only be chosen when the dataset is created/],
  ["an uppercase user property", prop({ "Syncoid:Sync": "x" }), "properties.Syncoid:Sync", /user property/],
  ["a user property name past 256 characters", prop({ [`a:${"b".repeat(300)}`]: "x" }), `properties.a:${"b".repeat(300)}`, /longer than 256/],
  ["a user property value past 8191 characters", prop({ "a:b": "x".repeat(8192) }), "properties.a:b", /longer than 8191/],
  ["a property value that is no string", prop({ "a:b": 5 }), "properties.a:b", /expected string/],
  ["an unknown onDelete", { ...ds, onDelete: "nuke" }, "onDelete", /retain|renameAside|destroy/],
  ["destroyRecursive without destroy", { ...ds, destroyRecursive: true }, "destroyRecursive", /only applies with onDelete: "destroy"/],
  ["adopt given as text", { ...ds, adopt: "yes" }, "adopt", /expected boolean/],
  ["a host with a command", { ...ds, host: "off2;reboot" }, "host", /is not a host name/],
];

const DATASET_VALID: [string, Inputs][] = [
  ["compression and a user property", prop({ compression: "zstd-3", "syncoid:sync": "false" })],
  ["the largest quota zfs takes", prop({ quota: "15E" })],
  ["a quota in bytes, 2^64 - 1", prop({ quota: "18446744073709551615" })],
  ["sizes and none", prop({ refquota: "1.5T", reservation: "none", refreservation: "none" })],
  ["special_small_blocks at its bound, recordsize at its", prop({ special_small_blocks: "1M", recordsize: "16M" })],
  ["sharesmb off (stop inheriting a share)", prop({ sharesmb: "off" })],
  ["a mountpoint", prop({ mountpoint: "/mnt/off/products", canmount: "noauto" })],
  ["a destroy policy", { ...ds, onDelete: "destroy", destroyRecursive: true, waitForReplicationSeconds: 0 }],
  ["acknowledged holders", { ...ds, acknowledgeHazards: ["bindMount:101", "bindMount:/mnt/off/products", "configuredContainer:102", "bindMount:zfslab-holder-x.service"] }],
  ...HOSTS.flatMap((host) =>
    LAYOUTS.flatMap((layout) =>
      datasetsOf(host, layout).map((d): [string, Inputs] => [`fleet ${layout} ${host}:${d.name}`, { host, name: d.name, properties: d.properties ?? {}, adopt: true }]),
    ),
  ),
];

// ---------------------------------------------------------------------------
// Delegation

const grant = { host: "ovh3", dataset: "rpool/recv", who: { user: "zfsrecv" }, permissions: ["create", "mount", "receive"] };
const perms = (...permissions: unknown[]) => ({ ...grant, permissions });

const DELEGATION_HOSTILE: Hostile[] = [
  // 1
  ["an undeclared input", { ...grant, recursive: true }, "recursive", /is not an input of Delegation/],
  ["an undeclared input (a file)", { ...grant, path: "/etc/sudoers" }, "path", /is not an input of Delegation/],
  ["an undeclared key in who", { ...grant, who: { user: "zfsrecv", uid: 0 } }, "who", /Unrecognized key/],
  ["an output given as an input", { ...grant, live: { local: ["allow"], descendent: [] } }, "live", /is not an input of Delegation/],
  // 4: sharing past NfsShare
  ["sharenfs", perms("hold", "sharenfs"), "permissions[1]", /"sharenfs" is refused: it lets the grantee share datasets over NFS to any client, past NfsShare's checks/],
  ["sharesmb", perms("sharesmb"), "permissions[0]", /"sharesmb" is refused: .*SMB/],
  ["share", perms("share"), "permissions[0]", /"share" is refused/],
  ["mountpoint", perms("mountpoint"), "permissions[0]", /"mountpoint" is refused: it lets the grantee choose where root mounts/],
  ["unmount, no permission at all", perms("unmount"), "permissions[0]", /"unmount" is refused: it is not a zfs allow permission: mount covers/],
  // 6: prototype names and characters
  ["constructor", perms("constructor"), "permissions[0]", /"constructor" is not an OpenZFS permission name/],
  ["toString", perms("toString"), "permissions[0]", /"toString" is not an OpenZFS permission name/],
  ["__proto__", perms("__proto__"), "permissions[0]", /"__proto__" is not an OpenZFS permission name/],
  ["hasOwnProperty", perms("hasOwnProperty"), "permissions[0]", /not an OpenZFS permission name/],
  ["a NUL after a permission, shown escaped", perms("hold\u0000"), "permissions[0]", /"hold\\u0000" is not an OpenZFS permission name/],
  ["a newline after a permission", perms("send\n"), "permissions[0]", /"send\\n" is not an OpenZFS permission name/],
  ["a control character in a set name", perms("@pull\u0001"), "permissions[0]", /"@pull\\u0001" is not a permission set name/],
  ["a bidi override in a set name", perms("@pull\u202e"), "permissions[0]", /"@pull\\u202e" is not a permission set name/],
  ["a NUL in the user", { ...grant, who: { user: "root\u0000" } }, "who", /user name "root\\u0000" is not a Unix user name/],
  ["a NUL in the dataset", { ...grant, dataset: "rpool\u0000" }, "dataset", /contains '\\u0000'/],
  // names and lists
  ["a list in one entry", perms("hold,send"), "permissions[0]", /one permission per list entry/],
  ["an injected command", perms("send; zfs destroy -r rpool"), "permissions[0]", /not an OpenZFS permission name/],
  ["a command substitution", perms("$(id)"), "permissions[0]", /not an OpenZFS permission name/],
  ["an option", perms("-l"), "permissions[0]", /not an OpenZFS permission name/],
  ["an empty permission", perms(""), "permissions[0]", /non-empty permission name/],
  ["a bare @", perms("@"), "permissions[0]", /not a permission set name/],
  ["a set name with a space", perms("@a b"), "permissions[0]", /not a permission set name/],
  ["a set name past 64 characters", perms(`@${"a".repeat(64)}`), "permissions[0]", /at most 64 characters/],
  ["an uppercase permission", perms("Send"), "permissions[0]", /not an OpenZFS permission name/],
  ["a misspelt permission", perms("sendd"), "permissions[0]", /not an OpenZFS permission name/],
  ["a permission twice", perms("hold", "hold"), "permissions", /lists hold more than once/],
  ["no permission", perms(), "permissions", /give at least one/],
  ["permissions as text", { ...grant, permissions: "hold,send" }, "permissions", /expected array/],
  ["a permission that is no string", perms(1), "permissions.0", /expected string/],
  ["a user that reads as an option", { ...grant, who: { user: "-e" } }, "who", /user name "-e" is not a Unix user name/],
  ["a user with a command", { ...grant, who: { user: "root;id" } }, "who", /not a Unix user name/],
  ["a user with a space", { ...grant, who: { user: "zfs recv" } }, "who", /not a Unix user name/],
  ["a user past 32 characters", { ...grant, who: { user: "u".repeat(33) } }, "who", /at most 32 characters/],
  ["an uppercase group", { ...grant, who: { group: "Wheel" } }, "who", /not a Unix group name/],
  ["no grantee", { ...grant, who: {} }, "who", /give exactly one of user, group or everyone/],
  ["two grantees", { ...grant, who: { user: "zfsrecv", everyone: true } }, "who", /give exactly one/],
  ["a dataset with a command", { ...grant, dataset: "rpool/$(id)" }, "dataset", /contains '\$'/],
  ["a .. component", { ...grant, dataset: "rpool/../x" }, "dataset", /'\.\.' component/],
  ["a snapshot", { ...grant, dataset: "rpool/recv@snap" }, "dataset", /names a snapshot or bookmark/],
  ["an unknown scope", { ...grant, scope: "everywhere" }, "scope", /local|descendent|both/],
  ["an uppercase host", { ...grant, host: "OVH3" }, "host", /is not a host name/],
];

const DELEGATION_VALID: [string, Inputs][] = [
  ["a non-root receive: create, mount, receive (mount is accepted, with a warning)", grant],
  ["the same with -u's companions, descendent only", { ...grant, permissions: ["create", "mount", "receive", "userprop"], scope: "descendent" }],
  ["rename and canmount (accepted, with a warning)", perms("rename", "create", "mount", "canmount")],
  ["a snapshot user", perms("snapshot", "mount", "hold", "release")],
  ["a permission set", perms("@pull")],
  ["everyone may hold", { ...grant, who: { everyone: true }, permissions: ["hold"] }],
  ["a group, local only", { ...grant, who: { group: "backup" }, permissions: ["send"], scope: "local" }],
  ["properties that may be delegated", perms("compression", "recordsize", "atime", "userprop")],
  ...HOSTS.flatMap((host) =>
    delegationsOf(host).map((d): [string, Inputs] => [`fleet ${host}: ${d.key}`, { host, dataset: d.pool, who: { user: d.user }, permissions: ["hold", "send"] }]),
  ),
];

// ---------------------------------------------------------------------------
// NfsShare

const share = { host: "ovh3", dataset: "rpool/backups", clients: [{ address: "10.0.0.0/28", access: "rw" }], options: ["no_root_squash"] };
const client = (address: unknown, access: unknown = "rw") => ({ ...share, clients: [{ address, access }] });
const opt = (...options: unknown[]) => ({ ...share, options });

const NFS_HOSTILE: Hostile[] = [
  // 1
  ["an undeclared input (the raw value)", { ...share, sharenfs: "rw=@0.0.0.0/0" }, "sharenfs", /is not an input of NfsShare/],
  ["an undeclared key in a client", { ...share, clients: [{ address: "10.0.0.2", access: "rw", options: "no_root_squash" }] }, "clients.0", /Unrecognized key/],
  ["an undeclared input (a file)", { ...share, path: "/etc/exports" }, "path", /is not an input of NfsShare/],
  // 4: everyone by another name
  ["no clients without allowEveryone", { ...share, clients: [] }, "clients", /no clients: the share would be exported to every host \(sharenfs=on\)/],
  ["0.0.0.0/0", client("0.0.0.0/0"), "clients[0].address", /"0.0.0.0\/0" covers 4294967296 addresses: every host or nearly .* allowEveryone: true/],
  ["0.0.0.0/1, half of everyone", client("0.0.0.0/1"), "clients[0].address", /covers 2147483648 addresses/],
  ["128.0.0.0/1, the other half", client("128.0.0.0/1", "ro"), "clients[0].address", /covers 2147483648 addresses/],
  ["10.0.0.0/8", client("10.0.0.0/8"), "clients[0].address", /covers 16777216 addresses/],
  ["a /15, just wider than the bound", client("10.0.0.0/15"), "clients[0].address", /wider than \/16/],
  ["192.0.0.0/2", client("192.0.0.0/2"), "clients[0].address", /covers \d+ addresses/],
  ["::/0", client("::/0"), "clients[0].address", /IPv6 cannot be written in sharenfs/],
  ["*", client("*"), "clients[0].address", /means every host; leave clients empty and set allowEveryone/],
  ["on as an address", client("on"), "clients[0].address", /means every host/],
  ["a wildcard host name", client("*.openfoodfacts.org"), "clients[0].address", /not an IPv4 address, a CIDR network or a host name/],
  ["a netgroup", client("@trusted"), "clients[0].address", /not an IPv4 address/],
  // 6
  ["anonuid past 32 bits", opt("anonuid=4294967296"), "options[0]", /anonuid is at most 4294967295/],
  ["anongid of 11 digits", opt("anongid=99999999999"), "options[0]", /anongid needs a value like a number/],
  ["fsid past 32 bits", opt("fsid=4294967296"), "options[0]", /fsid is at most 4294967295/],
  ["a NUL in an address, shown escaped", client("10.0.0.2\u0000"), "clients[0].address", /"10.0.0.2\\u0000" is not an IPv4 address/],
  ["a BEL in an option", opt("crossmnt\u0007"), "options[0]", /"crossmnt\\u0007" is not an export option/],
  ["constructor as an option", opt("constructor"), "options[0]", /"constructor" is not an export option this resource knows/],
  ["toString=1 as an option", opt("toString=1"), "options[0]", /"toString" is not an export option/],
  ["__proto__ as an option", opt("__proto__"), "options[0]", /"__proto__" is not an export option/],
  // injections and mistakes
  ["another host injected in an option", opt("no_root_squash,rw=@0.0.0.0/0"), "options[0]", /would inject another option or host/],
  ["rw=*", opt("rw=*"), "options[0]", /inject/],
  ["rw as an option", opt("rw"), "options[0]", /give access per client/],
  ["ro= as an option", opt("ro=10.0.0.1"), "options[0]", /give access per client/],
  ["a value for a flag option", opt("crossmnt=1"), "options[0]", /takes no value/],
  ["sec=none", opt("sec=none"), "options[0]", /needs a value like sys or krb5p/],
  ["a parenthesis", opt("insecure)"), "options[0]", /inject/],
  ["spaces in an option", opt("no root squash"), "options[0]", /inject/],
  ["an unknown option", opt("nosuchoption"), "options[0]", /not an export option/],
  ["an empty option", opt(""), "options[0]", /non-empty export option/],
  ["an address out of range", client("10.0.0.300"), "clients[0].address", /is not a valid IPv4 address/],
  ["a network with host bits", client("10.0.0.5/28"), "clients[0].address", /has host bits set; did you mean 10.0.0.0\/28/],
  ["a prefix past 32", client("10.0.0.0/33"), "clients[0].address", /at most 32/],
  ["a host list in one address", client("10.0.0.2:10.0.0.3"), "clients[0].address", /IPv6 cannot be written/],
  ["an address with options", client("10.0.0.1(rw,no_root_squash)"), "clients[0].address", /not an IPv4 address/],
  ["a host name with a space", client("host name"), "clients[0].address", /not an IPv4 address/],
  ["a command substitution", client("$(reboot)"), "clients[0].address", /not an IPv4 address/],
  ["an option as a host", client("-h"), "clients[0].address", /not an IPv4 address/],
  ["an unknown access", client("10.0.0.2", "admin"), "clients.0.access", /rw|ro/],
  ["a client twice", { ...share, clients: [{ address: "10.0.0.2", access: "rw" }, { address: "10.0.0.2", access: "ro" }] }, "clients", /lists 10.0.0.2 more than once/],
  ["a dataset with a command", { ...share, dataset: "rpool/$(id)" }, "dataset", /contains '\$'/],
  ["a dataset with a space", { ...share, dataset: "rpool/a b" }, "dataset", /must not contain white space/],
  ["allowEveryone as text", { ...share, allowEveryone: "yes" }, "allowEveryone", /expected boolean/],
];

const NFS_VALID: [string, Inputs][] = [
  ["one /28", share],
  ["a /16, the widest without allowEveryone", client("10.1.0.0/16")],
  ["hosts by address and name", { ...share, clients: [{ address: "10.0.0.1", access: "rw" }, { address: "staging.openfoodfacts.org", access: "ro" }] }],
  ["everyone, explicitly", { host: "ovh3", dataset: "rpool/pub", allowEveryone: true }],
  ["0.0.0.0/0, explicitly", { ...client("0.0.0.0/0", "ro"), allowEveryone: true }],
  ["Kerberos and squashing", opt("sec=krb5p", "root_squash", "all_squash", "anonuid=4294967295", "anongid=65534")],
  ["an fsid", opt("fsid=root", "crossmnt", "no_subtree_check", "sync")],
  ["a UUID fsid", opt("fsid=6f1f0e8a-93c4-4f0e-9d57-0d3a2f1e5c11")],
  ...HOSTS.flatMap((host) =>
    LAYOUTS.flatMap((layout) =>
      SHARES[host].map((s): [string, Inputs] => [
        `fleet ${layout} ${host}:${s.dataset}`,
        { host, dataset: nameIn(host, s.dataset, layout), clients: s.clients, options: s.options },
      ]),
    ),
  ),
];

// ---------------------------------------------------------------------------
// SanoidPolicy (and SanoidTemplate, the same kind)

const policy = { host: "off1", dataset: "zfs-hdd/off-backups", templates: ["synced_sys"], recursive: "yes", processChildrenOnly: true };
const tmpl = { host: "off1", template: "synced_sys", settings: { hourly: "10", daily: "10", autosnap: "no" } };
const setting = (settings: Record<string, unknown>) => ({ ...policy, settings });

const SANOID_HOSTILE: Hostile[] = [
  // 1: the file is the host's, not an input
  ["a file path", { ...policy, path: "/etc/cron.d/zfs-fleet" }, "path", /is no longer an input of SanoidPolicy: the file is the host's, zfs-fleet:hosts.<host>.sanoidConf/],
  ["a file path with ..", { ...policy, path: "/etc/sanoid/../../root/.ssh/authorized_keys" }, "path", /is no longer an input of SanoidPolicy/],
  ["an undeclared input", { ...policy, file: "/etc/sanoid/other.conf" }, "file", /is not an input of SanoidPolicy/],
  ["the template class's name leaking in", { ...tmpl, name: "x" }, "name", /is not an input of SanoidPolicy/],
  // 6: names and prototype names
  ["a template named template_x", { ...tmpl, template: "template_x" }, "template", /give the template's name without template_ \(this would be the section \[template_template_x\]\)/],
  ["a use_template entry with template_", { ...policy, templates: ["template_synced_sys"] }, "templates[0]", /without template_/],
  ["constructor as a setting", setting({ constructor: "1" }), "settings.constructor", /"constructor" is not a sanoid setting/],
  ["toString as a setting", setting({ toString: "1" }), "settings.toString", /"toString" is not a sanoid setting/],
  ["hasOwnProperty as a setting", setting({ hasOwnProperty: "yes" }), "settings.hasOwnProperty", /is not a sanoid setting/],
  ["a __proto__ setting", { ...policy, settings: json('{"__proto__": "1"}') }, "settings.__proto__", /refused as a key/],
  ["a NUL in a value", setting({ hourly: "36\u0000" }), "settings.hourly", /control character \(\\u0000\)/],
  ["a NUL in a setting's name, shown escaped", setting({ "hourly\u0000": "1" }), "settings.hourly\\u0000", /"hourly\\u0000" is not a sanoid setting/],
  ["a new section through a setting's name", setting({ "hourly = 1\n[zfs-hdd/evil]\nhourly": "1" }), "settings.hourly = 1\\n[zfs-hdd/evil]\\nhourly", /"hourly = 1\\n\[zfs-hdd\/evil\]\\nhourly" is not a sanoid setting/],
  // 6: bounds, as sanoid reads them
  ["hourly_min 60", setting({ hourly_min: "60" }), "settings.hourly_min", /from 0 to 59/],
  ["daily_hour 24", setting({ daily_hour: "24" }), "settings.daily_hour", /from 0 to 23/],
  ["monthly_mday 0", setting({ monthly_mday: "0" }), "settings.monthly_mday", /from 1 to 31/],
  ["yearly_mon 13", setting({ yearly_mon: "13" }), "settings.yearly_mon", /from 1 to 12/],
  ["weekly_wday 8", setting({ weekly_wday: "8" }), "settings.weekly_wday", /from 0 to 7/],
  ["capacity_warn 101", setting({ capacity_warn: "101" }), "settings.capacity_warn", /from 0 to 100/],
  ["a count of 7 digits", setting({ hourly: "9999999" }), "settings.hourly", /hourly cannot be "9999999"/],
  // the file's syntax
  ["an unknown setting", setting({ frobnicate: "1" }), "settings.frobnicate", /is not a sanoid setting/],
  ["a value that starts a new section", setting({ hourly: "36\n[zfs-hdd/evil]" }), "settings.hourly", /a value must be on one line/],
  ["a comment in a value", setting({ hourly: "36 # lots" }), "settings.hourly", /contains # or ;/],
  ["a ; in a value", setting({ hourly: "1;2" }), "settings.hourly", /contains # or ;/],
  ["a script that is a command", setting({ pre_snapshot_script: "rm -rf /" }), "settings.pre_snapshot_script", /cannot be/],
  ["a script with a command after it", setting({ post_snapshot_script: "/usr/local/bin/x$(id)" }), "settings.post_snapshot_script", /cannot be/],
  ["a script where a user can write", setting({ pre_snapshot_script: "/tmp/freeze.sh" }), "settings.pre_snapshot_script", /is not in \/usr\/local\/sbin\/.*sanoid runs it as root at every snapshot/],
  ["a script in a home directory", setting({ pruning_script: "/home/ovh3operator/prune" }), "settings.pruning_script", /directories only root writes/],
  ["a script path with ..", setting({ post_snapshot_script: "/usr/local/bin/../../../tmp/x" }), "settings.post_snapshot_script", /'\.\.' component/],
  ["a boolean that is not one", setting({ autosnap: "maybe" }), "settings.autosnap", /cannot be "maybe"/],
  ["use_template in settings", setting({ use_template: "x" }), "settings.use_template", /set use_template with the templates input/],
  ["recursive in settings", setting({ recursive: "zfs" }), "settings.recursive", /set recursive with the recursive input/],
  ["an unknown recursive", { ...policy, recursive: "always" }, "recursive", /yes|zfs|no/],
  ["a section header in the dataset", { ...policy, dataset: "zfs-hdd/off]\n[x" }, "dataset", /breaks sanoid.conf/],
  ["a dataset that reads as a template", { ...policy, dataset: "template_local_sys" }, "dataset", /starts with template_/],
  ["a dataset with a command", { ...policy, dataset: "zfs-hdd/$(id)" }, "dataset", /contains '\$'/],
  ["a dataset with =", { ...policy, dataset: "zfs-hdd/a=b" }, "dataset", /breaks sanoid.conf/],
  ["a bidi override in the dataset", { ...policy, dataset: "zfs-hdd/off\u202e" }, "dataset", /contains '\\u202e'/],
  ["both a dataset and a template", { ...policy, template: "x" }, "dataset", /give either dataset .* or template/],
  ["neither a dataset nor a template", { host: "off1", settings: {} }, "dataset", /give either dataset/],
  ["recursive in a template", { ...tmpl, settings: { recursive: "yes" } }, "settings.recursive", /set recursive with the recursive input/],
  ["templates for a template", { ...tmpl, templates: ["x"] }, "templates", /sanoid ignores templates inside a template/],
  ["a list in one template name", { ...policy, templates: ["a,b"] }, "templates[0]", /is not a template name/],
  ["a template name with a space", { ...policy, templates: ["synced sys"] }, "templates[0]", /is not a template name/],
  ["an empty template name", { ...tmpl, template: "" }, "template", /is not a template name/],
  ["a template name past 64 characters", { ...tmpl, template: "t".repeat(65) }, "template", /is not a template name/],
  ["processChildrenOnly as text", { ...policy, processChildrenOnly: "yes" }, "processChildrenOnly", /expected boolean/],
  ["a value that is no string", setting({ hourly: 36 }), "settings.hourly", /expected string/],
  ["an uppercase host", { ...policy, host: "Off1" }, "host", /is not a host name/],
];

/** The operators' sanoid.conf as inputs: each section a policy or a template (a duplicated one as sanoid reads it). */
function seedPolicies(host: HostName): [string, Inputs][] {
  const doc = parseIni(seed(host, "sanoid.conf"));
  return [...new Set(doc.sections.map((s) => s.name))].map((name) => {
    const { use_template, recursive, process_children_only, ...settings } = settingsOf(doc, name)!;
    const inputs: Inputs = name.startsWith("template_")
      ? { host, template: name.slice("template_".length), settings }
      : {
          host,
          dataset: name,
          settings,
          ...(use_template ? { templates: use_template.split(",") } : {}),
          ...(recursive ? { recursive } : {}),
          ...(process_children_only ? { processChildrenOnly: process_children_only === "yes" } : {}),
        };
    return [`seed ${host} sanoid.conf [${name}]`, inputs];
  });
}

const SANOID_VALID: [string, Inputs][] = [
  ["a policy", policy],
  ["a policy on a pool", { host: "off1", dataset: "rpool", templates: ["local_sys"], recursive: "yes" }],
  ["a template", tmpl],
  ["times and days at their bounds", setting({ hourly_min: "59", daily_hour: "23", monthly_mday: "31", yearly_mon: "12", weekly_wday: "0", capacity_warn: "100" })],
  ["a script", setting({ pre_snapshot_script: "/usr/local/bin/freeze-db", script_timeout: "60" })],
  ["monitoring thresholds", setting({ hourly_warn: "90m", hourly_crit: "6h", daily_warn: "2d", daily_crit: "4d" })],
  ["recursive zfs", { ...policy, recursive: "zfs", processChildrenOnly: false }],
  ["a template named like the fleet's", { host: "ovh3", template: "local_data", settings: { frequent_period: "30", frequently: "0", hourly: "36" } }],
  ...HOSTS.flatMap((host) => [
    ...Object.entries(templatesOf(host)).map(([name, settings]): [string, Inputs] => [`fleet ${host}: template ${name}`, { host, template: name, settings }]),
    ...LAYOUTS.flatMap((layout) =>
      policiesOf(host, layout).map((p): [string, Inputs] => [`fleet ${layout} ${host}: [${p.dataset}]`, { host, ...policyArgs(host, p, layout) }]),
    ),
    ...seedPolicies(host),
  ]),
];

// ---------------------------------------------------------------------------
// SyncoidPull

const pull = {
  host: "ovh3",
  source: { user: "ovh3operator", host: "off2.openfoodfacts.org", dataset: "zfs-hdd/off" },
  target: "rpool/off",
  flags: ["--no-sync-snap", "--no-privilege-elevation", "--recursive"],
};
const flag = (...flags: unknown[]) => ({ ...pull, flags: [...pull.flags, ...flags] });
const F = "flags[3]";

const SYNCOID_HOSTILE: Hostile[] = [
  // 1: the file is the host's, not an input
  ["a file path", { ...pull, path: "/etc/cron.d/zfs-fleet" }, "path", /is no longer an input of SyncoidPull: the file is the host's, zfs-fleet:hosts.<host>.syncoidArgs/],
  ["a file path with ..", { ...pull, path: "/etc/sanoid/../../etc/profile.d/x.sh" }, "path", /is no longer an input of SyncoidPull/],
  ["an undeclared input", { ...pull, command: "syncoid" }, "command", /is not an input of SyncoidPull/],
  ["an undeclared key in the source", { ...pull, source: { ...pull.source, port: 2222 } }, "source", /Unrecognized key/],
  // 2: ssh options that run or load code, or weaken host-key checking
  ["ProxyCommand", flag("--sshoption=ProxyCommand=/tmp/x"), F, /sets "ProxyCommand", which a pull may not set \(it runs a command\); allowed, .*ConnectTimeout/],
  ["proxycommand in lowercase", flag("--sshoption=proxycommand=/tmp/x"), F, /sets "proxycommand", which a pull may not set \(it runs a command\)/],
  ["LocalCommand", flag("--sshoption=LocalCommand=/tmp/x"), F, /\(it runs a command\)/],
  ["PermitLocalCommand", flag("--sshoption=PermitLocalCommand=yes"), F, /\(it enables LocalCommand, which runs a command\)/],
  ["KnownHostsCommand", flag("--sshoption=KnownHostsCommand=/tmp/x"), F, /\(it runs a command\)/],
  ["PKCS11Provider", flag("--sshoption=PKCS11Provider=/tmp/x.so"), F, /\(it loads a shared library\)/],
  ["SecurityKeyProvider", flag("--sshoption=SecurityKeyProvider=/tmp/x.so"), F, /\(it loads a shared library\)/],
  ["ProxyJump", flag("--sshoption=ProxyJump=evil.example"), F, /\(it connects through another host/],
  ["Match", flag("--sshoption=Match=exec"), F, /Match exec/],
  ["StrictHostKeyChecking=no", flag("--sshoption=StrictHostKeyChecking=no"), F, /StrictHostKeyChecking "no" is not yes/],
  ["StrictHostKeyChecking=accept-new", flag("--sshoption=StrictHostKeyChecking=accept-new"), F, /is not yes/],
  ["UserKnownHostsFile=/dev/null", flag("--sshoption=UserKnownHostsFile=/dev/null"), F, /\(it replaces the known_hosts that host keys are checked against\)/],
  ["GlobalKnownHostsFile=/dev/null", flag("--sshoption=GlobalKnownHostsFile=/dev/null"), F, /replaces the known_hosts/],
  ["VerifyHostKeyDNS", flag("--sshoption=VerifyHostKeyDNS=yes"), F, /trusts host keys from DNS/],
  ["HostKeyAlgorithms", flag("--sshoption=HostKeyAlgorithms=+ssh-dss"), F, /weaker host-key algorithms/],
  ["IdentityFile", flag("--sshoption=IdentityFile=/tmp/k"), F, /use --sshkey/],
  ["an ssh option without a value", flag("--sshoption=ConnectTimeout"), F, /is not Name=value/],
  ["a Port of 0", flag("--sshoption=Port=0"), F, /Port "0" is not a whole number from 1 to 65535/],
  ["a Port past 65535", flag("--sshoption=Port=65536"), F, /from 1 to 65535/],
  ["a ConnectTimeout that is no number", flag("--sshoption=ConnectTimeout=soon"), F, /not a whole number/],
  ["a cipher added to the defaults", flag("--sshoption=Ciphers=+3des-cbc"), F, /names "\+3des-cbc", not one of/],
  ["a CBC cipher", flag("--sshcipher=aes128-cbc"), F, /names "aes128-cbc", not one of/],
  ["--sshport 0", flag("--sshport=0"), F, /not a whole number from 1 to 65535/],
  ["--sshport past 65535", flag("--sshport=70000"), F, /from 1 to 65535/],
  ["--sshport with a command", flag("--sshport=22;reboot"), F, /not a valid value for --sshport/],
  ["--sshkey with ..", flag("--sshkey=/root/.ssh/../../etc/shadow"), F, /'\.\.' component/],
  ["--sshkey outside the key directories", flag("--sshkey=/tmp/key"), F, /is not in \/root\/.ssh\/, \/home\/<user>\/.ssh\/ or \/etc\/sanoid\//],
  ["--sshkey relative to home", flag("--sshkey=~/.ssh/key"), F, /absolute path/],
  // 2: send and receive options
  ["--sendoptions=R (replicate past syncoid)", flag("--sendoptions=R"), F, /has "R", which --sendoptions may not carry/],
  ["--sendoptions=n (a dry run that reports success)", flag("--sendoptions=Ln"), F, /has "n"/],
  ["--recvoptions=e (receive elsewhere)", flag("--recvoptions=ue"), F, /has "e", which --recvoptions may not carry/],
  ["--recvoptions=d (receive elsewhere)", flag("--recvoptions=d"), F, /has "d"/],
  ["--recvoptions=o (a value needs a space)", flag("--recvoptions=o"), F, /options with values need a space/],
  ["--sendoptions with a letter twice", flag("--sendoptions=LL"), F, /repeats a letter/],
  ["--exclude with a backslash", flag("--exclude=zfs-hdd\\/off"), F, /contains a backslash, which the service's read -a \(without -r\) takes as an escape/],
  ["--exclude with Perl code", flag("--exclude=(?{system})"), F, /has "\{"|Perl's extended syntax/],
  ["--exclude with a control character", flag("--exclude=cache\u0001"), F, /control character \(\\u0001\)/],
  ["--exclude with a ;", flag("--exclude=a;b"), F, /has ";": a pattern may use/],
  ["--exclude that is no regex", flag("--exclude=(cache"), F, /not a valid regular expression/],
  // 6: prototype names and characters
  ["constructor as a flag", { ...pull, flags: ["constructor"] }, "flags[0]", /"constructor" is not a syncoid option this resource knows/],
  ["__proto__ as a flag", { ...pull, flags: ["__proto__"] }, "flags[0]", /"__proto__" is not a syncoid option/],
  ["a NUL in an identifier, shown escaped", flag("--identifier=a\u0000b"), F, /"--identifier=a\\u0000b" contains a control character/],
  ["a NUL in the target", { ...pull, target: "rpool/off\u0000" }, "target", /contains '\\u0000'/],
  ["a NUL in the source user", { ...pull, source: { ...pull.source, user: "ovh3operator\u0000" } }, "source", /source user "ovh3operator\\u0000" is not a Unix user name/],
  ["a wait past a day", { ...pull, waitForRunningSeconds: 86_401 }, "waitForRunningSeconds", /86400/],
  // the line's syntax
  ["white space in a flag", flag("--sendoptions=Lc e"), F, /contains white space; the service splits lines on it/],
  ["an unknown flag", flag("--frobnicate"), F, /not a syncoid option/],
  ["a # in an identifier", flag("--identifier=a#b"), F, /'#'/],
  ["an identifier past 64 characters", flag(`--identifier=${"i".repeat(65)}`), F, /letters, digits, - _ : \. only/],
  ["a bwlimit with a command", flag("--source-bwlimit=1m;reboot"), F, /not a valid value for --source-bwlimit/],
  ["a value for a flag that takes none", flag("--recursive=yes"), F, /takes no value/],
  ["a target with a space", { ...pull, target: "rpool/my off" }, "target", /target dataset "rpool\/my off" contains white space/],
  ["a source dataset with #", { ...pull, source: { ...pull.source, dataset: "zfs-hdd/off#x" } }, "source", /white space or '#'/],
  ["a source user that reads as an option", { ...pull, source: { ...pull.source, user: "-oProxyCommand=x" } }, "source", /not a Unix user name/],
  ["a source host that reads as an option", { ...pull, source: { ...pull.source, host: "-oProxyCommand=x" } }, "source", /is not a host name/],
  ["a target that reads as an option", { ...pull, target: "-r" }, "target", /must start with a letter|pool's root/],
  ["--skip-parent without --recursive", { ...pull, flags: ["--skip-parent"] }, "flags", /--skip-parent does nothing without --recursive/],
  ["a host with a command", { ...pull, host: "OVH3;id" }, "host", /is not a host name/],
];

const SYNCOID_VALID: [string, Inputs][] = [
  ["a pull", pull],
  ["paused", { ...pull, enabled: false }],
  ["ssh timing and keepalive options", flag("--sshoption=ConnectTimeout=10", "--sshoption=ServerAliveInterval=30", "--sshoption=ServerAliveCountMax=3")],
  ["ssh compression, ciphers, QoS, port", flag("--sshoption=Compression=no", "--sshoption=Ciphers=aes256-gcm@openssh.com,chacha20-poly1305@openssh.com", "--sshoption=IPQoS=throughput", "--sshoption=Port=2222")],
  ["strict host-key checking, said again", flag("--sshoption=StrictHostKeyChecking=yes", "--sshoption=BatchMode=yes")],
  ["a key, a port, a cipher", flag("--sshkey=/root/.ssh/id_pull", "--sshport=2222", "--sshcipher=aes128-ctr")],
  ["send and receive options", flag("--sendoptions=Lcew", "--recvoptions=u", "--identifier=ovh3:off-1.a_b")],
  ["an exclude pattern", flag("--exclude=^zfs-hdd/off/(cache|logs)$", "--skip-parent", "--compress=zstd-fast", "--source-bwlimit=50m")],
  ...HOSTS.flatMap((host) => [
    ...LAYOUTS.flatMap((layout) =>
      pullsOf(host, layout).map((p): [string, Inputs] => [`fleet ${layout} ${host}: ${p.key}`, { host, ...pullArgs(host, p, layout) }]),
    ),
    ...PUSHES[host].map((p): [string, Inputs] => [`fleet legacy ${host}: ${p.key}`, { host, source: { dataset: p.source }, target: p.target, flags: p.flags }]),
    ...parseArgs(seed(host, "syncoid-args.conf"))
      .filter((l) => l.pull)
      .map((l): [string, Inputs] => [
        `seed ${host} syncoid-args.conf line ${l.index + 1}`,
        { host, source: Object.fromEntries(Object.entries(l.pull!.source).filter(([, v]) => v !== undefined)), target: l.pull!.target, flags: l.pull!.flags, enabled: l.pull!.enabled },
      ]),
  ]),
];

// ---------------------------------------------------------------------------

const KINDS: { kind: string; provider: Checker; hostile: Hostile[]; valid: [string, Inputs][] }[] = [
  { kind: "Dataset", provider: dataset, hostile: DATASET_HOSTILE, valid: DATASET_VALID },
  { kind: "Delegation", provider: delegation, hostile: DELEGATION_HOSTILE, valid: DELEGATION_VALID },
  { kind: "NfsShare", provider: nfs, hostile: NFS_HOSTILE, valid: NFS_VALID },
  { kind: "SanoidPolicy", provider: sanoid, hostile: SANOID_HOSTILE, valid: SANOID_VALID },
  { kind: "SyncoidPull", provider: syncoid, hostile: SYNCOID_HOSTILE, valid: SYNCOID_VALID },
];

describe.each(KINDS)("$kind", ({ provider, hostile, valid }) => {
  it("has at least 40 hostile and 8 valid cases, the real fleet's among the valid", () => {
    expect(hostile.length).toBeGreaterThanOrEqual(40);
    expect(valid.length).toBeGreaterThanOrEqual(8);
    expect(valid.some(([name]) => name.startsWith("fleet "))).toBe(true);
  });

  it.each(hostile)("refuses %s, naming the field and the rule, with no remote command", async (_what, inputs, property, why) => {
    const before = remote.calls;
    const failures = (await provider.check({}, inputs)).failures ?? [];
    const named = failures.filter((f) => f.property === property);
    expect(named.length, `no failure names ${property}: ${JSON.stringify(failures)}`).toBeGreaterThan(0);
    expect(named.map((f) => f.reason).join("\n")).toMatch(why);
    // No message carries a raw control character: they are shown escaped.
    for (const f of failures) expect(f.reason).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
    expect(remote.calls).toBe(before);
  });

  it.each(valid)("accepts %s", async (_what, inputs) => {
    expect((await provider.check({}, inputs)).failures ?? []).toEqual([]);
  });

  it("ran no remote command at all", () => expect(remote.calls).toBe(0));
});
