/**
 * A child process running the compiled server with the options its parent passed (JSON, the one
 * argument), so a benchmark's browser driver and load do not share its event loop.
 */
import type { ServerOptions } from '../src/server/index.js';
import { builtServer } from './built-server.js';
import { parentChannel } from './child-process.js';

const parent = parentChannel();
const { startServer } = await builtServer();
const server = await startServer(JSON.parse(process.argv[2] ?? '{}') as ServerOptions);
parent.send({ kind: 'listening', url: server.url, apiUrl: server.apiUrl, port: server.port });
