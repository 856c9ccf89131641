// The schema of route filters: conditions over an event and its caller, as expressive as Event Grid
// advanced filters and EventBridge patterns, combined with all / any / not. triggers/filter.ts evaluates them.
import { z } from "zod";

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const field = z
  .string()
  .regex(/^(event|caller)(\.[A-Za-z_$][\w$-]*|\[\d+\])+$/, "must be a path under event. or caller.");

const OPERATORS = [
  "equals",
  "in",
  "prefix",
  "suffix",
  "contains",
  "glob",
  "anythingBut",
  "exists",
  "numeric",
] as const;

/** One test on one field. Exactly one operator per condition; `ignoreCase` applies to string operators. */
const conditionSchema = z
  .strictObject({
    field,
    ignoreCase: z.boolean().optional(),
    equals: scalar.optional(),
    in: z.array(scalar).min(1).optional(),
    prefix: z.string().optional(),
    suffix: z.string().optional(),
    contains: z.string().optional(),
    glob: z.string().optional(),
    anythingBut: z.union([scalar, z.array(scalar).min(1), z.strictObject({ prefix: z.string() })]).optional(),
    exists: z.boolean().optional(),
    numeric: z
      .strictObject({ gt: z.number(), gte: z.number(), lt: z.number(), lte: z.number() })
      .partial()
      .refine((r) => Object.keys(r).length > 0, "needs at least one of gt, gte, lt, lte")
      .optional(),
  })
  .refine(
    (c) => OPERATORS.filter((op) => c[op] !== undefined).length === 1,
    `needs exactly one of ${OPERATORS.join(", ")}`,
  );

export type Condition = z.infer<typeof conditionSchema>;
export type Filter = Condition | { all: Filter[] } | { any: Filter[] } | { not: Filter };

export const filterSchema: z.ZodType<Filter> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(filterSchema).min(1) }),
    z.strictObject({ any: z.array(filterSchema).min(1) }),
    z.strictObject({ not: filterSchema }),
    conditionSchema,
  ]),
);
