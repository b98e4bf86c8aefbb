// Bundles src/main.js (and the DICOM decoding web worker) into ../static/viewer/, which Django's
// staticfiles serves as /static/viewer/viewer.js. Relative base: the worker and the lazily loaded
// chunks are found next to viewer.js whatever STATIC_URL is.
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  publicDir: false,
  build: {
    outDir: '../static/viewer',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      input: 'src/main.js',
      output: {
        entryFileNames: 'viewer.js',
        chunkFileNames: 'chunks/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
  worker: { format: 'es' },
});
