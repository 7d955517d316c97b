// Desired state of ovh3. The fleet's resources land here as the provider's
// resources are built (issue 7 describes the full fleet).
export function ovh3(): Record<string, unknown> {
  return { host: "ovh3" };
}
