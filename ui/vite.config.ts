import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The dev server port (1420, strict) is set by the `dev` script: tauri.conf.json's devUrl
// points at it, so a silently chosen other port would leave the window blank.
export default defineConfig({
  plugins: [react()],
  // Keep the Tauri CLI's output visible when both run in one terminal.
  clearScreen: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
  },
  test: {
    include: ["src/**/*.test.{ts,tsx}"],
    // The DOM tests render whole screens; on a loaded 2-core machine the default 5 s is
    // not enough for the slower ones, and a timed-out test leaves its screen behind for
    // the next one. A generous limit, not a speed test.
    testTimeout: 60_000,
  },
});
