// Wall-clock time as a dependency: code that decides by time takes a Clock, so tests can hand it a fixed one.

/** Milliseconds since the epoch, like Date.now. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
