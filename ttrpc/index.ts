// The ttrpc package's public surface: a client, a server, their errors. Nothing of containerd.
export { TtrpcClient, type CallOptions } from './client.ts';
export { TtrpcServer, isLive, type CallContext, type Handler, type ServerOptions } from './server.ts';
export { Status, statusName, TtrpcError, TtrpcProtocolError, TtrpcConnectionError, TtrpcTimeoutError, type StatusCode } from './errors.ts';
export { MAX_MESSAGE_LENGTH } from './frame.ts';
export type { Metadata } from './messages.ts';
