import { defineConfig } from "vitest/config"

/**
 * Two groups, one after the other: every test in parallel, then the memory tests alone. The memory tests measure a
 * server's peak RSS while 512 MiB stream through it; with the other files loading both cores, V8's garbage collector
 * falls behind and the numbers measure the machine's load, not the server.
 */
const memoryTests = ["test/server/Memory.test.ts"]

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["test/**/*.test.ts"], exclude: memoryTests, sequence: { groupOrder: 0 } }
      },
      {
        extends: true,
        test: { name: "memory", include: memoryTests, sequence: { groupOrder: 1 }, fileParallelism: false }
      }
    ]
  }
})
