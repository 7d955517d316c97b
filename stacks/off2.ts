// Desired state of off2. The fleet's resources land here as the provider's
// resources are built (issue 7 describes the full fleet).
export function off2(): Record<string, unknown> {
  return { host: "off2" };
}
