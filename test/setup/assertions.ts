// Every test must assert something: a test whose expectations never ran fails instead of passing.
import { beforeEach, expect } from "vitest";

beforeEach(() => {
  expect.hasAssertions();
});
