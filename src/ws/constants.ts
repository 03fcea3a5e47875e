/**
 * WebSocket protocol constants (RFC 6455, RFC 7692) and weft's limits and
 * defaults for the WebSocket layer, each with its unit. Options that accept
 * these document them where they are accepted (`WSOptions`, `DeflateOptions`).
 */

/** Appended to Sec-WebSocket-Key before hashing (RFC 6455 §1.3, §4.2.2). */
export const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The only protocol version (RFC 6455 §4.1, Sec-WebSocket-Version). */
export const WS_VERSION = '13';

// Opcodes (RFC 6455 §5.2).
export const OP_CONTINUATION = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

/** Largest control frame payload (bytes, RFC 6455 §5.5). */
export const MAX_CONTROL_PAYLOAD = 125;
/** Largest close reason: a control payload minus the 2-byte code (bytes). */
export const MAX_CLOSE_REASON = MAX_CONTROL_PAYLOAD - 2;

// Close codes (RFC 6455 §7.4.1) that weft sends or reports.
export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_PROTOCOL_ERROR = 1002;
export const CLOSE_UNSUPPORTED_DATA = 1003;
/** Reported (never sent) when the close frame carried no code. */
export const CLOSE_NO_STATUS = 1005;
/** Reported (never sent) when the connection ended without a close frame. */
export const CLOSE_ABNORMAL = 1006;
export const CLOSE_INVALID_PAYLOAD = 1007;
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_TOO_BIG = 1009;
export const CLOSE_INTERNAL_ERROR = 1011;

/** Largest whole message delivered by `receive()` / `for await` (bytes; → 1009). */
export const DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;

/**
 * What each frame of a message after its first is charged against
 * maxMessageSize, on top of its payload (bytes; → 1009). Empty fragments cost
 * CPU too: at the 16 MiB default a 4 MiB message may come in 64 B fragments
 * (8 MiB charged) but a million empty ones (64 MiB) may not. A single-frame
 * message is charged its payload only.
 */
export const FRAME_OVERHEAD = 64;

/** Hard cap on the frames one message may span (frames; → 1009): none by default, the budget above applies. */
export const DEFAULT_MAX_FRAMES_PER_MESSAGE = Infinity;

/** Time allowed for the peer to answer our close frame and end TCP (milliseconds). */
export const DEFAULT_CLOSE_TIMEOUT = 5_000;

/**
 * Pings sent by ping() and not answered yet (pings). Past it the oldest is
 * rejected: a peer that never answers cannot grow the list.
 */
export const MAX_PENDING_PINGS = 16;

/** Heartbeat ping interval; 0 disables heartbeats (milliseconds). */
export const DEFAULT_HEARTBEAT_INTERVAL = 0;

/**
 * Whole messages received but not yet taken by the application (bytes of
 * payload). Past it the connection stops reading from the socket.
 */
export const DEFAULT_RECEIVE_BUFFER_SIZE = 1024 * 1024;

/**
 * Payload of a streamed message (`recv()`/`read()`) buffered ahead of the
 * application's reads (bytes). Past it the connection stops reading.
 */
export const DEFAULT_STREAM_BUFFER_SIZE = 64 * 1024;

/**
 * Outgoing frames are gathered in a buffer of this size and written once per
 * tick (bytes). `send()` resolves at once while the buffer is below this size
 * and the socket keeps up; otherwise it waits for the OS to take the bytes.
 */
export const DEFAULT_WRITE_BUFFER_SIZE = 16 * 1024;

/** Payloads at least this big are written with writev, never copied (bytes). */
export const WRITEV_THRESHOLD = 4 * 1024;

// permessage-deflate (RFC 7692).

/** Messages smaller than this are sent uncompressed (bytes). */
export const DEFAULT_DEFLATE_THRESHOLD = 1024;

/** zlib jobs (compress or inflate) running at once across all connections. */
export const DEFAULT_ZLIB_CONCURRENCY = 10;

/** The 4 bytes a sync flush ends with; stripped when sending, re-added to inflate (RFC 7692 §7.2.1). */
export const DEFLATE_TRAILER: Buffer = Buffer.from([0x00, 0x00, 0xff, 0xff]);
