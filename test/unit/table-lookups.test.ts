// The rules look names up in tables (sanoid keys, syncoid flags, export
// options, permissions, properties). A name that every JavaScript object has
// (toString, constructor, __proto__...) is no entry of any of them: it must be
// refused as unknown like any other, not crash check (`rule.test is not a
// function`), pass sanoid.conf's validation, or be answered with a function's
// source. Found by mutation testing's review of the tables (docs/mutation.md).
import { describe, expect, it } from "vitest";
import { canonicalValue, propertyProblem } from "../../provider/dataset/properties";
import { datasetKind } from "../../provider/dataset/schema";
import { permissionProblem } from "../../provider/delegation/allow";
import { delegationKind } from "../../provider/delegation/schema";
import { optionProblem } from "../../provider/nfs/sharenfs";
import { nfsShareKind } from "../../provider/nfs/schema";
import { keyProblem, validateConf } from "../../provider/sanoid/conf";
import { sanoidPolicyKind } from "../../provider/sanoid/schema";
import { flagProblem } from "../../provider/syncoid/args";
import { syncoidPullKind } from "../../provider/syncoid/schema";

const PROTO_KEY = `the key "__proto__" is refused as a key (it would set an object's prototype, not an entry)`;
const INHERITED = ["constructor", "toString", "valueOf", "hasOwnProperty", "isPrototypeOf", "__proto__", "__defineGetter__"];

describe.each(INHERITED)("%s", (name) => {
  it("is no sanoid setting, anywhere", () => {
    expect(keyProblem(name, "1", false)).toBe(
      `"${name}" is not a sanoid setting (sanoid stops with "I don't understand the setting"); known: hourly, daily, monthly, autosnap, autoprune, recursive, ...`,
    );
    expect(validateConf(`[a]\n  ${name} = 1\n`)).toEqual([`line 2: [a] ${name} is not a sanoid setting`]);
    const { inputs, failures } = sanoidPolicyKind.check({ host: "off1", dataset: "a/b", settings: JSON.parse(`{"${name}": "1"}`) });
    if (name === "__proto__") {
      // Refused as a key before any table is asked (it would set the object's
      // prototype), and it never reaches the stored inputs.
      expect(failures).toEqual([{ property: "settings.__proto__", reason: PROTO_KEY }]);
      expect(Object.keys(inputs.settings as object)).toEqual([]);
    } else {
      expect(failures.map((f) => f.property)).toEqual([`settings.${name}`]);
      expect(failures[0].reason).toContain("is not a sanoid setting");
    }
  });

  it("is no syncoid option, with or without a value", () => {
    for (const flag of [name, `${name}=1`]) expect(flagProblem(flag), flag).toMatch(new RegExp(`^"${name}" is not a syncoid option this resource knows`));
    expect(syncoidPullKind.check({ host: "ovh3", source: { dataset: "a/b" }, target: "a/c", flags: [`${name}=1`] }).failures.map((f) => f.property)).toEqual([
      "flags[0]",
    ]);
  });

  it("is no export option, with or without a value", () => {
    for (const option of [name, `${name}=1`]) expect(optionProblem(option), option).toMatch(new RegExp(`^"${name}" is not an export option this resource knows`));
    const share = { host: "ovh3", dataset: "a/b", clients: [{ address: "10.0.0.2", access: "rw" }], options: [`${name}=1`] };
    expect(nfsShareKind.check(share).failures.map((f) => f.property)).toEqual(["options[0]"]);
  });

  it("is no permission", () => {
    expect(permissionProblem(name)).toBe(`"${name}" is not an OpenZFS permission name; see zfs-allow(8), e.g. hold, send, snapshot, destroy, userprop`);
    expect(delegationKind.check({ host: "off2", dataset: "zfs-hdd", who: { user: "op" }, permissions: [name] }).failures.map((f) => f.property)).toEqual([
      "permissions[0]",
    ]);
  });

  it("is no property, and no alias of a value", () => {
    expect(propertyProblem(name, "on")).toBe("is not a ZFS property this resource manages (user properties need a ':' as in syncoid:sync)");
    expect(canonicalValue(name, "on")).toBe("on");
    expect(canonicalValue("acltype", name)).toBe(name);
    const { inputs, failures } = datasetKind.check({ host: "off2", name: "a/b", properties: JSON.parse(`{"${name}": "on"}`) });
    if (name === "__proto__") expect([failures, Object.keys(inputs.properties as object)]).toEqual([[{ property: "properties.__proto__", reason: PROTO_KEY }], []]);
    else expect(failures.map((f) => f.property)).toEqual([`properties.${name}`]);
  });
});

describe("sizes past a double's precision", () => {
  it.each([
    ["1E", "1152921504606846976"],
    ["8E", "9223372036854775808"],
    ["9007199254740993", "9007199254740993"],
    ["4P", "4503599627370496"],
  ])("quota=%s is the host's %s exactly", (value, bytes) => expect(canonicalValue("quota", value)).toBe(bytes));
});
