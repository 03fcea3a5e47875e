/**
 * The types that flow through weft's HTTP layer (book chapters 6-8): a parsed
 * request, a body reader, a response, and a handler from one to the other.
 */
import type { Conn } from '../net/conn.js';
import type { DynBuf } from '../net/dynbuf.js';
import type { FieldList } from './fields.js';
import type { PreparedHeaders } from './response.js';

/**
 * A byte stream: `read()` resolves with the next bytes, or an empty buffer at
 * the end. The same interface carries request bodies, response bodies, files,
 * generators and compressors, so wrappers compose (Go's io.Reader).
 */
export type BodyReader = {
  /** Total length in bytes, or -1 when not known in advance. */
  readonly length: number;
  read(): Promise<Buffer>;
  /**
   * Releases what the reader owns (a file, a generator, a compressor). The
   * owner of the reader calls it exactly once, whether the body was read to
   * the end or abandoned half-way (a client that disconnected).
   */
  close?(): Promise<void> | void;
  /**
   * The whole body, when it is already in memory: lets the response writer
   * send it without a read() round trip. Must equal what read() would give.
   */
  readonly bytes?: Buffer;
};

export type HTTPVersion = '1.0' | '1.1';

export type HTTPReq = {
  /** Method token, case-sensitive as received ("GET"). */
  readonly method: string;
  /** The request-target exactly as received. */
  readonly target: string;
  /** Path of the target, still percent-encoded; "*" for the asterisk form, "" for CONNECT. */
  readonly path: string;
  /** Query of the target without the "?", "" when absent. */
  readonly query: string;
  readonly version: HTTPVersion;
  readonly headers: FieldList;
  /** Host and port the request is for: from an absolute-form target, else from Host. */
  readonly authority: string;
  readonly remoteAddress: string;
  /** True over TLS. */
  readonly secure: boolean;
};

/** A response header value: several values become several field lines. */
export type HeaderValue = string | number | readonly string[];

/** Response header fields. Names are case-insensitive; weft writes them as given. */
export type ResponseHeaders = Record<string, HeaderValue>;

/**
 * Takes over the connection after a 101 (Switching Protocols) response or a
 * 2xx answer to CONNECT. `rest` holds bytes that already arrived after the
 * request head. The callee owns `conn` from then on and must close it.
 * `shutdown` is aborted when the server begins a graceful shutdown (a
 * WebSocket then closes with 1001 Going Away).
 */
export type UpgradeHandler = (conn: Conn, rest: DynBuf, shutdown: AbortSignal) => Promise<void>;

export type HTTPRes = {
  code: number;
  headers?: ResponseHeaders;
  /** Omitted: an empty body. Not read for HEAD, 1xx, 204 and 304 (but still closed). */
  body?: BodyReader;
  /** With code 101 (or 2xx to CONNECT): called once the head has been sent. */
  upgrade?: UpgradeHandler;
  /**
   * Response compression: true opts in, false opts out, undefined lets the
   * compression layer decide from the type and size.
   */
  compress?: boolean;
  /**
   * `headers` serialised ahead of time (prepareHeaders), for a response sent
   * over and over, such as a cached file. The writer sends these bytes
   * while `headers` still holds exactly the fields they were made from
   * (same names, same order, same values), and serialises `headers` as
   * usual otherwise: changing, copying or replacing `headers` is always safe.
   */
  prepared?: PreparedHeaders;
};

/** The application: answers one request. Throwing an HTTPError sends its status. */
export type Handler = (req: HTTPReq, body: BodyReader) => Promise<HTTPRes> | HTTPRes;
