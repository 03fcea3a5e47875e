/**
 * The server's opening handshake (RFC 6455 §4.2): checks an upgrade request
 * and computes the 101 response's header fields, or throws the HTTPError the
 * client should get. Nothing here touches the connection, so the HTTP layer
 * needs no WebSocket knowledge: it sends the 101 with these headers and hands
 * the connection over.
 */
import { createHash } from 'node:crypto';
import { HTTPError } from '../http/errors.js';
import { isToken } from '../http/fields.js';
import type { HTTPReq, ResponseHeaders } from '../http/types.js';
import { WS_GUID, WS_VERSION } from './constants.js';
import { formatExtension, parseExtensions } from './extensions.js';
import { negotiateDeflate, type DeflateOptions, type DeflateParams } from './permessage-deflate.js';

export type HandshakeOptions = {
  /**
   * Chooses the subprotocol among those the client offered (in its order of
   * preference); returns one of them, or null/undefined to select none.
   * Called only when the client offered at least one. Default: none selected.
   */
  selectProtocol?: (offered: string[], req: HTTPReq) => string | null | undefined;
  /**
   * Decides whether to accept a request from this Origin (undefined when the
   * header is absent, as from non-browser clients); false answers 403.
   * Default: every origin is accepted.
   */
  checkOrigin?: (origin: string | undefined, req: HTTPReq) => boolean;
  /** permessage-deflate (RFC 7692): true or options to offer it. Default false. */
  perMessageDeflate?: boolean | DeflateOptions;
};

/** A checked handshake: what to answer and what was agreed. */
export type Handshake = {
  /** Header fields of the 101 (Switching Protocols) response. */
  headers: ResponseHeaders;
  /** Selected subprotocol, "" for none. */
  protocol: string;
  /** The Sec-WebSocket-Extensions response value, "" for none. */
  extensions: string;
  /** Agreed permessage-deflate parameters, null when not in use. */
  deflate: DeflateParams | null;
};

const KEY = /^[+/0-9A-Za-z]{22}==$/; // base64 of exactly 16 bytes

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 §4.2.2 step 5.4). */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + WS_GUID, 'latin1').digest('base64');
}

const versionError = (message: string): HTTPError =>
  new HTTPError(426, message, { headers: { 'Sec-WebSocket-Version': WS_VERSION } });

/** True if `name`'s list-valued field holds `token` (case-insensitive). */
function listHas(req: HTTPReq, name: string, token: string): boolean {
  for (const v of req.headers.list(name)) if (v.toLowerCase() === token) return true;
  return false;
}

/**
 * Checks an upgrade request (RFC 6455 §4.2.1) and negotiates subprotocol and
 * extensions. Throws HTTPError: 405 for a method other than GET, 426 (with
 * Upgrade and Sec-WebSocket-Version: 13) when the request is not a version-13
 * WebSocket upgrade, 403 when checkOrigin refuses, 400 for anything malformed.
 *
 * @example
 * const hs = acceptHandshake(req, { selectProtocol: (offered) => offered.includes('chat') ? 'chat' : null });
 * return { code: 101, headers: hs.headers, upgrade: ... };
 */
export function acceptHandshake(req: HTTPReq, options: HandshakeOptions = {}): Handshake {
  const h = req.headers;
  if (req.method !== 'GET') {
    throw new HTTPError(405, 'WebSocket upgrade requires GET', { headers: { Allow: 'GET' } });
  }
  if (req.version !== '1.1') throw new HTTPError(400, 'WebSocket upgrade requires HTTP/1.1');
  if (!listHas(req, 'upgrade', 'websocket')) {
    throw new HTTPError(426, 'Upgrade: websocket required', {
      headers: { Upgrade: 'websocket', 'Sec-WebSocket-Version': WS_VERSION },
    });
  }
  if (!listHas(req, 'connection', 'upgrade')) throw new HTTPError(400, 'Connection: Upgrade required');
  const versions = h.getAll('sec-websocket-version');
  if (versions.length !== 1 || versions[0] !== WS_VERSION) {
    throw versionError('unsupported Sec-WebSocket-Version');
  }
  const keys = h.getAll('sec-websocket-key');
  if (keys.length !== 1 || !KEY.test(keys[0]!)) throw new HTTPError(400, 'invalid Sec-WebSocket-Key');
  // An upgrade request has no content (RFC 6455 §4.1 lists none; a body
  // would be read as WebSocket frames).
  if (h.has('transfer-encoding')) throw new HTTPError(400, 'upgrade request with a body');
  const length = h.get('content-length');
  if (length !== undefined && !/^0+$/.test(length)) throw new HTTPError(400, 'upgrade request with a body');

  if (options.checkOrigin !== undefined && !options.checkOrigin(h.get('origin'), req)) {
    throw new HTTPError(403, 'origin not allowed');
  }

  const headers: ResponseHeaders = {
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Accept': acceptKey(keys[0]!),
  };

  const protocol = selectProtocol(req, options);
  if (protocol !== '') headers['Sec-WebSocket-Protocol'] = protocol;

  let extensions = '';
  let deflate: DeflateParams | null = null;
  const pmd = options.perMessageDeflate;
  if (pmd !== undefined && pmd !== false && h.has('sec-websocket-extensions')) {
    const offers = parseExtensions(h.getAll('sec-websocket-extensions'));
    if (offers === null) throw new HTTPError(400, 'invalid Sec-WebSocket-Extensions');
    const agreement = negotiateDeflate(offers, pmd === true ? {} : pmd);
    if (agreement !== null) {
      deflate = agreement.params;
      extensions = formatExtension(agreement.response);
      headers['Sec-WebSocket-Extensions'] = extensions;
    }
  }
  return { headers, protocol, extensions, deflate };
}

function selectProtocol(req: HTTPReq, options: HandshakeOptions): string {
  const offered = req.headers.list('sec-websocket-protocol');
  if (offered.length === 0) return '';
  for (let i = 0; i < offered.length; i++) {
    // RFC 6455 §4.1: each is a token and they are unique.
    if (!isToken(offered[i]!) || offered.indexOf(offered[i]!) !== i) {
      throw new HTTPError(400, 'invalid Sec-WebSocket-Protocol');
    }
  }
  const chosen = options.selectProtocol?.(offered, req) ?? null;
  if (chosen === null) return '';
  if (!offered.includes(chosen)) throw new Error(`selectProtocol returned ${JSON.stringify(chosen)}, which was not offered`);
  return chosen;
}
