// Parameter schemas shared by operations, strict enough that a rendered template cannot smuggle a path.
import { z } from "zod";

export const subscriptionId = z.guid({ message: "must be a subscription GUID" });

/** ARM's resource group name rules: 1-90 of letters, digits, '_', '-', '.', '(', ')', not ending in '.'. */
export const resourceGroupName = z
  .string()
  .min(1)
  .max(90)
  .regex(/^[-\w._()]+$/, "may contain letters, digits, '_', '-', '.', '(' and ')'")
  .refine((s) => !s.endsWith("."), "must not end with '.'");

export const location = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-zA-Z0-9 ]+$/, "must be an Azure region name");

export const tags = z
  .record(z.string().min(1).max(512), z.string().max(256))
  .refine((t) => Object.keys(t).length <= 50, "at most 50 tags");
