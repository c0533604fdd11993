// How registration messages reach a gateway's authenticator and come back. Upstream sends them over the
// mixnet (the client's gateway is the entry; an exit's request travels entry → exit) and reads the answers
// its reply SURBs bring back; the channel hides which transport carries them.
export interface AuthenticatorChannel {
  /**
   * Sends one message to a Nym address (`identity.encryption@gateway`) with `replySurbs` reply SURBs for its
   * answer (the transport's default when absent; a transport without SURBs ignores it).
   */
  send(recipient: string, message: Uint8Array, signal: AbortSignal, replySurbs?: number): Promise<void>;
  /** Every message that arrives, until the returned function is called. */
  subscribe(listener: (message: Uint8Array) => void): () => void;
}
