/**
 * Storybook 10 for the kit's elements: the CSF3 stories in stories/ (live against a reference
 * server, see stories/README.md), docs pages from the JSDoc through custom-elements.json.
 * `npm run storybook` (scripts/storybook.mjs) starts it with a server; `npm run build-storybook`
 * builds it static.
 */
import { fileURLToPath } from 'node:url';
import type { StorybookConfig } from '@storybook/web-components-vite';

/** The part of Storybook's server channel used here. */
interface ServerChannel {
  on(event: string, listener: (...args: unknown[]) => void): void;
  emit(event: string, ...args: unknown[]): void;
  removeAllListeners(event?: string): void;
}

/**
 * Storybook's dev server fetches https://storybook.js.org/whats-new/v1 whenever its UI opens, even
 * with the notifications off. Presets see the server channel after Storybook's own (main.ts is
 * the last), so this answers that request as Storybook does when it is offline, and nothing is
 * fetched.
 */
async function offlineServerChannel(channel: ServerChannel): Promise<ServerChannel> {
  channel.removeAllListeners('requestWhatsNewData');
  channel.on('requestWhatsNewData', () => channel.emit('resultWhatsNewData', { data: { status: 'ERROR' } }));
  return channel;
}

// `experimental_serverChannel` is a preset hook Storybook applies but does not type.
const config: StorybookConfig & { experimental_serverChannel: typeof offlineServerChannel } = {
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
  experimental_serverChannel: offlineServerChannel,
  // The preview is one large chunk (Storybook's docs blocks with React, the kit, mediasoup-client);
  // served from disk or loopback, its size is not a problem to warn about.
  viteFinal: (viteConfig) => ({
    ...viteConfig,
    build: { ...viteConfig.build, chunkSizeWarningLimit: 2048 },
  }),
};

export default config;
