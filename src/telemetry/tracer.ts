// The name armbridge's own spans and metrics are reported under.
import { trace } from "@opentelemetry/api";

export const INSTRUMENTATION_NAME = "armbridge";

/** Resolved through the API on each use, so spans go to whichever provider telemetry registered. */
export const tracer = () => trace.getTracer(INSTRUMENTATION_NAME);
