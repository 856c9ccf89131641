// A secret value that cannot leak by accident: it prints, logs and serialises as its name only.
import { inspect } from "node:util";

export class Secret {
  readonly name: string;
  readonly #value: string;

  constructor(name: string, value: string) {
    this.name = name;
    this.#value = value;
  }

  /** The only way to the value; call it where the value is used, never to log or return it. */
  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return `[secret ${this.name}]`;
  }

  toString(): string {
    return this.toJSON();
  }

  [inspect.custom](): string {
    return this.toJSON();
  }
}
