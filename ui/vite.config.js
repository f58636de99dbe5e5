// Builds the dashboard into dist/: index.html plus content-hashed files under dist/assets/,
// which cmake/embed_ui.cmake compiles into the spool binary. No public/ folder: every file
// lives under /assets/ so the server needs exactly two routes (/ and /assets/{}).
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    target: 'es2020',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/v1': 'http://127.0.0.1:7070' },
  },
});
