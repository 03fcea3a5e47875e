/**
 * permessage-deflate negotiation (RFC 7692 §7.1): picks the first offer the
 * server can honour and says what each side agreed to. Pure: the zlib work
 * itself lives in deflate.ts.
 *
 * An offer is declined (and the next one tried) when it has an unknown,
 * duplicated or invalid parameter (§7.1: "MUST decline"), or when it cannot
 * satisfy the server's own configuration. No acceptable offer means no
 * compression, never a failed handshake.
 *
 * Window bits 8: zlib cannot deflate with a 256-byte window; Node's zlib
 * silently uses 9 instead, and zlib's deflate with windowBits 9 never
 * references more than 256 bytes back, so the stream is still valid for a
 * peer that asked for 8 (the same reasoning and behaviour as `ws`). weft thus
 * accepts server_max_window_bits=8 and deflates with 9. Inflating, weft
 * always uses at least 9 bits, which accepts anything a 256-byte window
 * produced.
 */
import type { ExtensionOffer } from './extensions.js';

export const EXTENSION_NAME = 'permessage-deflate';

/** Server-side permessage-deflate configuration. Every field is optional. */
export type DeflateOptions = {
  /**
   * Reset the compressor after every message (server_no_context_takeover):
   * less memory kept between messages, worse compression. Default false;
   * always honoured when the client asks for it.
   */
  serverNoContextTakeover?: boolean;
  /**
   * Ask the client to reset its compressor after every message
   * (client_no_context_takeover). Default false.
   */
  clientNoContextTakeover?: boolean;
  /**
   * Largest compressor window the server uses (8-15 bits; 8 runs as 9, see
   * above). Default 15; a smaller value offered by the client wins.
   */
  serverMaxWindowBits?: number;
  /**
   * Largest window the client may compress with (8-15 bits), which bounds
   * the server's inflate memory. Default: whatever the client offers (15 at
   * most). When set, offers that do not let the server limit the client
   * window are declined.
   */
  clientMaxWindowBits?: number;
  /** Messages smaller than this many bytes are sent uncompressed. Default 1024. */
  threshold?: number;
  /** zlib compression level (0-9). Default zlib's (6). */
  level?: number;
  /** zlib memLevel (1-9): compressor memory. Default 8. */
  memLevel?: number;
};

/** What was agreed for one connection. */
export type DeflateParams = {
  /** The server resets its compressor after each message. */
  serverNoContextTakeover: boolean;
  /** The client resets its compressor after each message (so the server may reset its inflater). */
  clientNoContextTakeover: boolean;
  /** Window of the server's compressor (bits, 8-15; zlib runs 8 as 9). */
  serverMaxWindowBits: number;
  /** Largest window the client compresses with (bits, 8-15). */
  clientMaxWindowBits: number;
};

export type DeflateAgreement = {
  params: DeflateParams;
  /** The response's extension element: name and accepted parameters. */
  response: ExtensionOffer;
};

const WINDOW_BITS = /^(?:[89]|1[0-5])$/; // 8-15, no leading zeros (§7.1.2)

/** Checks the configuration once, so that a typo fails at startup, not per request. */
export function validateDeflateOptions(o: DeflateOptions): void {
  const bits = (v: number | undefined, name: string): void => {
    if (v !== undefined && !(Number.isInteger(v) && v >= 8 && v <= 15)) {
      throw new RangeError(`permessage-deflate ${name} must be an integer 8-15, got ${v}`);
    }
  };
  bits(o.serverMaxWindowBits, 'serverMaxWindowBits');
  bits(o.clientMaxWindowBits, 'clientMaxWindowBits');
  if (o.threshold !== undefined && !(o.threshold >= 0)) throw new RangeError('permessage-deflate threshold must be >= 0');
}

/** The first acceptable permessage-deflate offer, or null. */
export function negotiateDeflate(offers: readonly ExtensionOffer[], options: DeflateOptions): DeflateAgreement | null {
  for (const offer of offers) {
    if (offer.name !== EXTENSION_NAME) continue;
    const agreement = acceptOffer(offer, options);
    if (agreement !== null) return agreement;
  }
  return null;
}

type ParsedOffer = {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  /** undefined: not offered. */
  serverMaxWindowBits: number | undefined;
  /** undefined: not offered; true: offered without a value. */
  clientMaxWindowBits: number | true | undefined;
};

/** Parses an offer's parameters; null if any is unknown, repeated or invalid. */
function parseOffer(offer: ExtensionOffer): ParsedOffer | null {
  const parsed: ParsedOffer = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  const seen = new Set<string>();
  for (const [key, val] of offer.params) {
    if (seen.has(key)) return null;
    seen.add(key);
    switch (key) {
      case 'server_no_context_takeover':
        if (val !== true) return null;
        parsed.serverNoContextTakeover = true;
        break;
      case 'client_no_context_takeover':
        if (val !== true) return null;
        parsed.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits':
        if (val === true || !WINDOW_BITS.test(val)) return null;
        parsed.serverMaxWindowBits = Number(val);
        break;
      case 'client_max_window_bits':
        if (val !== true && !WINDOW_BITS.test(val)) return null;
        parsed.clientMaxWindowBits = val === true ? true : Number(val);
        break;
      default:
        return null;
    }
  }
  return parsed;
}

function acceptOffer(offer: ExtensionOffer, options: DeflateOptions): DeflateAgreement | null {
  const o = parseOffer(offer);
  if (o === null) return null;
  const response: ExtensionOffer = { name: EXTENSION_NAME, params: [] };

  // §7.1.1.1: the server may always choose not to keep its context.
  const serverNoContextTakeover = o.serverNoContextTakeover || options.serverNoContextTakeover === true;
  if (serverNoContextTakeover) response.params.push(['server_no_context_takeover', true]);

  // §7.1.1.2: the server may ask for this even if the client did not offer it.
  const clientNoContextTakeover = o.clientNoContextTakeover || options.clientNoContextTakeover === true;
  if (clientNoContextTakeover) response.params.push(['client_no_context_takeover', true]);

  // §7.1.2.1: answer with the same or a smaller value; a smaller window is
  // always possible for the server, so an offered value is never refused.
  const configuredServerBits = options.serverMaxWindowBits ?? 15;
  const serverBits = Math.min(configuredServerBits, o.serverMaxWindowBits ?? 15);
  if (o.serverMaxWindowBits !== undefined || serverBits < 15) {
    response.params.push(['server_max_window_bits', String(serverBits)]);
  }

  // §7.1.2.2: the response may limit the client window only if the offer
  // carried client_max_window_bits.
  let clientBits = 15;
  if (o.clientMaxWindowBits === undefined) {
    if (options.clientMaxWindowBits !== undefined && options.clientMaxWindowBits < 15) return null;
  } else {
    const offered = o.clientMaxWindowBits === true ? 15 : o.clientMaxWindowBits;
    clientBits = Math.min(offered, options.clientMaxWindowBits ?? 15);
    if (o.clientMaxWindowBits !== true || clientBits < 15) {
      response.params.push(['client_max_window_bits', String(clientBits)]);
    }
  }

  return {
    params: {
      serverNoContextTakeover,
      clientNoContextTakeover,
      serverMaxWindowBits: serverBits,
      clientMaxWindowBits: clientBits,
    },
    response,
  };
}
