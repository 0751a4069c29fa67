/**
 * Storybook 10 for the kit's elements: the CSF3 stories in stories/ (live against a reference
 * server, see stories/README.md), docs pages from the JSDoc through custom-elements.json.
 * `npm run storybook` (scripts/storybook.mjs) starts it with a server; `npm run build-storybook`
 * builds it static.
 */
import { fileURLToPath } from 'node:url';
import type { StorybookConfig } from '@storybook/web-components-vite';

const config: StorybookConfig = {
  stories: ['../stories/*.stories.ts'],
  addons: ['@storybook/addon-docs'],
  framework: {
    name: '@storybook/web-components-vite',
    options: {
      // The root vite.config.ts builds the library (two environments and a custom buildApp); the
      // stories need a plain app build instead.
      builder: { viteConfigPath: fileURLToPath(new URL('./vite.config.ts', import.meta.url)) },
    },
  },
  core: {
    // No network but the npm registry: nothing may phone home or wait for an answer from outside.
    disableTelemetry: true,
    disableWhatsNewNotifications: true,
    enableCrashReports: false,
  },
  // The preview is one large chunk (Storybook's docs blocks with React, the kit, mediasoup-client);
  // served from disk or loopback, its size is not a problem to warn about.
  viteFinal: (viteConfig) => ({
    ...viteConfig,
    build: { ...viteConfig.build, chunkSizeWarningLimit: 2048 },
  }),
};

export default config;
