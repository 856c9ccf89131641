// Structured JSON logs; anything that can carry a credential is redacted before it is written.
import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger } from "pino";

const REDACT = [
  "authorization",
  "*.authorization",
  "*.headers.authorization",
  "*.headers.cookie",
  "*.headers['x-hub-signature-256']",
  "*.headers['x-hub-signature']",
  "*.headers['webhook-signature']",
  "*.headers['aeg-sas-key']",
  "*.headers['x-api-key']",
  "access_token",
  "*.access_token",
  "secret",
  "*.secret",
  "token",
  "*.token",
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "armbridge" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: "[redacted]" },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
