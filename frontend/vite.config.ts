import react from '@vitejs/plugin-react';
import type { ProxyOptions } from 'vite';
import { defineConfig } from 'vitest/config';

const SERVICE = 'http://127.0.0.1:8000';

// The service refuses state-changing requests from a foreign Origin; through the proxy the
// page's origin is the dev server's, so the proxy presents each request as the service's own.
const toService: ProxyOptions = { target: SERVICE, changeOrigin: true, headers: { origin: SERVICE } };

export default defineConfig({
  base: '/ui/',
  plugins: [react()],
  build: { outDir: 'dist' },
  server: {
    proxy: Object.fromEntries(
      ['/auth', '/users', '/runs', '/workflows', '/downloads'].map((path) => [path, toService]),
    ),
  },
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['./src/test/setup.ts'],
    restoreMocks: true,
    unstubGlobals: true,
  },
});
