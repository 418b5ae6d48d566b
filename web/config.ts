/** The web tier's settings, resolved once by createApp and handed to every router. */
export interface WebConfig {
  /** Largest request body, bytes. */
  maxUploadBytes: number;
  /** Most files per upload request. */
  maxFiles: number;
  /** How long the classic `POST /` waits for its job before answering 504. */
  classicTimeoutMs: number;
  /** Where multipart temp files go (each is removed when its request ends). */
  uploadDir: string;
  /** SSE heartbeat period. */
  sseHeartbeatMs: number;
  /** Most `GET /v1/stream` connections at once; more are answered 503. */
  maxStreamClients: number;
  /** A stream whose client has not read this many bytes is closed (it may reconnect). */
  maxStreamBufferedBytes: number;
}
