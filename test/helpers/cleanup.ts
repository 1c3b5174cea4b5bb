// What a helper needs of a test to undo what it started: node:test's TestContext (t), or any
// collector of cleanups, has this shape.
export interface Cleanup {
  after(fn: () => unknown): void;
}
