/** The connection layer: promise-based sockets, listener, byte buffers. */
export { Conn, DEFAULT_READ_HIGH_WATER_MARK, type ConnOptions } from './conn.js';
export { Listener, listen, DEFAULT_MAX_PENDING_ACCEPTS, type ListenOptions } from './listener.js';
export { dial, DEFAULT_DIAL_TIMEOUT, type DialOptions } from './dial.js';
export { DynBuf } from './dynbuf.js';
export { BufWriter, DEFAULT_WRITE_BUFFER_SIZE } from './bufwriter.js';
export { NetError, MessageTooLongError, type NetErrorCode } from './errors.js';
