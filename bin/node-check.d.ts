// Types of the plain-JavaScript preflight (it must run on Node versions that cannot strip types).
export declare const REQUIRED_NODE_MAJOR: number;
export declare function nodeProblem(version: string): string | undefined;
export declare function requireSupportedNode(): void;
