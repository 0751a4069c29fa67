/** Serves the browser bundle (/ir-rooms.js, /chunks/*, source maps) from one directory, nothing outside it. */
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { HttpError } from './http-error.js';
import type { RequestContext } from './router.js';
import { send } from './router.js';

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export class StaticFiles {
  readonly #root: string;

  constructor(root: string) {
    this.#root = resolve(root);
  }

  /** Serves `relativePath` (slash-separated, already below the root) or answers 404. */
  async serve(ctx: RequestContext, relativePath: string): Promise<void> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(relativePath);
    } catch {
      throw HttpError.badRequest('malformed path');
    }
    const parts = decoded.split('/');
    // Every segment must be a plain file name: no '..', no '.', no backslashes, no empty segments.
    if (
      parts.length === 0 ||
      parts.length > 4 ||
      !parts.every((part) => SAFE_NAME.test(part) && !part.includes('..'))
    ) {
      throw HttpError.notFound(`no such file ${relativePath.slice(0, 200)}`);
    }
    const contentType = CONTENT_TYPES[extname(decoded)];
    if (!contentType) throw HttpError.notFound(`no such file ${relativePath.slice(0, 200)}`);
    const file = resolve(this.#root, ...parts);
    if (!file.startsWith(this.#root + sep)) throw HttpError.notFound('no such file');
    let body: Buffer;
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file');
      body = await readFile(file);
    } catch {
      const hint = decoded === 'ir-rooms.js' ? ' (run npm run build first)' : '';
      throw HttpError.notFound(`no such file ${relativePath.slice(0, 200)}${hint}`);
    }
    send(ctx.res, 200, body, contentType, { 'cache-control': 'no-cache' });
  }
}
