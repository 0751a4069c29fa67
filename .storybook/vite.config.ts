// Storybook's own Vite config: the root one builds the library (two environments and a custom
// buildApp), the stories need a plain app. Storybook takes only build.target from `build` here;
// main.ts's viteFinal sets the rest.
import { defineConfig } from 'vite';

export default defineConfig({
  logLevel: 'warn',
  publicDir: false,
  build: { target: 'es2022' },
});
