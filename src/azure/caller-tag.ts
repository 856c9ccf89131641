// The caller tag as a job's PUT carries it, apart from the ARM clients so that an operation can ask
// without loading the Azure SDK at start (the clients are built on the first job).
import { currentAttribution } from "../telemetry/attribution.ts";
import type { ArmClients } from "./arm-clients.ts";

/** The tags a job's PUT carries once the caller-tag policy added its tag: what a read-before-write expects. */
export function tagsAsSent(arm: ArmClients, tags: Record<string, string> = {}): Record<string, string> {
  const callerId = currentAttribution()?.callerId;
  return arm.callerTag && callerId ? { ...tags, [arm.callerTag]: callerId } : tags;
}
