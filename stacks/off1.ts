// Desired state of off1. The fleet's resources land here as the provider's
// resources are built (issue 7 describes the full fleet).
export function off1(): Record<string, unknown> {
  return { host: "off1" };
}
